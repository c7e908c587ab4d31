using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Registry.Distribution.Core;
using Registry.Oci;
using Registry.Storage;

namespace Registry.Distribution.Cleanup;

/// <summary>What a purge selects (<c>az acr purge</c>'s filters and options), on demand or in a rule.</summary>
public abstract record PurgeSelection
{
    [JsonPropertyName("filters")]
    public IReadOnlyList<string>? Filters { get; init; }

    [JsonPropertyName("ago")]
    public string? Ago { get; init; }

    [JsonPropertyName("untagged")]
    public bool Untagged { get; init; }

    [JsonPropertyName("keep")]
    public int? Keep { get; init; }

    [JsonPropertyName("lastPulledBefore")]
    public string? LastPulledBefore { get; init; }
}

/// <summary><c>POST …/purge</c>.</summary>
public sealed record PurgeRequest : PurgeSelection
{
    [JsonPropertyName("dryRun")]
    public bool DryRun { get; init; }
}

internal sealed record PurgedManifest(string Repository, string Digest, IReadOnlyList<string> Tags);

internal sealed record PurgedTag(string Repository, string Tag, string Digest);

internal sealed record SkippedManifest(string Repository, string Digest, IReadOnlyList<string> Tags, string Reason);

internal sealed record PurgeResult(
    Guid Id,
    bool DryRun,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    IReadOnlyList<PurgedManifest> Deleted,
    IReadOnlyList<PurgedTag> Untagged,
    IReadOnlyList<SkippedManifest> Skipped);

/// <summary>One <c>&lt;repository regex&gt;:&lt;tag regex&gt;</c> filter, both anchored; no tag regex selects no tag (retention).</summary>
internal sealed record PurgeFilter(Regex Repository, Regex? Tag);

/// <summary>What a purge (or the retention policy) selects.</summary>
internal sealed record PurgeCriteria(IReadOnlyList<PurgeFilter> Filters, TimeSpan? Ago, bool Untagged, int Keep, TimeSpan? LastPulledBefore)
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The retention policy: manifests of every repository untagged for more than <paramref name="days"/> (never tagged: pushed that long ago).</summary>
    public static PurgeCriteria Retention(int days) => new([new PurgeFilter(Anchored(".*"), null)], TimeSpan.FromDays(days), true, 0, null);

    public static PurgeCriteria Parse(PurgeSelection selection) =>
        Parse(selection.Filters, selection.Ago, selection.Untagged, selection.Keep, selection.LastPulledBefore);

    public static PurgeCriteria Parse(IReadOnlyList<string>? filters, string? ago, bool untagged, int? keep, string? lastPulledBefore)
    {
        if (filters is not { Count: > 0 })
        {
            throw ManagementException.Invalid("at least one filter '<repository regex>:<tag regex>' is required");
        }

        if (keep is < 0)
        {
            throw ManagementException.Invalid("keep must not be negative");
        }

        return new PurgeCriteria([.. filters.Select(ParseFilter)], ParseDuration(ago, "ago"), untagged, keep ?? 0, ParseDuration(lastPulledBefore, "lastPulledBefore"));
    }

    /// <summary><c>&lt;n&gt;d</c>, <c>&lt;n&gt;h</c>, <c>&lt;n&gt;m</c> or <c>d.hh:mm:ss</c>.</summary>
    public static TimeSpan? ParseDuration(string? text, string name)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (text.Length > 1 && int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            switch (text[^1])
            {
                case 'd': return TimeSpan.FromDays(count);
                case 'h': return TimeSpan.FromHours(count);
                case 'm': return TimeSpan.FromMinutes(count);
            }
        }

        return TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero
            ? span
            : throw ManagementException.Invalid($"{name} '{text}' is not a duration: <n>d, <n>h, <n>m or d.hh:mm:ss");
    }

    private static PurgeFilter ParseFilter(string filter)
    {
        // The separator is the first ':' that is not part of a "(?:" group.
        var separator = -1;
        for (var i = 0; i < filter.Length && separator < 0; i++)
        {
            if (filter[i] == ':' && !(i >= 2 && filter[i - 1] == '?' && filter[i - 2] == '('))
            {
                separator = i;
            }
        }

        if (separator <= 0 || separator == filter.Length - 1)
        {
            throw ManagementException.Invalid($"filter '{filter}' is not '<repository regex>:<tag regex>'");
        }

        try
        {
            return new PurgeFilter(Anchored(filter[..separator]), Anchored(filter[(separator + 1)..]));
        }
        catch (ArgumentException ex)
        {
            throw ManagementException.Invalid($"filter '{filter}' is not a valid regular expression: {ex.Message}");
        }
    }

    private static Regex Anchored(string pattern) => new($"^(?:{pattern})$", RegexOptions.CultureInvariant, MatchTimeout);
}

/// <summary>
/// Purge and retention: plans from storage what the criteria select, then (unless a dry run) deletes exactly the plan
/// through the full manifest store, so locks, soft delete, events and caches apply. A tag that matches is removed; a
/// manifest all of whose tags match is deleted with them (as <c>az acr purge</c> does); with <c>untagged</c> untagged
/// manifests go too. A manifest an index that stays refers to, or a referrer whose subject stays, is never deleted (its
/// matching tags are only removed), and locked items are skipped and reported.
/// </summary>
internal sealed class Purger(IStorageDriverFactory storage, IManifestStore manifests, TimeProvider time, IRepositoryMetadata? metadata = null)
{
    public async Task<PurgeResult> RunAsync(string registry, PurgeCriteria criteria, bool dryRun, CancellationToken cancellationToken)
    {
        var startedAt = time.GetUtcNow();
        var deleted = new List<PurgedManifest>();
        var untagged = new List<PurgedTag>();
        var skipped = new List<SkippedManifest>();
        var reader = new RegistryContentReader(storage.ForRegistry(registry));
        foreach (var name in await reader.ListRepositoriesAsync(cancellationToken))
        {
            var filters = criteria.Filters.Where(filter => filter.Repository.IsMatch(name)).ToList();
            if (filters.Count == 0)
            {
                continue;
            }

            var repository = new RepositoryPath(registry, name);
            var plan = await PlanAsync(reader, repository, filters, criteria, startedAt, cancellationToken);
            skipped.AddRange(plan.Skipped);
            if (dryRun)
            {
                deleted.AddRange(plan.Deleted);
                untagged.AddRange(plan.Untagged);
                continue;
            }

            foreach (var manifest in plan.Deleted)
            {
                if (await TryAsync(repository, Reference.Parse(manifest.Digest), manifest.Digest, manifest.Tags, skipped, cancellationToken))
                {
                    deleted.Add(manifest);
                }
            }

            foreach (var tag in plan.Untagged)
            {
                if (await TryAsync(repository, Reference.Parse(tag.Tag), tag.Digest, [tag.Tag], skipped, cancellationToken))
                {
                    untagged.Add(tag);
                }
            }
        }

        return new PurgeResult(Guid.NewGuid(), dryRun, startedAt, time.GetUtcNow(), deleted, untagged, skipped);
    }

    private async Task<bool> TryAsync(RepositoryPath repository, Reference reference, string digest, IReadOnlyList<string> tags, List<SkippedManifest> skipped, CancellationToken cancellationToken)
    {
        try
        {
            return await manifests.DeleteAsync(repository, reference, cancellationToken) is not null;
        }
        catch (OciException ex)
        {
            skipped.Add(new SkippedManifest(repository.Name, digest, tags, ex.Message));
            return false;
        }
    }

    private sealed record Plan(List<PurgedManifest> Deleted, List<PurgedTag> Untagged, List<SkippedManifest> Skipped);

    private async Task<Plan> PlanAsync(
        RegistryContentReader reader, RepositoryPath repository, List<PurgeFilter> filters, PurgeCriteria criteria, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var content = await reader.ReadAsync(repository.Name, cancellationToken);
        var pulls = metadata is null ? PullStatistics.None : await metadata.GetPullsAsync(repository, cancellationToken);
        var tagsByDigest = content.TagsByDigest;

        // Tags: matching a filter, older than ago, not pulled since lastPulledBefore (never pulled: pulled when pushed); the newest `keep` stay.
        var selectedTags = content.Tags
            .Where(tag => filters.Any(filter => filter.Tag?.IsMatch(tag.Name) == true)
                && Old(tag.UpdatedAt, criteria.Ago, now)
                && Old(pulls.Tags.GetValueOrDefault(tag.Name)?.LastPulledAt ?? tag.UpdatedAt, criteria.LastPulledBefore, now))
            .OrderByDescending(tag => tag.UpdatedAt).ThenBy(tag => tag.Name, StringComparer.Ordinal)
            .Skip(criteria.Keep)
            .ToList();
        var selectedNames = selectedTags.Select(tag => tag.Name).ToHashSet(StringComparer.Ordinal);

        var candidates = new Dictionary<string, StoredManifest>(StringComparer.Ordinal);
        foreach (var manifest in content.Manifests)
        {
            var tags = tagsByDigest[manifest.Digest].ToList();
            var allTagsSelected = tags.Count > 0 && tags.All(tag => selectedNames.Contains(tag.Name));
            var untaggedSelected = tags.Count == 0 && criteria.Untagged
                && Old(manifest.UntaggedSince, criteria.Ago, now)
                && Old(pulls.Manifests.GetValueOrDefault(manifest.Digest)?.LastPulledAt ?? manifest.PushedAt, criteria.LastPulledBefore, now);
            if (allTagsSelected || untaggedSelected)
            {
                candidates[manifest.Digest] = manifest;
            }
        }

        var skipped = new List<SkippedManifest>();
        foreach (var manifest in candidates.Values.ToList())
        {
            var tags = TagNames(tagsByDigest, manifest.Digest);
            if (metadata is not null && await metadata.DeleteRefusalAsync(repository, Digest.Parse(manifest.Digest), tags, cancellationToken) is { } refusal)
            {
                candidates.Remove(manifest.Digest);
                skipped.Add(new SkippedManifest(repository.Name, manifest.Digest, tags, refusal));
            }
        }

        await KeepWhatStaysReferencesAsync(reader, content, candidates, cancellationToken);

        var deleted = candidates.Values
            .OrderBy(manifest => MediaTypes.IsIndex(manifest.Descriptor.MediaType) ? 0 : 1) // an index goes before its children
            .ThenBy(manifest => manifest.Digest, StringComparer.Ordinal)
            .Select(manifest => new PurgedManifest(repository.Name, manifest.Digest, TagNames(tagsByDigest, manifest.Digest)))
            .ToList();

        var untagged = new List<PurgedTag>();
        var refused = skipped.Select(manifest => manifest.Digest).ToHashSet(StringComparer.Ordinal); // reported once, tags and all
        foreach (var tag in selectedTags.Where(tag => !candidates.ContainsKey(tag.Digest) && !refused.Contains(tag.Digest)).OrderBy(tag => tag.Name, StringComparer.Ordinal))
        {
            if (metadata is not null && await metadata.DeleteRefusalAsync(repository, Digest.Parse(tag.Digest), [tag.Name], cancellationToken) is { } refusal)
            {
                skipped.Add(new SkippedManifest(repository.Name, tag.Digest, [tag.Name], refusal));
                continue;
            }

            untagged.Add(new PurgedTag(repository.Name, tag.Name, tag.Digest));
        }

        return new Plan(deleted, untagged, skipped);
    }

    /// <summary>Drops from <paramref name="candidates"/> the children of indexes that stay and the referrers of subjects that stay, to a fixed point.</summary>
    private static async Task KeepWhatStaysReferencesAsync(
        RegistryContentReader reader, RepositoryContent content, Dictionary<string, StoredManifest> candidates, CancellationToken cancellationToken)
    {
        var references = new Dictionary<string, ManifestReferences>(StringComparer.Ordinal);
        foreach (var manifest in content.Manifests)
        {
            references[manifest.Digest] = await reader.ReferencesAsync(manifest.Digest, manifest.Descriptor.MediaType, cancellationToken);
        }

        bool changed;
        do
        {
            var kept = new HashSet<string>(
                content.Manifests.Where(m => !candidates.ContainsKey(m.Digest)).SelectMany(m => references[m.Digest].Children),
                StringComparer.Ordinal);
            var staying = content.Manifests.Where(m => !candidates.ContainsKey(m.Digest)).Select(m => m.Digest).ToHashSet(StringComparer.Ordinal);
            var protectedDigests = candidates.Keys
                .Where(digest => kept.Contains(digest) || (references[digest].Subject ?? candidates[digest].Descriptor.Subject) is { } subject && staying.Contains(subject))
                .ToList();
            foreach (var digest in protectedDigests)
            {
                candidates.Remove(digest);
            }

            changed = protectedDigests.Count > 0;
        }
        while (changed);
    }

    private static List<string> TagNames(ILookup<string, StoredTag> tagsByDigest, string digest) =>
        [.. tagsByDigest[digest].Select(tag => tag.Name).Order(StringComparer.Ordinal)];

    private static bool Old(DateTimeOffset at, TimeSpan? age, DateTimeOffset now) => age is not { } limit || at <= now - limit;
}
