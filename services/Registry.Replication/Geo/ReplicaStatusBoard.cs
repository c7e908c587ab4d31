using System.Text.Json;
using Microsoft.Extensions.Options;
using Registry.Messaging;
using StackExchange.Redis;

namespace Registry.Replication.Geo;

/// <summary>One instance's view of one replica, as it shares it with the other instances.</summary>
internal sealed record ReplicaSnapshot(
    string Registry, string Region, int Pending, DateTimeOffset? OldestPending, string? LastError, DateTimeOffset? LastErrorAt, DateTimeOffset? LastSyncedAt);

/// <summary>Everything one replication instance knows of the replicas' progress.</summary>
internal sealed record InstanceStatus(string Instance, IReadOnlyList<ReplicaSnapshot> Replicas);

/// <summary>
/// Where replication instances leave their view of the replicas' progress for each other, so that whichever instance
/// answers the replications API reports every instance's changes in flight and errors, not only its own.
/// </summary>
internal interface IReplicaStatusBoard
{
    Task PublishAsync(InstanceStatus status, TimeSpan timeToLive);

    /// <summary>The views the other live instances published last.</summary>
    Task<IReadOnlyList<InstanceStatus>> ReadOthersAsync(string self);
}

/// <summary>
/// The board in the platform's Redis: one key per instance that expires unless published again, so an instance that
/// stops drops out, and a set naming the instances. Like every Redis key here it is never the only copy of anything:
/// a flush costs the other instances' views until their next publication.
/// </summary>
internal sealed class RedisReplicaStatusBoard(IConnectionMultiplexer redis) : IReplicaStatusBoard
{
    private const string KeyPrefix = "replication:status:";
    private const string InstancesKey = "replication:status-instances";

    public async Task PublishAsync(InstanceStatus status, TimeSpan timeToLive)
    {
        var database = redis.GetDatabase();
        await database.StringSetAsync(KeyPrefix + status.Instance, JsonSerializer.SerializeToUtf8Bytes(status, GeoJson.Default.InstanceStatus), timeToLive);
        await database.SetAddAsync(InstancesKey, status.Instance);
    }

    public async Task<IReadOnlyList<InstanceStatus>> ReadOthersAsync(string self)
    {
        var database = redis.GetDatabase();
        var others = (await database.SetMembersAsync(InstancesKey)).Select(member => member.ToString()).Where(instance => instance != self).ToArray();
        if (others.Length == 0)
        {
            return [];
        }

        var values = await database.StringGetAsync(others.Select(instance => (RedisKey)(KeyPrefix + instance)).ToArray());
        var statuses = new List<InstanceStatus>(others.Length);
        var gone = new List<RedisValue>();
        for (var i = 0; i < others.Length; i++)
        {
            if (values[i].IsNull)
            {
                gone.Add(others[i]);
            }
            else if (JsonSerializer.Deserialize((byte[])values[i]!, GeoJson.Default.InstanceStatus) is { } status)
            {
                statuses.Add(status);
            }
        }

        if (gone.Count > 0)
        {
            await database.SetRemoveAsync(InstancesKey, [.. gone]);
        }

        return statuses;
    }
}

/// <summary>
/// Publishes this instance's view every <see cref="ReplicationOptions.StatusShareInterval"/> and takes in the others';
/// registered only when the instances share a Redis. A board that cannot be reached leaves each instance its own view.
/// </summary>
internal sealed partial class ReplicaStatusSharing(
    ReplicationStatus status,
    IReplicaStatusBoard board,
    IOptions<ReplicationOptions> options,
    TimeProvider time,
    ILogger<ReplicaStatusSharing> logger,
    string? instance = null) : BackgroundService
{
    private readonly string _instance = instance ?? EventSources.ThisProcess.InstanceId;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.StatusShareInterval;
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await board.PublishAsync(new InstanceStatus(_instance, status.Snapshot()), interval * 5);
                status.SeeOthers(await board.ReadOthersAsync(_instance));
                failing = false;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or JsonException)
            {
                status.SeeOthers([]);
                if (!failing)
                {
                    LogShareFailed(logger, ex);
                    failing = true;
                }
            }

            try
            {
                await Task.Delay(interval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replication status cannot be shared with the other instances; each reports its own until it can")]
    private static partial void LogShareFailed(ILogger logger, Exception exception);
}
