using System.Text.Json;
using Registry.Testing;

namespace Registry.Webhooks.Tests;

/// <summary>
/// Subscribers that are down or slow: deliveries to a stopped receiver are retried until it is back; a slow subscriber
/// holds up only its own deliveries.
/// </summary>
public sealed class SubscriberOutageTests(PatientFixture fixture) : IClassFixture<PatientFixture>
{
    private RegistryApi Api => fixture.Api;

    [Fact]
    public async Task Deliveries_to_a_stopped_subscriber_fail_with_an_error_and_arrive_once_it_is_back()
    {
        // A receiver of this test's own: stopping it disturbs no other test.
        await using var receiver = await WebhookReceiverProcess.StartAsync(WebhookReceiverProcess.DefaultDllPath);
        var (webhook, path, repository) = await TestWebhook.CreateAsync(Api, receiver, "down");
        await receiver.StopAsync();

        var pushed = await Api.PushAsync(repository, "v1");
        var id = await Api.WaitForFirstDeliveryIdAsync(webhook, StandaloneFixture.Patience);
        var failing = await Api.WaitForEventAsync(webhook, id, delivery => delivery.GetProperty("attemptCount").GetInt32() >= 2, StandaloneFixture.Patience, "tried twice");
        Assert.Equal("pending", failing.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.String, failing.GetProperty("nextAttemptAt").ValueKind);
        Assert.False(string.IsNullOrEmpty(failing.GetProperty("failureReason").GetString()), "the reason of the last failure is shown");

        await receiver.RestartAsync();
        var delivered = await Api.WaitForEventAsync(webhook, id, delivery => delivery.GetProperty("status").GetString() == "delivered", StandaloneFixture.Patience, "delivered");

        var attempts = delivered.GetProperty("attempts").EnumerateArray().ToList();
        Assert.True(attempts.Count >= 3, $"{attempts.Count} attempts");
        Assert.All(attempts[..^1], attempt =>
        {
            Assert.False(string.IsNullOrEmpty(attempt.GetProperty("error").GetString()), "a failed connection is recorded with its error");
            Assert.False(attempt.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object, "no response while the subscriber is down");
        });
        Assert.Equal(200, attempts[^1].GetProperty("response").GetProperty("statusCode").GetInt32());
        var request = Assert.Single(await receiver.RequestsAsync(path));
        Assert.Equal(id, request.Header("X-Registry-Delivery"));
        Assert.Equal(pushed.Digest, JsonDocument.Parse(request.Body).RootElement.GetProperty("target").GetProperty("digest").GetString());
    }

    [Fact]
    public async Task An_attempt_unanswered_within_the_timeout_fails_as_such_and_is_retried()
    {
        // A host of its own with a short limit per attempt; the fixture's receiver answers this path only after 5 s.
        var root = Directory.CreateTempSubdirectory("registry-webhooks-timeout-").FullName;
        try
        {
            await using var host = await TestHost.StandaloneAsync(Path.Combine(root, "data"), new Dictionary<string, string?>
            {
                ["Webhooks:Timeout"] = "00:00:00.500",
                ["Webhooks:MaxAttempts"] = "2",
            });
            using var api = host.CreateApi();
            var (webhook, path, repository) = await fixture.NewWebhookAsync("mute", new ReceiverMode(DelayMs: 5000), api: api);

            await api.PushAsync(repository, "v1");

            var delivery = Assert.Single(await api.WaitForFinishedAsync(webhook, 1, StandaloneFixture.Patience));
            Assert.Equal("failed", delivery.GetProperty("status").GetString());
            Assert.Equal("gave up after 2 attempts: no response within 0.5 s", delivery.GetProperty("failureReason").GetString());
            var attempts = delivery.GetProperty("attempts").EnumerateArray().ToList();
            Assert.Equal(2, attempts.Count);
            Assert.All(attempts, attempt => Assert.Equal("no response within 0.5 s", attempt.GetProperty("error").GetString()));
            Assert.Equal(2, (await fixture.Receiver.WaitForRequestsAsync(path, 2, StandaloneFixture.Patience)).Count);
        }
        finally
        {
            TestDirectories.TryDelete(root);
        }
    }

    [Fact]
    public async Task A_slow_subscriber_does_not_hold_up_another_webhooks_deliveries()
    {
        const int Pushes = 4;
        var (slow, slowPath, repository) = await fixture.NewWebhookAsync("slow", new ReceiverMode(DelayMs: 5000));
        var quick = RegistryApi.NewName("quick");
        await Api.CreateWebhookAsync(quick, fixture.Hook(quick, ["push"], $"{repository}:*"));

        var pushed = await Api.PushTagsAsync(repository, Pushes);

        var quickReceived = await fixture.ReceivedAsync(quick, Pushes);
        var slowHistory = await Api.WaitForFinishedAsync(slow, Pushes, StandaloneFixture.Patience);

        var digests = pushed.Select(manifest => manifest.Digest).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(digests, quickReceived.Select(Digest).Order(StringComparer.Ordinal));
        Assert.Equal(digests, (await fixture.Receiver.RequestsAsync(slowPath)).Select(Digest).Order(StringComparer.Ordinal));
        Assert.All(slowHistory, delivery => Assert.Equal("delivered", delivery.GetProperty("status").GetString()));

        // Every quick delivery had arrived before the slow subscriber answered any of its requests.
        var firstSlowAnswer = slowHistory.Select(delivery => delivery.GetProperty("attempts")[0])
            .Min(attempt => attempt.GetProperty("startedAt").GetDateTimeOffset().AddMilliseconds(attempt.GetProperty("durationMs").GetDouble()));
        var lastQuickArrival = quickReceived.Max(request => request.ReceivedAt);
        Assert.True(lastQuickArrival < firstSlowAnswer, $"the last quick delivery arrived at {lastQuickArrival:HH:mm:ss.fff}, the slow subscriber first answered at {firstSlowAnswer:HH:mm:ss.fff}");
    }

    private static string Digest(ReceivedRequest request) =>
        JsonDocument.Parse(request.Body).RootElement.GetProperty("target").GetProperty("digest").GetString()!;
}
