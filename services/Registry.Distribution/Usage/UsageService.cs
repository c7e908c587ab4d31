using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Registry.Distribution.Cleanup;
using Registry.Distribution.Core;
using Registry.Storage;

namespace Registry.Distribution.Usage;

/// <summary>One repository's figures as stored: the blobs it holds (live and soft-deleted manifests' blobs) with their sizes.</summary>
internal sealed record RepositoryUsageRecord(string Name, int Tags, int Manifests, long LogicalBytes, IReadOnlyDictionary<string, long> Blobs);

/// <summary>The registry's usage document (<see cref="StoragePaths.UsageSummary"/>).</summary>
internal sealed record UsageSummary(string Registry, DateTimeOffset ReconciledAt, DateTimeOffset UpdatedAt, IReadOnlyList<RepositoryUsageRecord> Repositories)
{
    /// <summary>Every blob the registry holds, counted once.</summary>
    public long DedupedBytes => Repositories.SelectMany(r => r.Blobs).DistinctBy(blob => blob.Key, StringComparer.Ordinal).Sum(blob => blob.Value);
}

internal sealed record StorageFigures(long DedupedBytes, long LogicalBytes);

internal sealed record RepositoryUsageView(string Name, long DedupedBytes, long LogicalBytes, int Tags, int Manifests, long PullCount, DateTimeOffset? LastPulledTime);

/// <summary><c>GET …/usage</c>.</summary>
internal sealed record UsageView(
    string Registry, DateTimeOffset ReconciledAt, StorageFigures Storage, int Repositories, int Tags, int Manifests, int Blobs, IReadOnlyList<RepositoryUsageView> RepositoryUsage);

/// <summary>
/// Storage usage per registry (this region). A reconcile recomputes the whole summary from storage; in between, a push or
/// delete marks its repository, and only that repository's figures are recomputed from storage a moment later
/// (<see cref="UsageOptions.RecomputeDelay"/>, coalescing bursts). Registry figures are derived from the per-repository
/// blob sets, so a blob shared by repositories counts once in <c>dedupedBytes</c> and once per repository in <c>logicalBytes</c>.
/// </summary>
internal sealed class UsageService(IStorageDriverFactory storage, TimeProvider time, IRepositoryMetadata? metadata = null)
{
    private const int WriteAttempts = 16;
    private static readonly TimeSpan QuotaCacheLifetime = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<(string Registry, string Repository), byte> _dirty = new();
    private readonly ConcurrentDictionary<string, (long Bytes, DateTimeOffset Expires)> _deduped = new(StringComparer.Ordinal);

    public void MarkChanged(RepositoryPath repository) => _dirty.TryAdd((repository.Registry, repository.Name), 0);

    public async Task<UsageSummary> ReconcileAsync(string registry, CancellationToken cancellationToken)
    {
        var reader = new RegistryContentReader(storage.ForRegistry(registry));
        var repositories = new List<RepositoryUsageRecord>();
        foreach (var name in await reader.ListRepositoriesAsync(cancellationToken))
        {
            if (await ComputeAsync(reader, name, cancellationToken) is { } record)
            {
                repositories.Add(record);
            }
        }

        var now = time.GetUtcNow();
        return await UpdateAsync(registry, _ => new UsageSummary(registry, now, now, repositories), cancellationToken);
    }

    /// <summary>Recomputes the repositories marked since the last call.</summary>
    public async Task RecomputeChangedAsync(CancellationToken cancellationToken)
    {
        foreach (var key in _dirty.Keys)
        {
            _dirty.TryRemove(key, out _);
            var reader = new RegistryContentReader(storage.ForRegistry(key.Registry));
            var record = await ComputeAsync(reader, key.Repository, cancellationToken);
            await UpdateAsync(key.Registry, current => current with
            {
                UpdatedAt = time.GetUtcNow(),
                Repositories = [.. current.Repositories.Where(r => r.Name != key.Repository).Concat(record is null ? [] : [record]).OrderBy(r => r.Name, StringComparer.Ordinal)],
            }, cancellationToken);
        }
    }

    public async Task<UsageSummary> GetAsync(string registry, CancellationToken cancellationToken) =>
        await ReadAsync(storage.ForRegistry(registry), cancellationToken) is { Summary: { } summary } ? summary : await ReconcileAsync(registry, cancellationToken);

    /// <summary>What the quota is checked against: the stored summary's deduplicated bytes, remembered for a few seconds.</summary>
    public async Task<long> DedupedBytesAsync(string registry, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_deduped.TryGetValue(registry, out var cached) && cached.Expires > now)
        {
            return cached.Bytes;
        }

        var bytes = (await ReadAsync(storage.ForRegistry(registry), cancellationToken)).Summary?.DedupedBytes ?? 0;
        _deduped[registry] = (bytes, now + QuotaCacheLifetime);
        return bytes;
    }

    public async Task<UsageView> ViewAsync(UsageSummary summary, CancellationToken cancellationToken)
    {
        var holders = summary.Repositories.SelectMany(r => r.Blobs.Keys).CountBy(digest => digest, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal);
        var repositories = new List<RepositoryUsageView>();
        foreach (var repository in summary.Repositories)
        {
            var pulls = metadata is null ? PullStatistics.None : await metadata.GetPullsAsync(new RepositoryPath(summary.Registry, repository.Name), cancellationToken);
            repositories.Add(new RepositoryUsageView(
                repository.Name,
                repository.Blobs.Where(blob => holders[blob.Key] == 1).Sum(blob => blob.Value),
                repository.LogicalBytes,
                repository.Tags,
                repository.Manifests,
                pulls.Repository.Count,
                pulls.Repository.LastPulledAt));
        }

        return new UsageView(
            summary.Registry,
            summary.ReconciledAt,
            new StorageFigures(summary.DedupedBytes, summary.Repositories.Sum(r => r.LogicalBytes)),
            summary.Repositories.Count,
            summary.Repositories.Sum(r => r.Tags),
            summary.Repositories.Sum(r => r.Manifests),
            holders.Count,
            repositories);
    }

    /// <summary>Null when the repository holds nothing any more.</summary>
    private static async Task<RepositoryUsageRecord?> ComputeAsync(RegistryContentReader reader, string repository, CancellationToken cancellationToken)
    {
        var content = await reader.ReadAsync(repository, cancellationToken);
        if (content.Manifests.Count == 0 && content.Deleted.Count == 0)
        {
            return null;
        }

        var live = await BlobsOfAsync(reader, content.Manifests.Select(m => (m.Digest, m.Descriptor.MediaType, m.Descriptor.Size)), cancellationToken);
        var held = await BlobsOfAsync(reader, content.Deleted.Select(d => (d.Digest, d.MediaType, d.Size)), cancellationToken);
        foreach (var (digest, size) in live)
        {
            held[digest] = size;
        }

        return new RepositoryUsageRecord(repository, content.Tags.Count, content.Manifests.Count, live.Values.Sum(), held);
    }

    private static async Task<Dictionary<string, long>> BlobsOfAsync(
        RegistryContentReader reader, IEnumerable<(string Digest, string MediaType, long Size)> manifests, CancellationToken cancellationToken)
    {
        var blobs = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (digest, mediaType, size) in manifests)
        {
            blobs[digest] = size;
            foreach (var blob in (await reader.ReferencesAsync(digest, mediaType, cancellationToken)).Blobs)
            {
                blobs[blob.Digest.ToString()] = blob.Size;
            }
        }

        return blobs;
    }

    private async Task<UsageSummary> UpdateAsync(string registry, Func<UsageSummary, UsageSummary> change, CancellationToken cancellationToken)
    {
        var driver = storage.ForRegistry(registry);
        for (var attempt = 1; ; attempt++)
        {
            var (current, etag) = await ReadAsync(driver, cancellationToken);
            var now = time.GetUtcNow();
            var updated = change(current ?? new UsageSummary(registry, now, now, []));
            try
            {
                await driver.WriteAsync(
                    StoragePaths.UsageSummary,
                    JsonSerializer.SerializeToUtf8Bytes(updated, CleanupJson.Default.UsageSummary),
                    StorageCondition.Replacing(etag),
                    cancellationToken);
                _deduped.TryRemove(registry, out _);
                return updated;
            }
            catch (StoragePreconditionFailedException) when (attempt < WriteAttempts)
            {
                await Task.Delay(Random.Shared.Next(1, 10 * attempt), cancellationToken);
            }
        }
    }

    private static async Task<(UsageSummary? Summary, string? ETag)> ReadAsync(IStorageDriver driver, CancellationToken cancellationToken) =>
        await driver.ReadAsync(StoragePaths.UsageSummary, cancellationToken) is { } stored
            ? (JsonSerializer.Deserialize(stored.Content.Span, CleanupJson.Default.UsageSummary), stored.ETag)
            : (null, null);
}

/// <summary>Recomputes changed repositories shortly after their change, and reconciles every registry now and then.</summary>
internal sealed partial class UsageBackgroundService(
    UsageService usage, RegistryNames registries, IOptions<UsageOptions> options, TimeProvider time, ILogger<UsageBackgroundService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextReconcile = time.GetUtcNow() + options.Value.ReconcileInterval;
        using var timer = new PeriodicTimer(options.Value.RecomputeDelay, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await usage.RecomputeChangedAsync(stoppingToken);
                if (time.GetUtcNow() >= nextReconcile)
                {
                    nextReconcile = time.GetUtcNow() + options.Value.ReconcileInterval;
                    foreach (var registry in await registries.ListAsync(stoppingToken))
                    {
                        // Another instance may have reconciled it lately: once per interval is enough.
                        if ((await usage.GetAsync(registry, stoppingToken)).ReconciledAt + options.Value.ReconcileInterval <= time.GetUtcNow())
                        {
                            await usage.ReconcileAsync(registry, stoppingToken);
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogUsageFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Updating storage usage figures failed; retrying at the next interval")]
    private static partial void LogUsageFailed(ILogger logger, Exception exception);
}

/// <summary>The registries of the deployment: one record each in the platform partition.</summary>
internal sealed class RegistryNames(IStorageDriverFactory storage)
{
    public async Task<List<string>> ListAsync(CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await foreach (var name in storage.ForPlatform().ListAsync(StoragePaths.RegistryRecords, cancellationToken))
        {
            if (StoragePaths.RegistryOfRecord(name) is { } registry)
            {
                names.Add(registry);
            }
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }
}
