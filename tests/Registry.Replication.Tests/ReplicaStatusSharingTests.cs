using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Registry.Replication.Geo;
using Registry.Testing;
using StackExchange.Redis;

namespace Registry.Replication.Tests;

/// <summary>
/// Two replication instances sharing a real Redis: whichever one answers the replications API reports the other's
/// changes in flight and errors too (issue 5: replica status per registry and region, whatever instance is asked).
/// </summary>
public sealed class ReplicaStatusSharingTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static readonly IMeterFactory Meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();

    [Fact]
    public async Task An_instance_reports_what_another_has_in_flight_and_its_error_until_it_succeeds()
    {
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var board = new RedisReplicaStatusBoard(connection);
        var registry = $"reg{Guid.NewGuid():N}"[..20];
        var (working, asked) = (NewStatus(), NewStatus());
        Assert.Equal("Ready", asked.Of(registry, "westeurope").State);

        var inFlight = working.Begin(registry, "westeurope", DateTimeOffset.UtcNow.AddSeconds(-3));
        working.Failed(registry, "westeurope", "westeurope's storage is unreachable");
        await ShareAsync(board, $"working-{registry}", working, $"asked-{registry}", asked);

        var seen = asked.Of(registry, "westeurope");
        Assert.Equal("Failed", seen.State);
        Assert.Equal(1, seen.Pending);
        Assert.True(seen.LagSeconds >= 3, $"lag {seen.LagSeconds} s");
        Assert.Equal("westeurope's storage is unreachable", seen.LastError);
        Assert.Equal("Ready", asked.Of(registry, "eastus").State);

        inFlight.Complete();
        inFlight.Dispose();
        await ShareAsync(board, $"working-{registry}", working, $"asked-{registry}", asked);

        seen = asked.Of(registry, "westeurope");
        Assert.Equal("Ready", seen.State);
        Assert.Equal(0, seen.Pending);
        Assert.NotNull(seen.LastSyncedAt);
    }

    [Fact]
    public async Task The_sharing_service_carries_each_instance_view_to_the_other_and_a_stopped_instance_drops_out()
    {
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var board = new RedisReplicaStatusBoard(connection);
        var registry = $"reg{Guid.NewGuid():N}"[..20];
        var (first, second) = (NewStatus(), NewStatus());
        using var pending = first.Begin(registry, "westeurope", DateTimeOffset.UtcNow);
        var options = Options.Create(new ReplicationOptions { StatusShareInterval = TimeSpan.FromMilliseconds(100) });
        var firstSharing = new ReplicaStatusSharing(first, board, options, TimeProvider.System, NullLogger<ReplicaStatusSharing>.Instance, $"first-{registry}");
        var secondSharing = new ReplicaStatusSharing(second, board, options, TimeProvider.System, NullLogger<ReplicaStatusSharing>.Instance, $"second-{registry}");
        await firstSharing.StartAsync(CancellationToken.None);
        await secondSharing.StartAsync(CancellationToken.None);
        try
        {
            await WaitUntilAsync(() => second.Of(registry, "westeurope") is { State: "Syncing", Pending: 1 }, "the second instance to see the first's change in flight");

            await firstSharing.StopAsync(CancellationToken.None);

            // Its view is kept for five intervals after its last publication, then dropped.
            await WaitUntilAsync(() => second.Of(registry, "westeurope") is { State: "Ready", Pending: 0 }, "the stopped instance's view to expire");
            var instances = await connection.GetDatabase().SetMembersAsync("replication:status-instances");
            Assert.DoesNotContain(instances, member => member == $"first-{registry}");
        }
        finally
        {
            await secondSharing.StopAsync(CancellationToken.None);
            firstSharing.Dispose();
            secondSharing.Dispose();
        }
    }

    private static ReplicationStatus NewStatus() => new(Meters, TimeProvider.System);

    /// <summary>One round of what <see cref="ReplicaStatusSharing"/> does every interval, from one instance to the other.</summary>
    private static async Task ShareAsync(RedisReplicaStatusBoard board, string from, ReplicationStatus source, string to, ReplicationStatus target)
    {
        await board.PublishAsync(new InstanceStatus(from, source.Snapshot()), TimeSpan.FromSeconds(30));
        target.SeeOthers(await board.ReadOthersAsync(to));
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }
}
