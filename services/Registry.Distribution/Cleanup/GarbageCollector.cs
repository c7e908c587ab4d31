using Microsoft.Extensions.Options;
using Registry.Distribution.Caching;
using Registry.Distribution.Core;
using Registry.Oci;
using Registry.Storage;

namespace Registry.Distribution.Cleanup;

internal sealed record GarbageCollectionResult(Guid Id, bool DryRun, long BlobsDeleted, long BytesFreed, long BlobsKept, long LinksDeleted, TimeSpan GracePeriod);

/// <summary>
/// Online mark and sweep of one registry's blobs in this region. Mark: every blob a manifest (live or soft-deleted) of any
/// repository refers to — the manifest's own blob, its config and layers, an index's children. Sweep: blob data not marked
/// and written before the cut-off (now minus <see cref="CleanupOptions.GracePeriod"/>), unless some repository linked it
/// after the cut-off; with it go its layer links, and layer links a repository's manifests no longer refer to. Before
/// sweeping, the registry is read again and what was pushed meanwhile is marked too, so a push in flight keeps its blobs.
/// The caller holds the registry's <see cref="CleanupLease"/>.
/// </summary>
internal sealed partial class GarbageCollector(
    IStorageDriverFactory storage, IRegistryCache cache, IOptions<CleanupOptions> options, TimeProvider time, ILogger<GarbageCollector> logger)
{
    private static readonly string[] Algorithms = [Digest.Sha256, Digest.Sha512];

    /// <param name="cutoff">Blobs written before it may go; by default now minus the grace period.</param>
    public async Task<GarbageCollectionResult> RunAsync(string registry, bool dryRun, DateTimeOffset? cutoff, CancellationToken cancellationToken)
    {
        var startedAt = time.GetUtcNow();
        var limit = cutoff ?? startedAt - options.Value.GracePeriod;
        var driver = storage.ForRegistry(registry);

        var first = await MarkAsync(new RegistryContentReader(driver), cancellationToken);
        var candidates = new List<(Digest Digest, long Size)>();
        var kept = 0L;
        foreach (var (digest, info) in await ListBlobsAsync(driver, cancellationToken))
        {
            if (first.Marked.Contains(digest.ToString()) || info.LastModified >= limit)
            {
                kept++;
            }
            else
            {
                candidates.Add((digest, info.Size));
            }
        }

        // Read again: manifests pushed and blobs linked while the first mark ran keep what they refer to. From here to the
        // end of the sweep the fence is up: a push writing its manifest now waits, then checks its blobs (SweepFence).
        var fenced = !dryRun && candidates.Count > 0;
        if (fenced)
        {
            await SweepFence.RaiseAsync(driver, cancellationToken);
        }

        try
        {
            return await SweepAsync(registry, driver, candidates, kept, limit, startedAt, dryRun, cancellationToken);
        }
        finally
        {
            if (fenced)
            {
                await SweepFence.LowerAsync(driver, CancellationToken.None);
            }
        }
    }

    private async Task<GarbageCollectionResult> SweepAsync(
        string registry, IStorageDriver driver, List<(Digest Digest, long Size)> candidates, long kept, DateTimeOffset limit, DateTimeOffset startedAt, bool dryRun,
        CancellationToken cancellationToken)
    {
        var second = await MarkAsync(new RegistryContentReader(driver), cancellationToken);
        var deleted = 0L;
        var freed = 0L;
        var linksDeleted = 0L;
        foreach (var (digest, size) in candidates)
        {
            var key = digest.ToString();
            if (second.Marked.Contains(key) || second.Repositories.Any(repository => repository.LayerLinks.TryGetValue(key, out var linked) && linked >= limit))
            {
                kept++;
                continue;
            }

            deleted++;
            freed += size;
            if (dryRun)
            {
                continue;
            }

            foreach (var repository in second.Repositories.Where(repository => repository.LayerLinks.ContainsKey(key)))
            {
                linksDeleted += await DeleteLinkAsync(driver, registry, repository.Name, digest, cancellationToken) ? 1 : 0;
            }

            // Cached manifest bodies need no invalidation: content under a digest never changes.
            await driver.DeleteAsync(StoragePaths.BlobData(digest), cancellationToken);
        }

        // Dangling layer links: a repository's links to blobs none of its manifests refer to, linked before the cut-off.
        var swept = candidates.Select(candidate => candidate.Digest.ToString()).ToHashSet(StringComparer.Ordinal);
        foreach (var repository in second.Repositories)
        {
            var referenced = second.ReferencedBy[repository.Name];
            foreach (var (key, linked) in repository.LayerLinks)
            {
                if (linked < limit && !referenced.Contains(key) && !swept.Contains(key) && !dryRun)
                {
                    linksDeleted += await DeleteLinkAsync(driver, registry, repository.Name, Digest.Parse(key), cancellationToken) ? 1 : 0;
                }
            }
        }

        LogCollected(logger, registry, deleted, freed, kept, dryRun);
        return new GarbageCollectionResult(Guid.NewGuid(), dryRun, deleted, freed, kept, linksDeleted, startedAt - limit);
    }

    private sealed record Marks(HashSet<string> Marked, List<RepositoryContent> Repositories, Dictionary<string, HashSet<string>> ReferencedBy);

    private static async Task<Marks> MarkAsync(RegistryContentReader reader, CancellationToken cancellationToken)
    {
        var marked = new HashSet<string>(StringComparer.Ordinal);
        var repositories = new List<RepositoryContent>();
        var referencedBy = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var name in await reader.ListRepositoriesAsync(cancellationToken))
        {
            var content = await reader.ReadAsync(name, cancellationToken);
            var referenced = new HashSet<string>(StringComparer.Ordinal);
            var manifests = content.Manifests.Select(m => (m.Digest, m.Descriptor.MediaType))
                .Concat(content.Deleted.Select(d => (d.Digest, d.MediaType)));
            foreach (var (digest, mediaType) in manifests)
            {
                referenced.Add(digest);
                var references = await reader.ReferencesAsync(digest, mediaType, cancellationToken);
                referenced.UnionWith(references.Blobs.Select(blob => blob.Digest.ToString()));
                referenced.UnionWith(references.Children);
            }

            marked.UnionWith(referenced);
            repositories.Add(content);
            referencedBy[name] = referenced;
        }

        return new Marks(marked, repositories, referencedBy);
    }

    private static async Task<List<(Digest Digest, StorageObjectInfo Info)>> ListBlobsAsync(IStorageDriver driver, CancellationToken cancellationToken)
    {
        var blobs = new List<(Digest, StorageObjectInfo)>();
        foreach (var algorithm in Algorithms)
        {
            await foreach (var prefix in driver.ListAsync($"blobs/{algorithm}", cancellationToken))
            {
                await foreach (var hex in driver.ListAsync($"blobs/{algorithm}/{prefix}", cancellationToken))
                {
                    if (Digest.TryParse($"{algorithm}:{hex}", out var digest) && await driver.GetInfoAsync(StoragePaths.BlobData(digest), cancellationToken) is { } info)
                    {
                        blobs.Add((digest, info));
                    }
                }
            }
        }

        return blobs;
    }

    private async Task<bool> DeleteLinkAsync(IStorageDriver driver, string registry, string repository, Digest digest, CancellationToken cancellationToken)
    {
        var deleted = await driver.DeleteAsync(StoragePaths.LayerLink(repository, digest), cancellationToken);
        await cache.InvalidateAsync(CacheKeys.Blob(new RepositoryPath(registry, repository), digest));
        return deleted;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Garbage collection of {Registry}: {BlobsDeleted} blobs ({BytesFreed} bytes) deleted, {BlobsKept} kept, dry run {DryRun}")]
    private static partial void LogCollected(ILogger logger, string registry, long blobsDeleted, long bytesFreed, long blobsKept, bool dryRun);
}
