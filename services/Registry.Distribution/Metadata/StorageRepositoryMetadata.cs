using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Registry.Distribution.Core;
using Registry.Oci;
using Registry.Security;
using Registry.Storage;

namespace Registry.Distribution.Metadata;

/// <summary>
/// Repository metadata in the registry's storage beside the repository's content (<see cref="StoragePaths.MetadataDirectory"/>):
/// one small document per repository, tag and manifest that has any, changed by compare-and-swap on its ETag. Reads are
/// remembered for <see cref="DistributionOptions.MetadataCacheLifetime"/>, so other instances see a change within it;
/// this instance sees its own changes at once.
/// </summary>
internal sealed class StorageRepositoryMetadata(
    IStorageDriverFactory storage,
    IRegistryDirectory registries,
    PullStatisticsRecorder pulls,
    IOptions<DistributionOptions> options,
    TimeProvider time) : IRepositoryMetadata
{
    private const int MaxAttempts = 16;
    private const int MaxCachedDocuments = 50_000;

    private readonly ConcurrentDictionary<(string Registry, string Path), Cached> _cache = new();

    public async Task<ChangeableAttributes> GetRepositoryAttributesAsync(RepositoryPath repository, CancellationToken cancellationToken) =>
        (await GetRepositoryAsync(repository, cancellationToken)).ChangeableAttributes;

    public async Task<ChangeableAttributes> GetTagAttributesAsync(RepositoryPath repository, string tag, CancellationToken cancellationToken) =>
        (await GetTagAsync(repository, tag, cancellationToken)).ChangeableAttributes;

    public async Task<ChangeableAttributes> GetManifestAttributesAsync(RepositoryPath repository, Digest manifest, CancellationToken cancellationToken) =>
        (await GetManifestAsync(repository, manifest, cancellationToken)).ChangeableAttributes;

    public async Task<MetadataDocument> GetRepositoryAsync(RepositoryPath repository, CancellationToken cancellationToken) =>
        await ReadCachedAsync(repository.Registry, StoragePaths.RepositoryAttributes(repository.Name), cancellationToken) ?? MetadataDocument.Default;

    public async Task<MetadataDocument> GetTagAsync(RepositoryPath repository, string tag, CancellationToken cancellationToken) =>
        await ReadCachedAsync(repository.Registry, StoragePaths.TagAttributes(repository.Name, tag), cancellationToken) ?? MetadataDocument.Default;

    public async Task<MetadataDocument> GetManifestAsync(RepositoryPath repository, Digest manifest, CancellationToken cancellationToken) =>
        await ReadCachedAsync(repository.Registry, StoragePaths.ManifestAttributes(repository.Name, manifest), cancellationToken) ?? MetadataDocument.Default;

    public Task<PullStatistics> GetPullsAsync(RepositoryPath repository, CancellationToken cancellationToken) =>
        pulls.GetAsync(repository, cancellationToken);

    public void RecordPull(RepositoryPath repository, string? tag, Digest manifest) => pulls.Record(repository, tag, manifest);

    public async Task<bool> TagsImmutableAsync(RepositoryPath repository, CancellationToken cancellationToken) =>
        (await GetRepositoryAsync(repository, cancellationToken)).ImmutableTags
        || (await registries.FindIfAnsweringAsync(repository.Registry, cancellationToken))?.Policies.ImmutableTags == true;

    public async Task<string?> DeleteRefusalAsync(RepositoryPath repository, Digest manifest, IReadOnlyCollection<string> tags, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var refusal = DeleteLock(RepositorySubject(repository), await GetRepositoryAttributesAsync(repository, cancellationToken))
            ?? DeleteLock(ManifestSubject(repository, manifest), await GetManifestAttributesAsync(repository, manifest, cancellationToken));
        foreach (var tag in tags)
        {
            refusal ??= DeleteLock(TagSubject(repository, tag), await GetTagAttributesAsync(repository, tag, cancellationToken));
        }

        if (refusal is null && tags.Count > 0 && await TagsImmutableAsync(repository, cancellationToken))
        {
            refusal = Immutable(repository, tags.Order(StringComparer.Ordinal).First());
        }

        return refusal;
    }

    public async Task<string?> RepositoryDeleteRefusalAsync(RepositoryPath repository, IReadOnlyCollection<string> tags, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var refusal = DeleteLock(RepositorySubject(repository), await GetRepositoryAttributesAsync(repository, cancellationToken));
        foreach (var tag in tags.Order(StringComparer.Ordinal))
        {
            refusal ??= DeleteLock(TagSubject(repository, tag), await GetTagAttributesAsync(repository, tag, cancellationToken));
        }

        // Only manifests with a stored document can be locked: those are the ones to look at.
        var driver = storage.ForRegistry(repository.Registry);
        foreach (var algorithm in new[] { Digest.Sha256, Digest.Sha512 })
        {
            var probe = StoragePaths.ManifestAttributes(repository.Name, Digest.Compute(algorithm, []));
            var folder = probe[..probe.LastIndexOf('/')];
            await foreach (var name in driver.ListAsync(folder, cancellationToken))
            {
                if (refusal is null && name.EndsWith(".json", StringComparison.Ordinal) && Digest.TryParse($"{algorithm}:{name[..^5]}", out var manifest))
                {
                    refusal = DeleteLock(ManifestSubject(repository, manifest), await GetManifestAttributesAsync(repository, manifest, cancellationToken));
                }
            }
        }

        if (refusal is null && tags.Count > 0 && await TagsImmutableAsync(repository, cancellationToken))
        {
            refusal = Immutable(repository, tags.Order(StringComparer.Ordinal).First());
        }

        return refusal;
    }

    public async Task<string?> UntagRefusalAsync(RepositoryPath repository, string tag, CancellationToken cancellationToken) =>
        DeleteLock(RepositorySubject(repository), await GetRepositoryAttributesAsync(repository, cancellationToken))
        ?? DeleteLock(TagSubject(repository, tag), await GetTagAttributesAsync(repository, tag, cancellationToken))
        ?? (await TagsImmutableAsync(repository, cancellationToken) ? Immutable(repository, tag) : null);

    public async Task<string?> WriteRefusalAsync(
        RepositoryPath repository, Digest digest, IReadOnlyCollection<(string Tag, string? Current)> tags, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tags);
        if (Lock(RepositorySubject(repository), "writeEnabled", (await GetRepositoryAttributesAsync(repository, cancellationToken)).WriteEnabled) is { } refusal)
        {
            return refusal;
        }

        // A tag already on this digest does not move: re-pushing the same content is always accepted.
        var moving = tags.Where(tag => tag.Current is not null && tag.Current != digest.ToString()).Select(tag => tag.Tag).Order(StringComparer.Ordinal).ToList();
        foreach (var tag in moving)
        {
            if (Lock(TagSubject(repository, tag), "writeEnabled", (await GetTagAttributesAsync(repository, tag, cancellationToken)).WriteEnabled) is { } locked)
            {
                return locked;
            }
        }

        return moving.Count > 0 && await TagsImmutableAsync(repository, cancellationToken) ? Immutable(repository, moving[0]) : null;
    }

    public async Task<string?> BlobRefusalAsync(RepositoryPath repository, ContentAccess access, CancellationToken cancellationToken)
    {
        var attributes = await GetRepositoryAttributesAsync(repository, cancellationToken);
        var subject = RepositorySubject(repository);
        return access switch
        {
            ContentAccess.Read => Lock(subject, "readEnabled", attributes.ReadEnabled),
            ContentAccess.Write => Lock(subject, "writeEnabled", attributes.WriteEnabled),
            _ => DeleteLock(subject, attributes),
        };
    }

    /// <remarks>On every manifest GET and HEAD: the refusal's text is built only when something is locked.</remarks>
    public async Task<string?> ReadRefusalAsync(RepositoryPath repository, string? tag, Digest manifest, CancellationToken cancellationToken)
    {
        if (!(await GetRepositoryAttributesAsync(repository, cancellationToken)).ReadEnabled)
        {
            return Locked(RepositorySubject(repository), "readEnabled");
        }

        if (tag is not null && !(await GetTagAttributesAsync(repository, tag, cancellationToken)).ReadEnabled)
        {
            return Locked(TagSubject(repository, tag), "readEnabled");
        }

        return (await GetManifestAttributesAsync(repository, manifest, cancellationToken)).ReadEnabled
            ? null
            : Locked(ManifestSubject(repository, manifest), "readEnabled");
    }

    public Task<MetadataDocument> UpdateRepositoryAsync(RepositoryPath repository, AttributesChange change, CancellationToken cancellationToken) =>
        UpdateAsync(repository.Registry, StoragePaths.RepositoryAttributes(repository.Name), document => document with
        {
            ChangeableAttributes = document.ChangeableAttributes.With(change),
            ImmutableTags = change.ImmutableTags ?? document.ImmutableTags,
        }, cancellationToken);

    public async Task<MetadataDocument> UpdateTagAsync(RepositoryPath repository, string tag, AttributesChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.ListEnabled is { } listed)
        {
            // The repository keeps the unlisted tags, so a tag list reads one document; it is changed first so a tag is never listed by mistake.
            await SetUnlistedAsync(repository, [tag], unlisted: !listed, cancellationToken);
        }

        return await UpdateAsync(repository.Registry, StoragePaths.TagAttributes(repository.Name, tag), document => document with
        {
            ChangeableAttributes = document.ChangeableAttributes.With(change),
        }, cancellationToken);
    }

    public Task<MetadataDocument> UpdateManifestAsync(RepositoryPath repository, Digest manifest, AttributesChange change, CancellationToken cancellationToken) =>
        UpdateAsync(repository.Registry, StoragePaths.ManifestAttributes(repository.Name, manifest), document => document with
        {
            ChangeableAttributes = document.ChangeableAttributes.With(change),
        }, cancellationToken);

    public async Task RecordPushAsync(RepositoryPath repository, Digest manifest, IReadOnlyCollection<string> tags, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var paths = tags.Select(tag => StoragePaths.TagAttributes(repository.Name, tag))
            .Prepend(StoragePaths.ManifestAttributes(repository.Name, manifest))
            .Prepend(StoragePaths.RepositoryAttributes(repository.Name));
        foreach (var path in paths)
        {
            if (await ReadCachedAsync(repository.Registry, path, cancellationToken) is null)
            {
                await CreateAsync(repository.Registry, path, cancellationToken);
            }
        }
    }

    public async Task ForgetAsync(RepositoryPath repository, Digest? manifest, IReadOnlyCollection<string> tags, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tags);
        if (tags.Count > 0 && (await GetRepositoryAsync(repository, cancellationToken)).UnlistedTags.Intersect(tags, StringComparer.Ordinal).Any())
        {
            await SetUnlistedAsync(repository, tags, unlisted: false, cancellationToken);
        }

        var driver = storage.ForRegistry(repository.Registry);
        var paths = tags.Select(tag => StoragePaths.TagAttributes(repository.Name, tag)).ToList();
        if (manifest is { } digest)
        {
            paths.Add(StoragePaths.ManifestAttributes(repository.Name, digest));
        }

        foreach (var path in paths)
        {
            await driver.DeleteAsync(path, cancellationToken);
            _cache.TryRemove((repository.Registry, path), out _);
        }
    }

    public async Task ForgetRepositoryAsync(RepositoryPath repository, CancellationToken cancellationToken)
    {
        pulls.Forget(repository);
        var prefix = $"{StoragePaths.Repository(repository.Name)}/{StoragePaths.MetadataDirectory}/";
        await storage.ForRegistry(repository.Registry).DeletePrefixAsync(prefix.TrimEnd('/'), cancellationToken);
        foreach (var key in _cache.Keys.Where(key => key.Registry == repository.Registry && key.Path.StartsWith(prefix, StringComparison.Ordinal)))
        {
            _cache.TryRemove(key, out _);
        }
    }

    private Task<MetadataDocument> SetUnlistedAsync(RepositoryPath repository, IReadOnlyCollection<string> tags, bool unlisted, CancellationToken cancellationToken) =>
        UpdateAsync(repository.Registry, StoragePaths.RepositoryAttributes(repository.Name), document => document with
        {
            UnlistedTags = unlisted
                ? [.. document.UnlistedTags.Union(tags, StringComparer.Ordinal).Order(StringComparer.Ordinal)]
                : [.. document.UnlistedTags.Except(tags, StringComparer.Ordinal)],
        }, cancellationToken);

    /// <summary>Creates the document of something first pushed now; one created meanwhile by another writer stays.</summary>
    private async Task CreateAsync(string registry, string path, CancellationToken cancellationToken)
    {
        var document = MetadataDocument.Default with { CreatedTime = time.GetUtcNow() };
        try
        {
            await storage.ForRegistry(registry).WriteAsync(path, Serialize(document), StorageCondition.NotExists, cancellationToken);
            Remember(registry, path, document);
        }
        catch (StoragePreconditionFailedException)
        {
            _cache.TryRemove((registry, path), out _);
        }
    }

    private async Task<MetadataDocument> UpdateAsync(string registry, string path, Func<MetadataDocument, MetadataDocument> change, CancellationToken cancellationToken)
    {
        var driver = storage.ForRegistry(registry);
        for (var attempt = 1; ; attempt++)
        {
            var stored = await driver.ReadAsync(path, cancellationToken);
            var updated = change(stored is null ? MetadataDocument.Default : Deserialize(stored.Content.Span)) with { LastUpdateTime = time.GetUtcNow() };
            try
            {
                await driver.WriteAsync(path, Serialize(updated), StorageCondition.Replacing(stored?.ETag), cancellationToken);
                Remember(registry, path, updated);
                return updated;
            }
            catch (StoragePreconditionFailedException) when (attempt < MaxAttempts)
            {
                await Task.Delay(Random.Shared.Next(1, 5 * attempt), cancellationToken);
            }
        }
    }

    private async Task<MetadataDocument?> ReadCachedAsync(string registry, string path, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue((registry, path), out var cached) && cached.Expires > now)
        {
            return cached.Document;
        }

        var stored = await storage.ForRegistry(registry).ReadAsync(path, cancellationToken);
        var document = stored is null ? null : Deserialize(stored.Content.Span);
        Remember(registry, path, document);
        return document;
    }

    private void Remember(string registry, string path, MetadataDocument? document)
    {
        if (_cache.Count >= MaxCachedDocuments)
        {
            _cache.Clear();
        }

        _cache[(registry, path)] = new Cached(document, time.GetUtcNow() + options.Value.MetadataCacheLifetime);
    }

    private static MetadataDocument Deserialize(ReadOnlySpan<byte> content) =>
        JsonSerializer.Deserialize(content, MetadataJson.Default.MetadataDocument) ?? MetadataDocument.Default;

    private static byte[] Serialize(MetadataDocument document) => JsonSerializer.SerializeToUtf8Bytes(document, MetadataJson.Default.MetadataDocument);

    private static string? DeleteLock(string subject, ChangeableAttributes attributes) =>
        Lock(subject, "deleteEnabled", attributes.DeleteEnabled) ?? Lock(subject, "writeEnabled", attributes.WriteEnabled);

    private static string? Lock(string subject, string attribute, bool enabled) => enabled ? null : Locked(subject, attribute);

    private static string Locked(string subject, string attribute) => $"{subject} is locked: {attribute} is false";

    private static string Immutable(RepositoryPath repository, string tag) => $"{TagSubject(repository, tag)} is immutable";

    private static string RepositorySubject(RepositoryPath repository) => $"repository '{repository.Name}'";

    private static string TagSubject(RepositoryPath repository, string tag) => $"tag '{tag}' of repository '{repository.Name}'";

    private static string ManifestSubject(RepositoryPath repository, Digest manifest) => $"manifest '{manifest}' of repository '{repository.Name}'";

    private sealed record Cached(MetadataDocument? Document, DateTimeOffset Expires);
}
