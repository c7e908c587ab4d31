using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Registry.Webhooks.Tests;

/// <summary>
/// Pushes and deletes through <c>/v2</c> of the single-process host (auth on, a bearer token) reach a real receiver
/// process as ACR's payloads: every field, the headers, the signature, scope and status filtering, CloudEvents, Helm.
/// </summary>
public sealed class PayloadDeliveryTests(DeliveryFixture fixture) : IClassFixture<DeliveryFixture>
{
    private RegistryApi Api => fixture.Api;

    [Fact]
    public async Task A_push_delivers_exactly_one_ACR_push_payload_with_every_field()
    {
        var (webhook, _, repository) = await fixture.NewWebhookAsync("push", configure: hook =>
        {
            hook["customHeaders"] = new Dictionary<string, string> { ["X-Team"] = "platform", ["X-Env"] = "test" };
            hook["secret"] = StandaloneFixture.ReceiverSecret;
        });

        var before = DateTimeOffset.UtcNow;
        var pushed = await Api.PushAsync(repository, "v1");
        var (request, payload) = await fixture.ReceivedOneAsync(webhook);

        Assert.Equal("POST", request.Method);
        Assert.Equal("push", request.Header("X-Registry-Event"));
        Assert.Equal("platform", request.Header("X-Team"));
        Assert.Equal("test", request.Header("X-Env"));
        Assert.Equal("Registry-Webhooks/1.0", request.Header("User-Agent"));
        Assert.StartsWith("application/json", request.Header("Content-Type"), StringComparison.Ordinal);
        Assert.True(request.SignatureValid, "the receiver verified X-Registry-Signature with the webhook's secret");
        var delivery = Assert.Single(await Api.EventsAsync(webhook));
        Assert.Equal(delivery.GetProperty("id").GetString(), request.Header("X-Registry-Delivery"));
        Assert.Equal("delivered", delivery.GetProperty("status").GetString());

        Assert.True(Guid.TryParse(payload.GetProperty("id").GetString(), out _), "id is a GUID");
        Assert.InRange(payload.GetProperty("timestamp").GetDateTimeOffset(), before.AddSeconds(-5), DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.Equal("push", payload.GetProperty("action").GetString());
        var target = payload.GetProperty("target");
        Assert.Equal(pushed.MediaType, target.GetProperty("mediaType").GetString());
        Assert.Equal(pushed.Size, target.GetProperty("size").GetInt64());
        Assert.Equal(pushed.Digest, target.GetProperty("digest").GetString());
        Assert.Equal(pushed.Size, target.GetProperty("length").GetInt64());
        Assert.Equal(repository, target.GetProperty("repository").GetString());
        Assert.Equal("v1", target.GetProperty("tag").GetString());
        var origin = payload.GetProperty("request");
        Assert.Equal(pushed.RequestId, origin.GetProperty("id").GetString());
        Assert.Equal(Api.Host, origin.GetProperty("host").GetString());
        Assert.Equal("PUT", origin.GetProperty("method").GetString());
        Assert.Equal(RegistryApi.UserAgent, origin.GetProperty("useragent").GetString());
        Assert.Equal($"admin:{TestHost.AdminUsername}", payload.GetProperty("actor").GetProperty("name").GetString()); // the token subject: kind and name
    }

    [Fact]
    public async Task A_tag_delete_delivers_a_delete_naming_the_tag()
    {
        var (webhook, _, repository) = await fixture.NewWebhookAsync("untag", actions: ["delete"]);
        var pushed = await Api.PushAsync(repository, "v1");

        await Api.DeleteManifestAsync(repository, "v1");
        var (request, payload) = await fixture.ReceivedOneAsync(webhook);

        Assert.Equal("delete", request.Header("X-Registry-Event"));
        Assert.Equal("delete", payload.GetProperty("action").GetString());
        var target = payload.GetProperty("target");
        Assert.Equal(repository, target.GetProperty("repository").GetString());
        Assert.Equal("v1", target.GetProperty("tag").GetString());
        Assert.Equal(pushed.Digest, target.GetProperty("digest").GetString());
        Assert.Equal(pushed.MediaType, target.GetProperty("mediaType").GetString());
        Assert.False(target.TryGetProperty("size", out _), "a delete has no size");
        Assert.False(target.TryGetProperty("length", out _), "a delete has no length");
        Assert.Equal("DELETE", payload.GetProperty("request").GetProperty("method").GetString());
    }

    [Fact]
    public async Task A_manifest_delete_by_digest_delivers_a_delete_of_the_digest_also_to_webhooks_scoped_to_its_tag()
    {
        var anyTag = RegistryApi.NewName("bydigest");
        var itsTag = RegistryApi.NewName("bytag");
        var repository = RegistryApi.NewRepository("digest");
        await Api.CreateWebhookAsync(anyTag, fixture.Hook(anyTag, ["delete"], $"{repository}:*"));
        await Api.CreateWebhookAsync(itsTag, fixture.Hook(itsTag, ["delete"], $"{repository}:v1"));
        var pushed = await Api.PushAsync(repository, "v1");

        await Api.DeleteManifestAsync(repository, pushed.Digest);

        foreach (var webhook in new[] { anyTag, itsTag })
        {
            var (_, payload) = await fixture.ReceivedOneAsync(webhook);
            Assert.Equal("delete", payload.GetProperty("action").GetString());
            var target = payload.GetProperty("target");
            Assert.Equal(pushed.Digest, target.GetProperty("digest").GetString());
            Assert.Equal(repository, target.GetProperty("repository").GetString());
            Assert.Equal(pushed.MediaType, target.GetProperty("mediaType").GetString());
            Assert.False(target.TryGetProperty("tag", out _), "a delete by digest names no tag");
            Assert.False(target.TryGetProperty("size", out _), "a delete has no size");
        }
    }

    [Fact]
    public async Task A_repository_delete_delivers_a_delete_naming_only_the_repository_to_any_tag_scopes()
    {
        var (anyTag, _, repository) = await fixture.NewWebhookAsync("repodelete", actions: ["delete"]);
        var itsTag = RegistryApi.NewName("repotag");
        await Api.CreateWebhookAsync(itsTag, fixture.Hook(itsTag, ["delete"], $"{repository}:v1"));
        await Api.PushAsync(repository, "v1");

        await Api.DeleteRepositoryAsync(repository);

        var (request, payload) = await fixture.ReceivedOneAsync(anyTag);
        Assert.Equal("delete", request.Header("X-Registry-Event"));
        Assert.Equal("delete", payload.GetProperty("action").GetString());
        var target = payload.GetProperty("target");
        Assert.Equal([("repository", repository)], target.EnumerateObject().Select(property => (property.Name, property.Value.GetString())));
        Assert.Equal("DELETE", payload.GetProperty("request").GetProperty("method").GetString());

        // A repository delete names no tag: a scope with a tag other than '*' does not match it (it was in the same fan-out).
        Assert.Empty(await Api.EventsAsync(itsTag));
    }

    [Fact]
    public async Task A_scoped_webhook_gets_the_pushes_of_its_repository_only()
    {
        var prefix = "scope" + Guid.NewGuid().ToString("N")[..10];
        var scoped = RegistryApi.NewName("app");
        var everything = RegistryApi.NewName("all");
        await Api.CreateWebhookAsync(scoped, fixture.Hook(scoped, ["push"], $"{prefix}/app:*"));
        await Api.CreateWebhookAsync(everything, fixture.Hook(everything, ["push"], $"{prefix}/*:*"));

        var other = await Api.PushAsync($"{prefix}/other", "v1");
        var app = await Api.PushAsync($"{prefix}/app", "v1");
        var appByDigest = await Api.PushAsync($"{prefix}/app", tag: null);

        // The catch-all webhook received all three: every event has been fanned out by then.
        var all = await fixture.ReceivedAsync(everything, 3);
        Assert.Equal(
            new[] { other.Digest, app.Digest, appByDigest.Digest }.Order(StringComparer.Ordinal),
            all.Select(request => Target(request).GetProperty("digest").GetString()).Order(StringComparer.Ordinal));

        var received = await fixture.ReceivedAsync(scoped, 2);
        Assert.All(received, request => Assert.Equal($"{prefix}/app", Target(request).GetProperty("repository").GetString()));
        Assert.Equal(
            new[] { app.Digest, appByDigest.Digest }.Order(StringComparer.Ordinal),
            received.Select(request => Target(request).GetProperty("digest").GetString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_disabled_webhook_gets_nothing_until_it_is_enabled_again()
    {
        var (disabled, _, repository) = await fixture.NewWebhookAsync("off", configure: hook => hook["status"] = "disabled");
        Assert.Equal("disabled", (await Api.WebhookAsync(disabled)).GetProperty("properties").GetProperty("status").GetString());
        var sentinel = RegistryApi.NewName("on");
        await Api.CreateWebhookAsync(sentinel, fixture.Hook(sentinel, ["push"], $"{repository}:*"));

        await Api.PushAsync(repository, "v1");
        await fixture.ReceivedAsync(sentinel, 1);
        Assert.Empty(await Api.EventsAsync(disabled));

        // A ping is sent to a disabled webhook too (to test it before enabling it).
        Assert.Equal("delivered", (await Api.ManageOkAsync(HttpMethod.Post, $"/{disabled}/ping")).GetProperty("status").GetString());

        var enabled = await Api.ManageOkAsync(HttpMethod.Patch, "/" + disabled, new { properties = new { status = "enabled" } });
        Assert.Equal("enabled", enabled.GetProperty("properties").GetProperty("status").GetString());
        Assert.Equal($"{repository}:*", enabled.GetProperty("properties").GetProperty("scope").GetString());
        var second = await Api.PushAsync(repository, "v2");

        var received = await fixture.ReceivedAsync(disabled, 2);
        Assert.Equal(["ping", "push"], received.Select(request => request.Header("X-Registry-Event")));
        var target = JsonDocument.Parse(received[1].Body).RootElement.GetProperty("target");
        Assert.Equal("v2", target.GetProperty("tag").GetString());
        Assert.Equal(second.Digest, target.GetProperty("digest").GetString());
    }

    [Fact]
    public async Task The_signature_is_valid_with_the_webhooks_secret_only_and_absent_without_one()
    {
        var (signed, _, repository) = await fixture.NewWebhookAsync("signed", configure: hook => hook["secret"] = StandaloneFixture.ReceiverSecret);
        var wrong = RegistryApi.NewName("wrong");
        var wrongHook = fixture.Hook(wrong, ["push"], $"{repository}:*");
        wrongHook["secret"] = "not-the-receivers-secret";
        await Api.CreateWebhookAsync(wrong, wrongHook);
        var unsigned = RegistryApi.NewName("unsigned");
        await Api.CreateWebhookAsync(unsigned, fixture.Hook(unsigned, ["push"], $"{repository}:*"));
        Assert.True((await Api.WebhookAsync(signed)).GetProperty("properties").GetProperty("signingSecretSet").GetBoolean());
        Assert.False((await Api.WebhookAsync(unsigned)).GetProperty("properties").GetProperty("signingSecretSet").GetBoolean());

        await Api.PushAsync(repository, "v1");

        var (good, _) = await fixture.ReceivedOneAsync(signed);
        Assert.True(good.SignatureValid);
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(StandaloneFixture.ReceiverSecret), Encoding.UTF8.GetBytes(good.Body)));
        Assert.Equal(expected, good.Header("X-Registry-Signature"));

        var (bad, _) = await fixture.ReceivedOneAsync(wrong);
        Assert.False(bad.SignatureValid);
        Assert.Matches("^sha256=[0-9a-f]{64}$", bad.Header("X-Registry-Signature"));

        var (none, _) = await fixture.ReceivedOneAsync(unsigned);
        Assert.Null(none.Header("X-Registry-Signature"));
        Assert.Null(none.SignatureValid);
    }

    [Fact]
    public async Task A_CloudEvents_webhook_gets_a_structured_CloudEvent_carrying_the_ACR_payload()
    {
        var (webhook, _, repository) = await fixture.NewWebhookAsync("cloud", configure: hook => hook["payloadFormat"] = "CloudEvents");
        Assert.Equal("cloudevents", (await Api.WebhookAsync(webhook)).GetProperty("properties").GetProperty("payloadFormat").GetString());

        var pushed = await Api.PushAsync(repository, "v1");
        var (request, cloudEvent) = await fixture.ReceivedOneAsync(webhook);

        Assert.StartsWith("application/cloudevents+json", request.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal("1.0", cloudEvent.GetProperty("specversion").GetString());
        Assert.Equal("Microsoft.ContainerRegistry.ImagePushed", cloudEvent.GetProperty("type").GetString());
        Assert.Equal($"/registries/{TestHost.Registry}", cloudEvent.GetProperty("source").GetString());
        Assert.Equal($"{repository}:v1", cloudEvent.GetProperty("subject").GetString());
        Assert.Equal("application/json", cloudEvent.GetProperty("datacontenttype").GetString());
        var data = cloudEvent.GetProperty("data");
        Assert.Equal(cloudEvent.GetProperty("id").GetString(), data.GetProperty("id").GetString());
        Assert.Equal(cloudEvent.GetProperty("time").GetDateTimeOffset(), data.GetProperty("timestamp").GetDateTimeOffset());
        Assert.Equal("push", data.GetProperty("action").GetString());
        Assert.Equal(pushed.Digest, data.GetProperty("target").GetProperty("digest").GetString());
        Assert.Equal(pushed.Size, data.GetProperty("target").GetProperty("length").GetInt64());
        Assert.Equal(pushed.RequestId, data.GetProperty("request").GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_Helm_chart_push_delivers_chart_push_to_chart_subscribers_and_push_to_image_subscribers()
    {
        var charts = RegistryApi.NewName("charts");
        var images = RegistryApi.NewName("images");
        var repository = $"helm{Guid.NewGuid().ToString("N")[..10]}/mychart";
        await Api.CreateWebhookAsync(charts, fixture.Hook(charts, ["chart_push"], $"{repository}:*"));
        await Api.CreateWebhookAsync(images, fixture.Hook(images, ["push"], $"{repository}:*"));

        var pushed = await Api.PushAsync(repository, "0.1.0", RegistryApi.HelmConfig, RegistryApi.HelmChartLayer);

        var (chartRequest, chart) = await fixture.ReceivedOneAsync(charts);
        Assert.Equal("chart_push", chartRequest.Header("X-Registry-Event"));
        Assert.Equal("chart_push", chart.GetProperty("action").GetString());
        var target = chart.GetProperty("target");
        Assert.Equal("mychart", target.GetProperty("name").GetString());
        Assert.Equal("0.1.0", target.GetProperty("version").GetString());
        Assert.Equal("0.1.0", target.GetProperty("tag").GetString());
        Assert.Equal(repository, target.GetProperty("repository").GetString());
        Assert.Equal(pushed.Digest, target.GetProperty("digest").GetString());
        Assert.Equal(pushed.Size, target.GetProperty("size").GetInt64());
        Assert.Equal(pushed.MediaType, target.GetProperty("mediaType").GetString());

        var (_, image) = await fixture.ReceivedOneAsync(images);
        Assert.Equal("push", image.GetProperty("action").GetString());
        Assert.Equal(pushed.Digest, image.GetProperty("target").GetProperty("digest").GetString());
        Assert.NotEqual(chart.GetProperty("id").GetString(), image.GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_custom_Content_Type_replaces_the_default_and_the_signature_still_holds()
    {
        var (webhook, _, repository) = await fixture.NewWebhookAsync("ctype", configure: hook =>
        {
            hook["customHeaders"] = new Dictionary<string, string> { ["Content-Type"] = "application/vnd.example.event+json" };
            hook["secret"] = StandaloneFixture.ReceiverSecret;
        });

        var pushed = await Api.PushAsync(repository, "v1");

        var (request, payload) = await fixture.ReceivedOneAsync(webhook);
        Assert.Equal("application/vnd.example.event+json", request.Header("Content-Type"));
        Assert.True(request.SignatureValid);
        Assert.Equal(pushed.Digest, payload.GetProperty("target").GetProperty("digest").GetString());
    }

    [Fact]
    public async Task Get_callback_config_shows_where_deliveries_go_and_their_headers()
    {
        var webhook = RegistryApi.NewName("config");
        var hook = fixture.Hook(webhook, ["push"]);
        hook["customHeaders"] = new Dictionary<string, string> { ["Authorization"] = "Bearer hook-token" };
        hook["secret"] = "never-shown";
        var created = await Api.CreateWebhookAsync(webhook, hook);
        Assert.DoesNotContain("never-shown", created.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("hook-token", created.GetRawText(), StringComparison.Ordinal);

        using var response = await Api.ManageAsync(HttpMethod.Post, $"/{webhook}/getCallbackConfig");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var config = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(hook["serviceUri"], config.GetProperty("serviceUri").GetString());
        Assert.Equal("Bearer hook-token", config.GetProperty("customHeaders").GetProperty("Authorization").GetString());
        Assert.DoesNotContain("never-shown", config.GetRawText(), StringComparison.Ordinal);
    }

    private static JsonElement Target(Testing.ReceivedRequest request) => JsonDocument.Parse(request.Body).RootElement.GetProperty("target").Clone();
}
