using System.Text.Json;
using Registry.Testing;

namespace Registry.Webhooks.Tests;

/// <summary>
/// Principle 3 with real RabbitMQ and the services as separate hosts: an acknowledged push is delivered to its webhook
/// although the broker was down when it was made, the webhooks service was stopped, or it stopped in the middle of
/// retrying.
/// </summary>
[Collection(BusCollection.Name)]
public sealed class BusDurabilityTests(RabbitMqFixture rabbit)
{
    /// <summary>The broker restarting and MassTransit reconnecting take longer than a delivery.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private static readonly IReadOnlyDictionary<string, string?> RetryForLong = new Dictionary<string, string?>
    {
        ["Webhooks:MaxAttempts"] = "50",
        ["Webhooks:MaxRetryDelay"] = "00:00:01",
    };

    [Fact]
    public async Task Pushes_made_while_RabbitMQ_is_down_are_delivered_once_it_is_back()
    {
        await using var platform = await Platform.StartAsync(rabbit);
        var (webhook, _, repository) = await platform.NewWebhookAsync("outage");

        List<PushedManifest> pushed;
        await rabbit.StopAsync();
        try
        {
            pushed = await platform.Registry.PushTagsAsync(repository, 4);
            Assert.True(await platform.OutboxCountAsync() >= pushed.Count, "the events wait in the outbox while the broker is down");
        }
        finally
        {
            await rabbit.StartAsync();
        }

        await AssertAllDeliveredAsync(platform, webhook, pushed);
        await Eventually.UntilAsync(async () => await platform.OutboxCountAsync() == 0, Patience, () => $"the outbox emptied; logs:{Environment.NewLine}{platform.DescribeLogs()}");
    }

    [Fact]
    public async Task Pushes_made_while_the_webhooks_service_is_stopped_wait_in_its_queue_and_are_delivered_by_the_next_instance()
    {
        await using var platform = await Platform.StartAsync(rabbit);
        var (webhook, _, repository) = await platform.NewWebhookAsync("stopped");

        await platform.StopWebhooksAsync();
        var pushed = await platform.Registry.PushTagsAsync(repository, 3);

        await platform.StartWebhooksAsync();
        await AssertAllDeliveredAsync(platform, webhook, pushed);
    }

    [Fact]
    public async Task Deliveries_being_retried_when_the_webhooks_service_stops_are_resumed_by_the_next_instance()
    {
        await using var platform = await Platform.StartAsync(rabbit, RetryForLong);
        var (webhook, path, repository) = await platform.NewWebhookAsync("resume", new ReceiverMode(Status: 503));

        var pushed = await platform.Registry.PushTagsAsync(repository, 3);

        var retrying = await Eventually.GetAsync(
            async () =>
            {
                var events = await platform.Webhooks.EventsAsync(webhook);
                return events.Count == pushed.Count && events.All(delivery => delivery.GetProperty("attemptCount").GetInt32() >= 1) ? events : null;
            },
            Patience,
            () => $"{pushed.Count} deliveries of {webhook} tried once; logs:{Environment.NewLine}{platform.DescribeLogs()}");
        Assert.All(retrying, delivery => Assert.Equal("pending", delivery.GetProperty("status").GetString()));

        await platform.StopWebhooksAsync();
        await platform.Receiver.SetModeAsync(path, new ReceiverMode());
        await platform.StartWebhooksAsync();

        var finished = await platform.Webhooks.WaitForFinishedAsync(webhook, pushed.Count, Patience);
        Assert.Equal(
            retrying.Select(delivery => delivery.GetProperty("id").GetString()).Order(StringComparer.Ordinal),
            finished.Select(delivery => delivery.GetProperty("id").GetString()).Order(StringComparer.Ordinal));
        Assert.All(finished, delivery =>
        {
            Assert.Equal("delivered", delivery.GetProperty("status").GetString());
            var attempts = delivery.GetProperty("attempts").EnumerateArray().ToList();
            Assert.True(attempts.Count >= 2, $"{attempts.Count} attempts: the earlier instance's are kept");
            Assert.Equal(503, attempts[0].GetProperty("response").GetProperty("statusCode").GetInt32());
            Assert.Equal(200, attempts[^1].GetProperty("response").GetProperty("statusCode").GetInt32());
        });
        await AssertAllDeliveredAsync(platform, webhook, pushed);
    }

    /// <summary>Every push reached the receiver (once or more: at-least-once), none is missing, and nothing else came.</summary>
    private static async Task AssertAllDeliveredAsync(Platform platform, string webhook, IReadOnlyList<PushedManifest> pushed)
    {
        var expected = pushed.Select(manifest => manifest.Digest).ToHashSet(StringComparer.Ordinal);
        var received = await Eventually.GetAsync(
            async () =>
            {
                var requests = await platform.Receiver.RequestsAsync(RegistryApi.WebhookPath(webhook));
                return expected.IsSubsetOf(requests.Select(request => Target(request).GetProperty("digest").GetString()!)) ? requests : null;
            },
            Patience,
            () => $"every push delivered to {webhook}; logs:{Environment.NewLine}{platform.DescribeLogs()}");

        Assert.All(received, request => Assert.Equal("push", request.Header("X-Registry-Event")));
        Assert.All(received, request => Assert.Contains(Target(request).GetProperty("digest").GetString()!, expected));
        foreach (var manifest in pushed)
        {
            Assert.Contains(received.Select(Target), target => target.GetProperty("digest").GetString() == manifest.Digest
                && target.GetProperty("tag").GetString() == manifest.Tag
                && target.GetProperty("repository").GetString() == manifest.Repository);
        }
    }

    private static JsonElement Target(ReceivedRequest request) => JsonDocument.Parse(request.Body).RootElement.GetProperty("target").Clone();
}
