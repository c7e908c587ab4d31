using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Registry.Distribution.Core;
using Registry.Oci;
using Registry.Storage;

namespace Registry.Distribution.Metadata;

/// <summary>
/// Pull counts gathered in memory and merged into each repository's <see cref="StoragePaths.PullStatistics"/> document
/// by compare-and-swap on its ETag, so every instance adds its own counts and none is lost when two flush at once.
/// A count that cannot be written stays pending for the next flush. Readers see the stored counts plus this
/// instance's pending ones.
/// </summary>
internal sealed partial class PullStatisticsRecorder(IStorageDriverFactory storage, TimeProvider time, ILogger<PullStatisticsRecorder> logger)
{
    private const int MaxAttempts = 16;

    private readonly ConcurrentDictionary<RepositoryPath, Pending> _pending = new();

    public void Record(RepositoryPath repository, string? tag, Digest manifest)
    {
        var at = time.GetUtcNow();
        var pending = _pending.GetOrAdd(repository, _ => new Pending());
        lock (pending)
        {
            pending.Delta = Merge(pending.Delta, One(tag, manifest.ToString(), at));
        }
    }

    /// <summary>The stored statistics with this instance's pending counts added (waits for a flush of the repository in progress).</summary>
    public async Task<PullStatistics> GetAsync(RepositoryPath repository, CancellationToken cancellationToken)
    {
        var pending = _pending.GetOrAdd(repository, _ => new Pending());
        await pending.Writing.WaitAsync(cancellationToken);
        try
        {
            var (stored, _) = await ReadAsync(repository, cancellationToken);
            lock (pending)
            {
                return Merge(stored ?? PullStatistics.None, pending.Delta);
            }
        }
        finally
        {
            pending.Writing.Release();
        }
    }

    /// <summary>Drops what is pending for a deleted repository.</summary>
    public void Forget(RepositoryPath repository) => _pending.TryRemove(repository, out _);

    /// <summary>Merges every repository's pending counts into storage.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        foreach (var (repository, pending) in _pending)
        {
            await pending.Writing.WaitAsync(cancellationToken);
            try
            {
                PullStatistics delta;
                lock (pending)
                {
                    delta = pending.Delta;
                }

                if (delta.Repository.Count == 0)
                {
                    continue;
                }

                await WriteAsync(repository, delta, cancellationToken);
                lock (pending)
                {
                    pending.Delta = Subtract(pending.Delta, delta);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFlushFailed(logger, ex, repository.ToString());
            }
            finally
            {
                pending.Writing.Release();
            }
        }
    }

    private async Task WriteAsync(RepositoryPath repository, PullStatistics delta, CancellationToken cancellationToken)
    {
        var driver = storage.ForRegistry(repository.Registry);
        var path = StoragePaths.PullStatistics(repository.Name);
        for (var attempt = 1; ; attempt++)
        {
            var (stored, etag) = await ReadAsync(repository, cancellationToken);
            var merged = Merge(stored ?? PullStatistics.None, delta);
            try
            {
                await driver.WriteAsync(path, JsonSerializer.SerializeToUtf8Bytes(merged, MetadataJson.Default.PullStatistics), StorageCondition.Replacing(etag), cancellationToken);
                return;
            }
            catch (StoragePreconditionFailedException) when (attempt < MaxAttempts)
            {
                await Task.Delay(Random.Shared.Next(1, 5 * attempt), cancellationToken);
            }
        }
    }

    private async Task<(PullStatistics? Statistics, string? ETag)> ReadAsync(RepositoryPath repository, CancellationToken cancellationToken)
    {
        var stored = await storage.ForRegistry(repository.Registry).ReadAsync(StoragePaths.PullStatistics(repository.Name), cancellationToken);
        return stored is null ? (null, null) : (JsonSerializer.Deserialize(stored.Content.Span, MetadataJson.Default.PullStatistics), stored.ETag);
    }

    private static PullStatistics One(string? tag, string manifest, DateTimeOffset at)
    {
        var record = new PullRecord(1, at);
        return new PullStatistics(
            record,
            tag is null ? new Dictionary<string, PullRecord>() : new Dictionary<string, PullRecord>(StringComparer.Ordinal) { [tag] = record },
            new Dictionary<string, PullRecord>(StringComparer.Ordinal) { [manifest] = record });
    }

    /// <summary>Counts add up; the last pull is the later one.</summary>
    internal static PullStatistics Merge(PullStatistics a, PullStatistics b) =>
        new(Add(a.Repository, b.Repository), Combine(a.Tags, b.Tags, Add), Combine(a.Manifests, b.Manifests, Add));

    /// <summary>What was pending less what was flushed; the last pull time stays unless nothing is left.</summary>
    private static PullStatistics Subtract(PullStatistics a, PullStatistics b) =>
        new(Less(a.Repository, b.Repository), Prune(Combine(a.Tags, b.Tags, Less)), Prune(Combine(a.Manifests, b.Manifests, Less)));

    private static PullRecord Add(PullRecord a, PullRecord b) =>
        new(a.Count + b.Count, a.LastPulledAt is null || b.LastPulledAt > a.LastPulledAt ? b.LastPulledAt : a.LastPulledAt);

    private static PullRecord Less(PullRecord a, PullRecord b) =>
        a.Count - b.Count <= 0 ? PullRecord.None : a with { Count = a.Count - b.Count };

    private static Dictionary<string, PullRecord> Combine(
        IReadOnlyDictionary<string, PullRecord> a, IReadOnlyDictionary<string, PullRecord> b, Func<PullRecord, PullRecord, PullRecord> combine)
    {
        var result = new Dictionary<string, PullRecord>(a, StringComparer.Ordinal);
        foreach (var (key, value) in b)
        {
            result[key] = combine(result.GetValueOrDefault(key) ?? PullRecord.None, value);
        }

        return result;
    }

    private static Dictionary<string, PullRecord> Prune(Dictionary<string, PullRecord> records) =>
        records.Where(pair => pair.Value.Count > 0).ToDictionary(StringComparer.Ordinal);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pull statistics of {Repository} not flushed; kept for the next flush")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception, string repository);

    private sealed class Pending
    {
        public PullStatistics Delta { get; set; } = PullStatistics.None;

        public SemaphoreSlim Writing { get; } = new(1, 1);
    }
}

/// <summary>Flushes pull statistics every <see cref="DistributionOptions.PullStatisticsFlushInterval"/>, and once more on shutdown.</summary>
internal sealed class PullStatisticsFlusher(PullStatisticsRecorder recorder, IOptions<DistributionOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PullStatisticsFlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await recorder.FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await recorder.FlushAsync(cancellationToken);
    }
}
