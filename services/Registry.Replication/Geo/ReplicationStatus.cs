using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Registry.Replication.Geo;

/// <summary>What this instance knows of each (registry, region) replica's progress.</summary>
internal sealed record ReplicaProgress(string State, double LagSeconds, int Pending, DateTimeOffset? OldestPending, string? LastError, DateTimeOffset? LastErrorAt, DateTimeOffset? LastSyncedAt);

/// <summary>
/// Replication's progress per registry and region: the changes in flight (the oldest one is the lag), the last error and
/// the last success. Published as metrics (<c>registry.replication.pending</c>, <c>registry.replication.lag</c>) and
/// shown by the replications API. Ready when nothing is pending, syncing while something is, failed when the last
/// attempt failed and nothing succeeded since.
/// </summary>
internal sealed class ReplicationStatus
{
    public const string MeterName = "Registry.Replication";

    private readonly ConcurrentDictionary<(string Registry, string Region), Replica> _replicas = new();
    private readonly TimeProvider _time;

    public ReplicationStatus(IMeterFactory meters, TimeProvider time)
    {
        _time = time;
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("registry.replication.pending", () => Measure(p => p.Pending), "{change}", "Changes not yet replicated to the region");
        meter.CreateObservableGauge("registry.replication.lag", () => Measure(p => p.LagSeconds), "s", "Age of the oldest change not yet replicated to the region");
        Synced = meter.CreateCounter<long>("registry.replication.synced", "{change}", "Changes replicated to a region");
        Failures = meter.CreateCounter<long>("registry.replication.failures", "{attempt}", "Replication attempts that failed");
        LagHistogram = meter.CreateHistogram<double>("registry.replication.duration", "s", "From the change acknowledged in its region to it landing in another");
    }

    private Counter<long> Synced { get; }

    private Counter<long> Failures { get; }

    private Histogram<double> LagHistogram { get; }

    /// <summary>A change of <paramref name="registry"/> (acknowledged at <paramref name="occurredAt"/>) starts replicating to <paramref name="region"/>.</summary>
    public Tracking Begin(string registry, string region, DateTimeOffset occurredAt)
    {
        var replica = _replicas.GetOrAdd((registry, region), _ => new Replica());
        var id = Guid.NewGuid();
        replica.Pending[id] = occurredAt;
        return new Tracking(this, registry, region, replica, id, occurredAt);
    }

    public void Failed(string registry, string region, string error)
    {
        var replica = _replicas.GetOrAdd((registry, region), _ => new Replica());
        lock (replica)
        {
            replica.LastError = error;
            replica.LastErrorAt = _time.GetUtcNow();
        }

        Failures.Add(1, Tags(registry, region));
    }

    public void Succeeded(string registry, string region)
    {
        var replica = _replicas.GetOrAdd((registry, region), _ => new Replica());
        lock (replica)
        {
            replica.LastSyncedAt = _time.GetUtcNow();
        }
    }

    public bool HasFailed(string registry, string region) => _replicas.TryGetValue((registry, region), out var replica) && replica.IsFailed;

    public ReplicaProgress Of(string registry, string region)
    {
        var now = _time.GetUtcNow();
        if (!_replicas.TryGetValue((registry, region), out var replica))
        {
            return new ReplicaProgress("Ready", 0, 0, null, null, null, null);
        }

        var pending = replica.Pending.Values.ToList(); // one snapshot: the dictionary empties concurrently
        var oldest = pending.Count == 0 ? (DateTimeOffset?)null : pending.Min();
        var lag = oldest is { } at ? Math.Max(0, (now - at).TotalSeconds) : 0;
        var state = replica.IsFailed ? "Failed" : pending.Count == 0 ? "Ready" : "Syncing";
        return new ReplicaProgress(state, Math.Round(lag, 3), pending.Count, oldest, replica.LastError, replica.LastErrorAt, replica.LastSyncedAt);
    }

    private IEnumerable<Measurement<T>> Measure<T>(Func<ReplicaProgress, T> value)
        where T : struct =>
        _replicas.Keys.Select(key => new Measurement<T>(value(Of(key.Registry, key.Region)), Tags(key.Registry, key.Region)));

    private static KeyValuePair<string, object?>[] Tags(string registry, string region) => [new("registry", registry), new("region", region)];

    internal sealed class Replica
    {
        public ConcurrentDictionary<Guid, DateTimeOffset> Pending { get; } = new();

        public string? LastError { get; set; }

        public DateTimeOffset? LastErrorAt { get; set; }

        public DateTimeOffset? LastSyncedAt { get; set; }

        public bool IsFailed => LastErrorAt is { } failed && (LastSyncedAt is not { } synced || synced < failed);
    }

    /// <summary>One change in flight to one region; disposing without <see cref="Complete"/> leaves it counted as failed-pending until retried.</summary>
    public sealed class Tracking(ReplicationStatus owner, string registry, string region, Replica replica, Guid id, DateTimeOffset occurredAt) : IDisposable
    {
        public void Complete()
        {
            owner.Succeeded(registry, region);
            owner.Synced.Add(1, Tags(registry, region));
            owner.LagHistogram.Record(Math.Max(0, (owner._time.GetUtcNow() - occurredAt).TotalSeconds), Tags(registry, region));
        }

        public void Dispose() => replica.Pending.TryRemove(id, out _);
    }
}
