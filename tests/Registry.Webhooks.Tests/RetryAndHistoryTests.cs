using System.Net;
using System.Text.Json;
using Registry.Testing;

namespace Registry.Webhooks.Tests;

/// <summary>
/// Retries, the delivery history with every attempt, redelivery, ping, paging and webhook health, against a real
/// receiver process told to fail (503, 404, Retry-After).
/// </summary>
public sealed class RetryAndHistoryTests(DeliveryFixture fixture) : IClassFixture<DeliveryFixture>
{
    private RegistryApi Api => fixture.Api;

    private WebhookReceiverProcess Receiver => fixture.Receiver;

    [Fact]
    public async Task A_delivery_answered_503_is_retried_until_delivered_and_the_history_shows_every_attempt_redacted()
    {
        var (webhook, path, repository) = await fixture.NewWebhookAsync("retry", new ReceiverMode(Status: 503, Body: "busy, come back later"), configure: hook =>
        {
            hook["secret"] = StandaloneFixture.ReceiverSecret;
            hook["customHeaders"] = new Dictionary<string, string> { ["Authorization"] = "Bearer hook-token", ["X-Team"] = "platform" };
        });

        var pushed = await Api.PushAsync(repository, "v1");
        await Receiver.WaitForRequestsAsync(path, 2, StandaloneFixture.Patience);
        await Receiver.SetModeAsync(path, new ReceiverMode());

        var delivery = Assert.Single(await Api.WaitForFinishedAsync(webhook, 1, StandaloneFixture.Patience));
        Assert.Equal("delivered", delivery.GetProperty("status").GetString());
        var attempts = delivery.GetProperty("attempts").EnumerateArray().ToList();
        Assert.InRange(attempts.Count, 3, DeliveryFixture.MaxAttempts);
        Assert.Equal(attempts.Count, delivery.GetProperty("attemptCount").GetInt32());
        Assert.Equal(Enumerable.Range(1, attempts.Count), attempts.Select(attempt => attempt.GetProperty("number").GetInt32()));
        Assert.All(attempts[..^1], attempt =>
        {
            Assert.Equal(503, attempt.GetProperty("response").GetProperty("statusCode").GetInt32());
            Assert.Equal("Service Unavailable", attempt.GetProperty("response").GetProperty("reasonPhrase").GetString());
            Assert.Equal("busy, come back later", attempt.GetProperty("response").GetProperty("body").GetString());
        });
        Assert.Equal(200, attempts[^1].GetProperty("response").GetProperty("statusCode").GetInt32());
        Assert.All(attempts, attempt =>
        {
            var headers = attempt.GetProperty("request").GetProperty("headers");
            Assert.Equal("[redacted]", Header(headers, "X-Registry-Signature"));
            Assert.Equal("[redacted]", Header(headers, "Authorization"));
            Assert.Equal("platform", Header(headers, "X-Team"));
            Assert.Equal(delivery.GetProperty("id").GetString(), Header(headers, "X-Registry-Delivery"));
            Assert.Equal(pushed.Digest, JsonDocument.Parse(attempt.GetProperty("request").GetProperty("body").GetString()!).RootElement
                .GetProperty("target").GetProperty("digest").GetString());
        });
        Assert.Equal("push", delivery.GetProperty("eventRequestMessage").GetProperty("content").GetProperty("action").GetString());
        Assert.Equal("[redacted]", Header(delivery.GetProperty("eventRequestMessage").GetProperty("headers"), "Authorization"));
        Assert.Equal("200", delivery.GetProperty("eventResponseMessage").GetProperty("statusCode").GetString());
        Assert.DoesNotContain("hook-token", delivery.GetRawText(), StringComparison.Ordinal);

        // The subscriber got the real header, and the same delivery id, body and valid signature on every attempt.
        var received = await Receiver.RequestsAsync(path);
        Assert.Equal(attempts.Count, received.Count);
        Assert.All(received, request =>
        {
            Assert.Equal("Bearer hook-token", request.Header("Authorization"));
            Assert.Equal(delivery.GetProperty("id").GetString(), request.Header("X-Registry-Delivery"));
            Assert.Equal(received[0].Body, request.Body);
            Assert.True(request.SignatureValid);
        });
    }

    [Fact]
    public async Task A_subscribers_Retry_After_sets_the_wait_before_the_next_attempt()
    {
        var (webhook, path, repository) = await fixture.NewWebhookAsync("later", new ReceiverMode(Status: 429, RetryAfterSeconds: 1));

        await Api.PushAsync(repository, "v1");
        await Receiver.WaitForRequestsAsync(path, 2, StandaloneFixture.Patience);
        await Receiver.SetModeAsync(path, new ReceiverMode());

        var delivery = Assert.Single(await Api.WaitForFinishedAsync(webhook, 1, StandaloneFixture.Patience));
        Assert.Equal("delivered", delivery.GetProperty("status").GetString());
        var attempts = delivery.GetProperty("attempts").EnumerateArray().ToList();
        Assert.True(attempts.Count >= 3, $"two answers with Retry-After, then success: {attempts.Count} attempts");
        Assert.Equal("1", Header(attempts[0].GetProperty("response").GetProperty("headers"), "Retry-After"));

        // Every attempt answered with Retry-After: 1 was followed by a wait of a second (the backoff alone would be 0.1–0.4 s).
        for (var i = 0; i < attempts.Count - 1; i++)
        {
            if (attempts[i].GetProperty("response").GetProperty("statusCode").GetInt32() != 429)
            {
                continue;
            }

            var ended = attempts[i].GetProperty("startedAt").GetDateTimeOffset().AddMilliseconds(attempts[i].GetProperty("durationMs").GetDouble());
            var next = attempts[i + 1].GetProperty("startedAt").GetDateTimeOffset();
            Assert.True(next - ended >= TimeSpan.FromMilliseconds(950), $"attempt {i + 2} started {(next - ended).TotalMilliseconds:0} ms after attempt {i + 1} ended");
        }
    }

    [Fact]
    public async Task A_4xx_answer_is_final_after_one_attempt()
    {
        var (webhook, path, repository) = await fixture.NewWebhookAsync("gone", new ReceiverMode(Status: 404));

        await Api.PushAsync(repository, "v1");

        var delivery = Assert.Single(await Api.WaitForFinishedAsync(webhook, 1, StandaloneFixture.Patience));
        Assert.Equal("failed", delivery.GetProperty("status").GetString());
        Assert.Equal(1, delivery.GetProperty("attemptCount").GetInt32());
        var reason = delivery.GetProperty("failureReason").GetString()!;
        Assert.Contains("404", reason, StringComparison.Ordinal);
        Assert.EndsWith("not retried", reason, StringComparison.Ordinal);
        AssertNull(delivery, "nextAttemptAt");
        Assert.Equal("404", delivery.GetProperty("eventResponseMessage").GetProperty("statusCode").GetString());
        Assert.Single(await Receiver.RequestsAsync(path));
    }

    [Fact]
    public async Task A_delivery_failed_after_the_last_attempt_can_be_redelivered_with_the_same_id()
    {
        var (webhook, path, repository) = await fixture.NewWebhookAsync("redo", new ReceiverMode(Status: 500));

        var pushed = await Api.PushAsync(repository, "v1");
        var failed = Assert.Single(await Api.WaitForFinishedAsync(webhook, 1, StandaloneFixture.Patience));
        var id = failed.GetProperty("id").GetString()!;
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Equal(DeliveryFixture.MaxAttempts, failed.GetProperty("attemptCount").GetInt32());
        Assert.StartsWith($"gave up after {DeliveryFixture.MaxAttempts} attempts", failed.GetProperty("failureReason").GetString(), StringComparison.Ordinal);
        Assert.Equal(DeliveryFixture.MaxAttempts, (await Receiver.RequestsAsync(path)).Count);

        await Receiver.SetModeAsync(path, new ReceiverMode());
        using var redeliver = await Api.ManageAsync(HttpMethod.Post, $"/{webhook}/events/{id}/redeliver");
        Assert.Equal(HttpStatusCode.Accepted, redeliver.StatusCode);
        var accepted = JsonDocument.Parse(await redeliver.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(id, accepted.GetProperty("id").GetString());
        Assert.Equal("pending", accepted.GetProperty("status").GetString());
        Assert.EndsWith($"/webhooks/{webhook}/events/{id}", redeliver.Headers.Location?.ToString(), StringComparison.Ordinal);

        var delivered = await Api.WaitForEventAsync(webhook, id, delivery => delivery.GetProperty("status").GetString() == "delivered", StandaloneFixture.Patience, "delivered");
        var attempts = delivered.GetProperty("attempts").EnumerateArray().ToList();
        Assert.Equal(DeliveryFixture.MaxAttempts + 1, attempts.Count);
        Assert.Equal(200, attempts[^1].GetProperty("response").GetProperty("statusCode").GetInt32());
        AssertNull(delivered, "failureReason");
        Assert.Single(await Api.EventsAsync(webhook));

        var received = await Receiver.WaitForRequestsAsync(path, DeliveryFixture.MaxAttempts + 1, StandaloneFixture.Patience);
        Assert.All(received, request => Assert.Equal(id, request.Header("X-Registry-Delivery")));
        Assert.All(received, request => Assert.Equal(received[0].Body, request.Body));
        Assert.Equal(pushed.Digest, JsonDocument.Parse(received[^1].Body).RootElement.GetProperty("target").GetProperty("digest").GetString());
    }

    [Fact]
    public async Task Redelivering_an_unknown_delivery_is_404()
    {
        var (webhook, _, _) = await fixture.NewWebhookAsync("nodelivery");
        var id = $"0000000000000000001-{new string('a', 32)}";
        await Problem.AssertAsync(
            await Api.ManageAsync(HttpMethod.Post, $"/{webhook}/events/{id}/redeliver"), HttpStatusCode.NotFound, $"delivery '{id}' of webhook '{webhook}' does not exist");
    }

    [Fact]
    public async Task A_ping_is_delivered_once_answered_with_its_outcome_and_kept_in_the_history()
    {
        var (webhook, path, _) = await fixture.NewWebhookAsync("ping");

        var ping = await Api.ManageOkAsync(HttpMethod.Post, $"/{webhook}/ping");
        Assert.Equal("delivered", ping.GetProperty("status").GetString());
        Assert.Equal(200, ping.GetProperty("statusCode").GetInt32());
        var request = Assert.Single(await Receiver.RequestsAsync(path));
        Assert.Equal("ping", request.Header("X-Registry-Event"));
        Assert.Equal(ping.GetProperty("id").GetString(), request.Header("X-Registry-Delivery"));
        var payload = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal("ping", payload.GetProperty("action").GetString());
        Assert.Equal(["id", "timestamp", "action"], payload.EnumerateObject().Select(property => property.Name));

        var history = Assert.Single(await Api.EventsAsync(webhook));
        Assert.Equal(ping.GetProperty("id").GetString(), history.GetProperty("id").GetString());
        Assert.Equal("delivered", history.GetProperty("status").GetString());

        // A failing subscriber: one attempt, no retry, the answer reported.
        await Receiver.SetModeAsync(path, new ReceiverMode(Status: 500));
        var failed = await Api.ManageOkAsync(HttpMethod.Post, $"/{webhook}/ping");
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Equal(500, failed.GetProperty("statusCode").GetInt32());
        Assert.Equal(1, (await Api.EventAsync(webhook, failed.GetProperty("id").GetString()!)).GetProperty("attemptCount").GetInt32());
        Assert.Equal(2, (await Receiver.RequestsAsync(path)).Count);

        // Pings do not count against the webhook's health.
        var health = (await Api.WebhookAsync(webhook)).GetProperty("properties").GetProperty("health");
        Assert.Equal(0, health.GetProperty("consecutiveFailures").GetInt32());
    }

    [Fact]
    public async Task The_history_is_listed_newest_first_a_page_at_a_time()
    {
        var (webhook, _, _) = await fixture.NewWebhookAsync("pages");
        var pinged = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            pinged.Add((await Api.ManageOkAsync(HttpMethod.Post, $"/{webhook}/ping")).GetProperty("id").GetString()!);
        }

        var pages = new List<List<string>>();
        var first = await Api.ManageOkAsync(HttpMethod.Post, $"/{webhook}/listEvents?top=2");
        pages.Add(Ids(first));
        var next = first.GetProperty("nextLink").GetString();
        while (next is not null)
        {
            Assert.StartsWith($"{RegistryApi.WebhooksPath}/{webhook}/events?top=2&skipToken=", next, StringComparison.Ordinal);
            var page = await Api.OkAsync(HttpMethod.Get, next);
            pages.Add(Ids(page));
            next = Property(page, "nextLink").ValueKind == JsonValueKind.String ? page.GetProperty("nextLink").GetString() : null;
        }

        Assert.Equal([2, 2, 1], pages.Select(page => page.Count));
        Assert.Equal(pinged.AsEnumerable().Reverse(), pages.SelectMany(page => page));
        Assert.Equal(Ids(await Api.ManageOkAsync(HttpMethod.Get, $"/{webhook}/events?top=2")), pages[0]);
    }

    [Fact]
    public async Task Concurrent_pings_are_all_delivered()
    {
        // Every ping stores a batch and deletes it when done, so stored batches come and go all the time side by side.
        var (webhook, path, _) = await fixture.NewWebhookAsync("busy");

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
        {
            var statuses = new List<string>();
            for (var i = 0; i < 50; i++)
            {
                using var response = await Api.ManageAsync(HttpMethod.Post, $"/{webhook}/ping");
                var text = await response.Content.ReadAsStringAsync();
                statuses.Add(response.IsSuccessStatusCode ? JsonDocument.Parse(text).RootElement.GetProperty("status").GetString()! : $"{(int)response.StatusCode} {text}");
            }

            return statuses;
        }));

        Assert.All(outcomes.SelectMany(statuses => statuses), status => Assert.Equal("delivered", status));
        Assert.Equal(2 * 50, (await Receiver.RequestsAsync(path)).Count);
    }

    [Fact]
    public async Task The_history_is_cut_to_the_newest_deliveries_within_the_limit()
    {
        // A webhook's history is cut to Webhooks:HistoryLimit after every 100 deliveries it finishes.
        const int Finished = 100;
        var (webhook, _, _) = await fixture.NewWebhookAsync("trim");
        var pinged = new List<string>();
        for (var i = 0; i < Finished; i++)
        {
            pinged.Add((await Api.ManageOkAsync(HttpMethod.Post, $"/{webhook}/ping")).GetProperty("id").GetString()!);
        }

        List<string> kept = [];
        await Eventually.UntilAsync(
            async () => (kept = (await Api.EventsAsync(webhook)).Select(delivery => delivery.GetProperty("id").GetString()!).ToList()).Count == DeliveryFixture.HistoryLimit,
            StandaloneFixture.Patience,
            () => $"the history of {webhook} cut to {DeliveryFixture.HistoryLimit}; it has {kept.Count}");
        Assert.Equal(pinged.TakeLast(DeliveryFixture.HistoryLimit).Reverse(), kept);
    }

    [Fact]
    public async Task A_redelivered_CloudEvent_is_the_same_CloudEvent()
    {
        var (webhook, path, repository) = await fixture.NewWebhookAsync("cloudredo", new ReceiverMode(Status: 404), configure: hook => hook["payloadFormat"] = "cloudevents");

        await Api.PushAsync(repository, "v1");
        var id = Assert.Single(await Api.WaitForFinishedAsync(webhook, 1, StandaloneFixture.Patience)).GetProperty("id").GetString()!;
        await Receiver.SetModeAsync(path, new ReceiverMode());
        using (var redeliver = await Api.ManageAsync(HttpMethod.Post, $"/{webhook}/events/{id}/redeliver"))
        {
            Assert.Equal(HttpStatusCode.Accepted, redeliver.StatusCode);
        }

        await Api.WaitForEventAsync(webhook, id, delivery => delivery.GetProperty("status").GetString() == "delivered", StandaloneFixture.Patience, "delivered");
        var received = await Receiver.WaitForRequestsAsync(path, 2, StandaloneFixture.Patience);
        Assert.Equal(2, received.Count);
        Assert.Equal(received[0].Body, received[1].Body);
        Assert.All(received, request => Assert.StartsWith("application/cloudevents+json", request.Header("Content-Type"), StringComparison.Ordinal));
        Assert.Equal("1.0", JsonDocument.Parse(received[1].Body).RootElement.GetProperty("specversion").GetString());
    }

    [Fact]
    public async Task A_webhook_failing_delivery_after_delivery_is_flagged_failing_then_disabled_with_a_reason()
    {
        var (webhook, path, repository) = await fixture.NewWebhookAsync("sick", new ReceiverMode(Status: 410));
        Assert.Equal("unknown", Health(await Api.WebhookAsync(webhook)).GetProperty("state").GetString());

        for (var failures = 1; failures < DeliveryFixture.FailingThreshold; failures++)
        {
            await Api.PushAsync(repository, $"v{failures}");
            await Api.WaitForFinishedAsync(webhook, failures, StandaloneFixture.Patience);
            var health = Health(await WebhookOnceAsync(webhook, Failures(failures)));
            Assert.Equal("healthy", health.GetProperty("state").GetString());
            Assert.Equal(failures, health.GetProperty("consecutiveFailures").GetInt32());
        }

        await Api.PushAsync(repository, $"v{DeliveryFixture.FailingThreshold}");
        await Api.WaitForFinishedAsync(webhook, DeliveryFixture.FailingThreshold, StandaloneFixture.Patience);
        var failing = await WebhookOnceAsync(webhook, Failures(DeliveryFixture.FailingThreshold));
        Assert.Equal("failing", Health(failing).GetProperty("state").GetString());
        Assert.Equal(DeliveryFixture.FailingThreshold, Health(failing).GetProperty("consecutiveFailures").GetInt32());
        Assert.Contains("410", Health(failing).GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.Equal("enabled", failing.GetProperty("properties").GetProperty("status").GetString());

        for (var failures = DeliveryFixture.FailingThreshold + 1; failures <= DeliveryFixture.AutoDisableAfter; failures++)
        {
            await Api.PushAsync(repository, $"v{failures}");
            await Api.WaitForFinishedAsync(webhook, failures, StandaloneFixture.Patience);
            await WebhookOnceAsync(webhook, Failures(failures));
        }

        // Disabling follows the health update that reached the limit.
        await WebhookOnceAsync(webhook, Status("disabled"));

        var disabled = await Api.WebhookAsync(webhook);
        Assert.Equal("disabled", disabled.GetProperty("properties").GetProperty("status").GetString());
        var reason = disabled.GetProperty("properties").GetProperty("disabledReason").GetString()!;
        Assert.Contains($"disabled after {DeliveryFixture.AutoDisableAfter} failed deliveries in a row", reason, StringComparison.Ordinal);
        Assert.Contains("410", reason, StringComparison.Ordinal);

        // Disabled: redelivery is refused; enabling clears the reason and deliveries flow (and count as healthy) again.
        var last = (await Api.EventsAsync(webhook))[0].GetProperty("id").GetString();
        await Problem.AssertAsync(
            await Api.ManageAsync(HttpMethod.Post, $"/{webhook}/events/{last}/redeliver"), HttpStatusCode.Conflict, $"webhook '{webhook}' is disabled; enable it first");

        await Receiver.SetModeAsync(path, new ReceiverMode());
        var enabled = await Api.ManageOkAsync(HttpMethod.Patch, "/" + webhook, new { properties = new { status = "enabled" } });
        AssertNull(enabled.GetProperty("properties"), "disabledReason");
        var pushed = await Api.PushAsync(repository, "again");
        var delivered = (await Api.WaitForFinishedAsync(webhook, DeliveryFixture.AutoDisableAfter + 1, StandaloneFixture.Patience))[^1];
        Assert.Equal("delivered", delivered.GetProperty("status").GetString());
        Assert.Equal(pushed.Digest, delivered.GetProperty("eventRequestMessage").GetProperty("content").GetProperty("target").GetProperty("digest").GetString());
        var healthy = Health(await WebhookOnceAsync(webhook, Failures(0)));
        Assert.Equal("healthy", healthy.GetProperty("state").GetString());
        Assert.Equal(0, healthy.GetProperty("consecutiveFailures").GetInt32());
        Assert.Equal(JsonValueKind.String, healthy.GetProperty("lastDeliveredAt").ValueKind);
    }

    [Fact]
    public async Task Failed_deliveries_finishing_at_the_same_time_are_all_counted()
    {
        var (webhook, _, repository) = await fixture.NewWebhookAsync("burst", new ReceiverMode(Status: 404));

        await Task.WhenAll(Enumerable.Range(0, DeliveryFixture.AutoDisableAfter).Select(i => Api.PushAsync(repository, $"v{i}")));
        var failed = await Api.WaitForFinishedAsync(webhook, DeliveryFixture.AutoDisableAfter, StandaloneFixture.Patience);
        Assert.All(failed, delivery => Assert.Equal("failed", delivery.GetProperty("status").GetString()));

        var properties = (await WebhookOnceAsync(webhook, Status("disabled"))).GetProperty("properties");
        Assert.Equal(DeliveryFixture.AutoDisableAfter, properties.GetProperty("health").GetProperty("consecutiveFailures").GetInt32());
        Assert.Equal("disabled", properties.GetProperty("status").GetString());
    }

    private static JsonElement Health(JsonElement webhook) => webhook.GetProperty("properties").GetProperty("health");

    private static Func<JsonElement, bool> Status(string status) => webhook => webhook.GetProperty("properties").GetProperty("status").GetString() == status;

    private static Func<JsonElement, bool> Failures(int count) => webhook => Health(webhook).GetProperty("consecutiveFailures").GetInt32() == count;

    /// <summary>
    /// The webhook once <paramref name="until"/> holds: a delivery's record is saved a moment before the health it
    /// changes, so health is polled rather than read once.
    /// </summary>
    private async Task<JsonElement> WebhookOnceAsync(string webhook, Func<JsonElement, bool> until)
    {
        var current = default(JsonElement);
        await Eventually.UntilAsync(
            async () => until(current = await Api.WebhookAsync(webhook)),
            StandaloneFixture.Patience,
            () => $"webhook {webhook} as expected; it is {current}");
        return current;
    }

    private static List<string> Ids(JsonElement page) => page.GetProperty("value").EnumerateArray().Select(delivery => delivery.GetProperty("id").GetString()!).ToList();

    /// <summary>The property is null or left out.</summary>
    private static void AssertNull(JsonElement element, string name) =>
        Assert.True(Property(element, name).ValueKind is JsonValueKind.Null or JsonValueKind.Undefined, $"'{name}' is {Property(element, name)}");

    /// <summary>The property, or an undefined element when absent (nulls may be left out).</summary>
    private static JsonElement Property(JsonElement element, string name) => element.TryGetProperty(name, out var value) ? value : default;

    private static string? Header(JsonElement headers, string name) =>
        headers.EnumerateObject().FirstOrDefault(header => string.Equals(header.Name, name, StringComparison.OrdinalIgnoreCase)).Value is { ValueKind: JsonValueKind.String } value
            ? value.GetString()
            : null;
}
