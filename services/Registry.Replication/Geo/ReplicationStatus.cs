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
    private volatile IReadOnlyList<InstanceStatus> _others = [];

    public ReplicationStatus(IMeterFactory meters, TimeProvider time)
    {
        _time = time;
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("registry.replication.pending", () => Measure(p => p.Pending), "{change}", "Changes not yet replicated to the region");
        meter.CreateObservableGauge("registry.replication.lag", () => Measure(p => LagOf(p.OldestPending)), "s", "Age of the oldest change not yet replicated to the region");
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

    /// <summary>
    /// The replica's progress as every instance sees it: this instance's changes in flight and those the others shared
    /// last (<see cref="ReplicaStatusSharing"/>), the latest error and the latest success of any of them.
    /// </summary>
    public ReplicaProgress Of(string registry, string region)
    {
        var views = _others
            .SelectMany(other => other.Replicas)
            .Where(replica => replica.Registry == registry && replica.Region == region)
            .ToList();
        if (_replicas.TryGetValue((registry, region), out var local))
        {
            views.Add(SnapshotOf(registry, region, local));
        }

        if (views.Count == 0)
        {
            return new ReplicaProgress("Ready", 0, 0, null, null, null, null);
        }

        var pending = views.Sum(view => view.Pending);
        var oldest = views.Min(view => view.OldestPending);
        var lastError = views.Where(view => view.LastErrorAt is not null).MaxBy(view => view.LastErrorAt);
        var lastSynced = views.Max(view => view.LastSyncedAt);
        var state = FailedSinceSynced(lastError?.LastErrorAt, lastSynced) ? "Failed" : pending == 0 ? "Ready" : "Syncing";
        return new ReplicaProgress(state, LagOf(oldest), pending, oldest, lastError?.LastError, lastError?.LastErrorAt, lastSynced);
    }

    /// <summary>This instance's own view of every replica it has worked on, to share with the other instances.</summary>
    public IReadOnlyList<ReplicaSnapshot> Snapshot() =>
        [.. _replicas.Select(entry => SnapshotOf(entry.Key.Registry, entry.Key.Region, entry.Value))];

    /// <summary>What the other instances shared last; replaces what they shared before.</summary>
    public void SeeOthers(IReadOnlyList<InstanceStatus> others) => _others = others;

    private static ReplicaSnapshot SnapshotOf(string registry, string region, Replica replica)
    {
        var pending = replica.Pending.Values.ToList(); // one snapshot: the dictionary empties concurrently
        lock (replica)
        {
            return new ReplicaSnapshot(
                registry, region, pending.Count, pending.Count == 0 ? null : pending.Min(), replica.LastError, replica.LastErrorAt, replica.LastSyncedAt);
        }
    }

    /// <summary>Failed when the last attempt failed and nothing succeeded since.</summary>
    private static bool FailedSinceSynced(DateTimeOffset? lastErrorAt, DateTimeOffset? lastSyncedAt) =>
        lastErrorAt is { } failed && (lastSyncedAt is not { } synced || synced < failed);

    private double LagOf(DateTimeOffset? oldestPending) =>
        oldestPending is { } at ? Math.Round(Math.Max(0, (_time.GetUtcNow() - at).TotalSeconds), 3) : 0;

    /// <summary>Each instance's metrics count its own changes in flight; the other instances emit theirs.</summary>
    private IEnumerable<Measurement<T>> Measure<T>(Func<ReplicaSnapshot, T> value)
        where T : struct =>
        Snapshot().Select(snapshot => new Measurement<T>(value(snapshot), Tags(snapshot.Registry, snapshot.Region)));

    private static KeyValuePair<string, object?>[] Tags(string registry, string region) => [new("registry", registry), new("region", region)];

    internal sealed class Replica
    {
        public ConcurrentDictionary<Guid, DateTimeOffset> Pending { get; } = new();

        public string? LastError { get; set; }

        public DateTimeOffset? LastErrorAt { get; set; }

        public DateTimeOffset? LastSyncedAt { get; set; }

        public bool IsFailed => FailedSinceSynced(LastErrorAt, LastSyncedAt);
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
