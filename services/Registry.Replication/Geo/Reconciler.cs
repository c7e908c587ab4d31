using System.Text.Json;
using Microsoft.Extensions.Options;
using Registry.Distribution.Core;
using Registry.Oci;
using Registry.Storage;

namespace Registry.Replication.Geo;

/// <summary>What one reconciliation of a registry found and did; a failed repository is compared again on the next pass.</summary>
internal sealed record ReconcileResult(
    string Registry, int Repositories, int Tags, int TagsRepaired, int ManifestsCopied, IReadOnlyList<string> UnavailableRegions, IReadOnlyList<string> FailedRepositories);

/// <summary>
/// Convergence that does not depend on every event arriving: every <c>Replication:ReconcileInterval</c> (and every
/// <c>Replication:RetryInterval</c> for a registry whose replication failed, e.g. a region that was down) each region's
/// repositories, tags, tag deletes and referrers are compared with every other region's, and what differs is applied by
/// the same rule as the events (the newest change of a tag wins; content missing somewhere is copied).
/// </summary>
internal sealed partial class Reconciler(
    ReplicaStore replicas,
    Replicator replicator,
    ReplicationStatus status,
    RegionalStorage regions,
    IOptions<ReplicationOptions> options,
    TimeProvider time,
    ILogger<Reconciler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lastFull = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.RetryInterval, time, stoppingToken);
                var full = time.GetUtcNow() - lastFull >= options.Value.ReconcileInterval;
                await foreach (var registry in replicas.ListRegistriesAsync(stoppingToken))
                {
                    var set = await replicas.RegionsOfAsync(registry, stoppingToken);
                    if (set.Count > 1 && (full || set.Any(region => status.HasFailed(registry, region))))
                    {
                        await ReconcileAsync(registry, stoppingToken);
                    }
                }

                if (full)
                {
                    lastFull = time.GetUtcNow();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogPassFailed(logger, ex);
            }
        }
    }

    public async Task<ReconcileResult> ReconcileAsync(string registry, CancellationToken cancellationToken)
    {
        var set = await replicas.RegionsOfAsync(registry, cancellationToken);
        var repositories = new SortedSet<string>(StringComparer.Ordinal);
        var unavailable = new List<string>();
        var available = new List<string>();
        foreach (var region in set)
        {
            try
            {
                foreach (var repository in await ListRepositoriesAsync(region, registry, cancellationToken))
                {
                    repositories.Add(repository);
                }

                available.Add(region);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                status.Failed(registry, region, $"reconciliation could not list the region: {ex.Message}");
                unavailable.Add(region);
            }
        }

        var (tags, repaired, copied) = (0, 0, 0);
        var failed = new List<string>();
        if (available.Count > 1)
        {
            await Parallel.ForEachAsync(repositories, new ParallelOptions { MaxDegreeOfParallelism = options.Value.ParallelRepositories, CancellationToken = cancellationToken }, async (name, token) =>
            {
                try
                {
                    var (t, r, c) = await ReconcileRepositoryAsync(new RepositoryPath(registry, name), available, token);
                    Interlocked.Add(ref tags, t);
                    Interlocked.Add(ref repaired, r);
                    Interlocked.Add(ref copied, c);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    lock (failed)
                    {
                        failed.Add(name);
                    }

                    LogRepositoryFailed(logger, ex, registry, name);
                }
            });
        }

        foreach (var region in available)
        {
            if (failed.Count == 0)
            {
                status.Succeeded(registry, region);
            }
            else
            {
                // Marked failed, the registry is compared again after Replication:RetryInterval, not the next full pass.
                status.Failed(registry, region, $"reconciling {failed.Count} repositories failed, first {failed.Min(StringComparer.Ordinal)}");
            }
        }

        failed.Sort(StringComparer.Ordinal);
        var result = new ReconcileResult(registry, repositories.Count, tags, repaired, copied, unavailable, failed);
        LogReconciled(logger, registry, result.Repositories, result.Tags, result.TagsRepaired, result.ManifestsCopied, unavailable, failed.Count);
        return result;
    }

    /// <remarks>
    /// A repository's tags are compared <c>Replication:ParallelTags</c> at a time: each copy is a chain of small durable
    /// writes whose latency, not bandwidth, bounds one tag, so a repository with many tags would otherwise go at one
    /// tag's pace. Tags sharing blobs or a manifest meet in the replicator's locks and idempotent writes.
    /// </remarks>
    private async Task<(int Tags, int Repaired, int Copied)> ReconcileRepositoryAsync(RepositoryPath repository, IReadOnlyList<string> available, CancellationToken cancellationToken)
    {
        var (tags, repaired, copied) = (0, 0, 0);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Value.ParallelTags, CancellationToken = cancellationToken };
        foreach (var source in available)
        {
            var stores = replicator.Stores(source);
            var driver = regions.For(source).ForRegistry(repository.Registry);
            await Parallel.ForEachAsync(await ListTagsAsync(stores, repository, cancellationToken), parallel, async (tag, token) =>
            {
                Interlocked.Increment(ref tags);
                var (digest, _) = await Replicator.ReadTagAsync(driver, repository, tag, token);
                if (digest is null || await stores.Manifests.ResolveAsync(repository, Reference.Parse(digest), token) is not { } descriptor)
                {
                    return;
                }

                var change = await ChangeOfAsync(driver, repository, tag, digest, source, token);
                foreach (var target in available.Where(r => r != source))
                {
                    var before = await Replicator.ReadTagAsync(regions.For(target).ForRegistry(repository.Registry), repository, tag, token);
                    if (before.Digest != digest)
                    {
                        await replicator.CopyTaggedManifestAsync(repository, source, target, descriptor, tag, change, token);
                        Interlocked.Increment(ref repaired);
                    }

                    Interlocked.Add(ref copied, await CopyReferrersAsync(repository, source, target, descriptor, depth: 0, token));
                }
            });

            // Tag deletes a region missed: the delete is newer than what that region holds, so the tag goes there too.
            await foreach (var marker in DeletedTagsAsync(driver, repository, cancellationToken))
            {
                foreach (var target in available.Where(r => r != source))
                {
                    await replicator.ApplyTagAsync(repository, marker.Tag, marker.Marker with { TagEtag = null }, target, cancellationToken);
                }
            }

            // Lock changes an event did not bring elsewhere: the latest change of each document wins.
            await foreach (var path in AttributesReplication.ChangedDocumentsAsync(driver, repository.Name, cancellationToken))
            {
                foreach (var target in available.Where(r => r != source))
                {
                    await AttributesReplication.CopyIfNewerAsync(driver, regions.For(target).ForRegistry(repository.Registry), path, cancellationToken);
                }
            }
        }

        return (tags, repaired, copied);
    }

    /// <summary>The tag's change as recorded by replication, or — for a tag replication never saw — its link's write time in this region.</summary>
    private static async Task<TagMarker> ChangeOfAsync(IStorageDriver driver, RepositoryPath repository, string tag, string digest, string region, CancellationToken cancellationToken)
    {
        if (await driver.ReadAsync(StoragePaths.ReplicationTagMarker(repository.Name, tag), cancellationToken) is { } stored
            && JsonSerializer.Deserialize(stored.Content.Span, GeoJson.Default.TagMarker) is { Deleted: false } marker
            && marker.Digest == digest)
        {
            return marker with { TagEtag = null };
        }

        var link = await driver.GetInfoAsync(StoragePaths.TagLink(repository.Name, tag), cancellationToken);
        return new TagMarker(digest, link?.LastModified ?? DateTimeOffset.MinValue, region, Deleted: false, TagEtag: null);
    }

    private async Task<int> CopyReferrersAsync(RepositoryPath repository, string source, string target, ManifestDescriptor subject, int depth, CancellationToken cancellationToken)
    {
        var copied = 0;
        var from = replicator.Stores(source);
        foreach (var referrer in await from.Manifests.ListReferrersAsync(repository, Digest.Parse(subject.Digest), cancellationToken))
        {
            if (await replicator.Stores(target).Manifests.ResolveAsync(repository, Reference.Parse(referrer.Digest), cancellationToken) is null
                && await from.Manifests.ResolveAsync(repository, Reference.Parse(referrer.Digest), cancellationToken) is { } descriptor)
            {
                await replicator.CopyManifestAsync(repository, source, target, descriptor, depth: 0, cancellationToken);
                copied++;
            }
        }

        // An index's platform manifests have referrers of their own (the scanner's SBOM and report are per platform).
        if (MediaTypes.IsIndex(subject.MediaType) && depth < 8
            && await from.Manifests.ReadContentAsync(repository, subject, cancellationToken) is { } content)
        {
            foreach (var child in ManifestParser.Parse(content.Span, subject.MediaType).Manifests)
            {
                if (await from.Manifests.ResolveAsync(repository, Reference.Parse(child.Digest), cancellationToken) is { } childDescriptor)
                {
                    copied += await CopyReferrersAsync(repository, source, target, childDescriptor, depth + 1, cancellationToken);
                }
            }
        }

        return copied;
    }

    private static async IAsyncEnumerable<(string Tag, TagMarker Marker)> DeletedTagsAsync(
        IStorageDriver driver, RepositoryPath repository, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var folder = StoragePaths.ReplicationTagMarker(repository.Name, "x")[..^"/x.json".Length];
        await foreach (var name in driver.ListAsync(folder, cancellationToken))
        {
            var tag = name.EndsWith(".json", StringComparison.Ordinal) ? name[..^5] : null;
            if (tag is not null && OciGrammar.IsTag(tag)
                && await driver.ReadAsync($"{folder}/{name}", cancellationToken) is { } stored
                && JsonSerializer.Deserialize(stored.Content.Span, GeoJson.Default.TagMarker) is { Deleted: true } marker)
            {
                yield return (tag, marker);
            }
        }
    }

    private async Task<IReadOnlyList<string>> ListRepositoriesAsync(string region, string registry, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        string? last = null;
        do
        {
            var page = await replicator.Stores(region).Manifests.ListRepositoriesAsync(registry, 1000, last, cancellationToken);
            names.AddRange(page.Items);
            last = page.Items.Count == 0 ? null : page.Last;
        }
        while (last is not null);
        return names;
    }

    private static async Task<IReadOnlyList<string>> ListTagsAsync(ContentStores stores, RepositoryPath repository, CancellationToken cancellationToken)
    {
        var tags = new List<string>();
        string? last = null;
        do
        {
            var page = await stores.Manifests.ListTagsAsync(repository, 1000, last, cancellationToken);
            if (page is null)
            {
                break;
            }

            tags.AddRange(page.Items);
            last = page.Items.Count == 0 ? null : page.Last;
        }
        while (last is not null);
        return tags;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciled {Registry}: {Repositories} repositories, {Tags} tags compared, {Repaired} tags repaired, {Copied} referrers copied; unavailable regions: {Unavailable}; {Failed} repositories failed")]
    private static partial void LogReconciled(ILogger logger, string registry, int repositories, int tags, int repaired, int copied, IReadOnlyList<string> unavailable, int failed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciling {Registry}/{Repository} failed")]
    private static partial void LogRepositoryFailed(ILogger logger, Exception exception, string registry, string repository);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A reconciliation pass failed")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
