using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Registry.Storage;

namespace Registry.Distribution.Cleanup;

/// <summary>A scheduled purge (<c>PUT …/purgeRules/{name}</c>): the purge's criteria, a 5-field UTC cron schedule, on or off.</summary>
public sealed record PurgeRuleRequest : PurgeSelection
{
    [JsonPropertyName("schedule")]
    public string? Schedule { get; init; }

    [JsonPropertyName("enabled")]
    public bool Enabled { get; init; } = true;
}

internal sealed record PurgeRule
{
    public required string Name { get; init; }

    public required IReadOnlyList<string> Filters { get; init; }

    public string? Ago { get; init; }

    public bool Untagged { get; init; }

    public int? Keep { get; init; }

    public string? LastPulledBefore { get; init; }

    public required string Schedule { get; init; }

    public bool Enabled { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the rule last ran: its next run is the schedule's first occurrence after this (or after its creation).</summary>
    public DateTimeOffset? LastRunAt { get; init; }

    public PurgeCriteria Criteria() => PurgeCriteria.Parse(Filters, Ago, Untagged, Keep, LastPulledBefore);
}

internal sealed record ExpiredManifest(string Repository, string Digest);

/// <summary>One clean-up run and what it removed: a purge (on demand or by a rule), retention, soft-delete expiry or garbage collection.</summary>
internal sealed record CleanupRun(
    Guid Id,
    string Kind,
    string? Rule,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    PurgeResult? Purge,
    GarbageCollectionResult? GarbageCollection,
    IReadOnlyList<ExpiredManifest>? Expired)
{
    public const string PurgeKind = "purge";
    public const string RetentionKind = "retention";
    public const string ExpiryKind = "softDeleteExpiry";
    public const string GarbageCollectionKind = "gc";
}

/// <summary>Purge rules and the record of clean-up runs, in the registry's storage.</summary>
internal sealed class CleanupStore(IStorageDriverFactory storage, IOptions<CleanupOptions> options)
{
    public async Task<List<PurgeRule>> ListRulesAsync(string registry, CancellationToken cancellationToken)
    {
        var driver = storage.ForRegistry(registry);
        var rules = new List<PurgeRule>();
        await foreach (var name in driver.ListAsync(StoragePaths.PurgeRulesRoot, cancellationToken))
        {
            if (name.EndsWith(".json", StringComparison.Ordinal) && StoragePaths.IsWebhookName(name[..^5])
                && await GetRuleAsync(registry, name[..^5], cancellationToken) is { } rule)
            {
                rules.Add(rule);
            }
        }

        rules.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return rules;
    }

    public async Task<PurgeRule?> GetRuleAsync(string registry, string name, CancellationToken cancellationToken) =>
        await storage.ForRegistry(registry).ReadAsync(StoragePaths.PurgeRule(name), cancellationToken) is { } stored
            ? JsonSerializer.Deserialize(stored.Content.Span, CleanupJson.Default.PurgeRule)
            : null;

    public Task SaveRuleAsync(string registry, PurgeRule rule, CancellationToken cancellationToken) =>
        storage.ForRegistry(registry).WriteAsync(
            StoragePaths.PurgeRule(rule.Name), JsonSerializer.SerializeToUtf8Bytes(rule, CleanupJson.Default.PurgeRule), cancellationToken: cancellationToken);

    public Task<bool> DeleteRuleAsync(string registry, string name, CancellationToken cancellationToken) =>
        storage.ForRegistry(registry).DeleteAsync(StoragePaths.PurgeRule(name), cancellationToken);

    public Task RecordRunAsync(string registry, CleanupRun run, CancellationToken cancellationToken) =>
        storage.ForRegistry(registry).WriteAsync(
            StoragePaths.CleanupRun(run.StartedAt, run.Id), JsonSerializer.SerializeToUtf8Bytes(run, CleanupJson.Default.CleanupRun), cancellationToken: cancellationToken);

    /// <summary>The newest runs first (run names sort newest first).</summary>
    public async Task<List<CleanupRun>> ListRunsAsync(string registry, CancellationToken cancellationToken)
    {
        var driver = storage.ForRegistry(registry);
        var names = new List<string>();
        await foreach (var name in driver.ListAsync(StoragePaths.CleanupRunsRoot, cancellationToken))
        {
            names.Add(name);
        }

        var runs = new List<CleanupRun>();
        foreach (var name in names.Order(StringComparer.Ordinal).Take(options.Value.RunsListed))
        {
            if (await driver.ReadAsync($"{StoragePaths.CleanupRunsRoot}/{name}", cancellationToken) is { } stored
                && JsonSerializer.Deserialize(stored.Content.Span, CleanupJson.Default.CleanupRun) is { } run)
            {
                runs.Add(run);
            }
        }

        return runs;
    }
}
