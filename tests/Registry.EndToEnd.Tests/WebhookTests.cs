using System.Text.Json;
using Registry.Testing;

namespace Registry.EndToEnd.Tests;

/// <summary>
/// A real <c>docker push</c> to the registry process reaches a real HTTP receiver process as ACR's webhook payload:
/// every field checked against what was pushed, the custom header and the HMAC signature checked by the receiver.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class WebhookTests(RegistryFixture registry) : IAsyncLifetime
{
    private const string Secret = "e2e-webhook-signing-secret";
    private static readonly TimeSpan Arrival = TimeSpan.FromSeconds(60);

    private WebhookReceiverProcess? _receiver;

    private WebhookReceiverProcess Receiver => _receiver ?? throw new InvalidOperationException("receiver not started");

    public async Task InitializeAsync() => _receiver = await WebhookReceiverProcess.StartAsync(WebhookReceiverProcess.DefaultDllPath, secret: Secret);

    public async Task DisposeAsync()
    {
        if (_receiver is not null)
        {
            await _receiver.DisposeAsync();
        }
    }

    [Fact]
    public async Task Docker_push_delivers_exactly_the_ACR_push_payload_signed_and_with_the_custom_header()
    {
        var repository = RegistryFixture.UniqueRepository("webhook");
        var webhook = "e2epush" + Guid.NewGuid().ToString("N")[..8];
        var path = $"/{webhook}";
        await registry.ManageAsync(HttpMethod.Put, $"/webhooks/{webhook}", new
        {
            properties = new
            {
                serviceUri = Receiver.UrlFor(path).ToString(),
                actions = new[] { "push", "delete" },
                scope = $"{repository}:*",
                customHeaders = new Dictionary<string, string> { ["X-Team"] = "platform" },
                secret = Secret,
            },
        });

        var image = $"{registry.Host}/{repository}:v1";
        await registry.Docker("tag", RegistryFixture.TinyImage1, image);
        try
        {
            var pushedDigest = DockerTests.PushedDigest(await registry.Docker("push", image));
            var manifest = await registry.GetManifestAsync(repository, "v1");

            var received = Assert.Single(await Receiver.WaitForRequestsAsync(path, 1, Arrival));
            Assert.Equal("POST", received.Method);
            Assert.True(received.SignatureValid, "the receiver could not verify X-Registry-Signature with the webhook's secret");
            Assert.Equal("platform", received.Header("X-Team"));
            Assert.Equal("push", received.Header("X-Registry-Event"));
            Assert.StartsWith("application/json", received.Header("Content-Type"), StringComparison.Ordinal);

            using var payload = JsonDocument.Parse(received.Body);
            var root = payload.RootElement;
            Assert.True(Guid.TryParse(root.GetProperty("id").GetString(), out _), "id is a GUID");
            Assert.Equal("push", root.GetProperty("action").GetString());
            Assert.InRange(root.GetProperty("timestamp").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
            var target = root.GetProperty("target");
            Assert.Equal(manifest.MediaType, target.GetProperty("mediaType").GetString());
            Assert.Equal(pushedDigest, target.GetProperty("digest").GetString());
            Assert.Equal(manifest.Content.Length, target.GetProperty("size").GetInt64());
            Assert.Equal(manifest.Content.Length, target.GetProperty("length").GetInt64());
            Assert.Equal(repository, target.GetProperty("repository").GetString());
            Assert.Equal("v1", target.GetProperty("tag").GetString());
            var request = root.GetProperty("request");
            Assert.Equal("PUT", request.GetProperty("method").GetString());
            Assert.Equal(registry.Host, request.GetProperty("host").GetString());
            Assert.Contains("docker/", request.GetProperty("useragent").GetString(), StringComparison.Ordinal);
            Assert.False(string.IsNullOrEmpty(request.GetProperty("id").GetString()), "request.id is set");
            Assert.Contains(registry.Admin.Username, root.GetProperty("actor").GetProperty("name").GetString(), StringComparison.Ordinal);

            // The history has the delivery, delivered on its first attempt, with the secret-bearing headers redacted.
            var events = await registry.ManageAsync(HttpMethod.Get, $"/webhooks/{webhook}/events");
            var delivery = Assert.Single(events.GetProperty("value").EnumerateArray());
            Assert.Equal("delivered", delivery.GetProperty("status").GetString());
            Assert.Equal(received.Header("X-Registry-Delivery"), delivery.GetProperty("id").GetString());
            Assert.Equal("[redacted]", delivery.GetProperty("eventRequestMessage").GetProperty("headers").GetProperty("X-Registry-Signature").GetString());
            Assert.Equal("200", delivery.GetProperty("eventResponseMessage").GetProperty("statusCode").GetString());

            // A ping goes after it on the same webhook; by the time it is answered no second push delivery came.
            var ping = await registry.ManageAsync(HttpMethod.Post, $"/webhooks/{webhook}/ping");
            Assert.Equal("delivered", ping.GetProperty("status").GetString());
            var all = await Receiver.RequestsAsync(path);
            Assert.Single(all, r => r.Header("X-Registry-Event") == "push");
        }
        finally
        {
            await RegistryFixture.Quietly("docker", "rmi", image);
            await registry.ManageAsync(HttpMethod.Delete, $"/webhooks/{webhook}");
        }
    }

    [Fact]
    public async Task Deleting_a_tag_with_skopeo_delivers_a_delete_event_and_a_webhook_out_of_scope_gets_nothing()
    {
        var repository = RegistryFixture.UniqueRepository("webhook-del");
        var inScope = "e2edel" + Guid.NewGuid().ToString("N")[..8];
        var outOfScope = "e2eoth" + Guid.NewGuid().ToString("N")[..8];
        await registry.ManageAsync(HttpMethod.Put, $"/webhooks/{inScope}", new
        {
            properties = new { serviceUri = Receiver.UrlFor($"/{inScope}").ToString(), actions = new[] { "delete" }, scope = $"{repository}:*" },
        });
        await registry.ManageAsync(HttpMethod.Put, $"/webhooks/{outOfScope}", new
        {
            properties = new { serviceUri = Receiver.UrlFor($"/{outOfScope}").ToString(), actions = new[] { "push", "delete" }, scope = "elsewhere/*:*" },
        });

        var image = $"{registry.Host}/{repository}:gone";
        await registry.Docker("tag", RegistryFixture.TinyImage2, image);
        try
        {
            var pushedDigest = DockerTests.PushedDigest(await registry.Docker("push", image));
            await registry.Skopeo("delete", "--tls-verify=false", "--creds", registry.Admin.Creds, $"docker://{registry.Host}/{repository}@{pushedDigest}");

            var received = Assert.Single(await Receiver.WaitForRequestsAsync($"/{inScope}", 1, Arrival));
            using var payload = JsonDocument.Parse(received.Body);
            Assert.Equal("delete", payload.RootElement.GetProperty("action").GetString());
            Assert.Equal(pushedDigest, payload.RootElement.GetProperty("target").GetProperty("digest").GetString());
            Assert.Equal(repository, payload.RootElement.GetProperty("target").GetProperty("repository").GetString());
            Assert.Equal("DELETE", payload.RootElement.GetProperty("request").GetProperty("method").GetString());

            // The out-of-scope webhook answers a ping (so it is reachable) and has received nothing else.
            Assert.Equal("delivered", (await registry.ManageAsync(HttpMethod.Post, $"/webhooks/{outOfScope}/ping")).GetProperty("status").GetString());
            var other = Assert.Single(await Receiver.RequestsAsync($"/{outOfScope}"));
            Assert.Equal("ping", other.Header("X-Registry-Event"));
        }
        finally
        {
            await RegistryFixture.Quietly("docker", "rmi", image);
            await registry.ManageAsync(HttpMethod.Delete, $"/webhooks/{inScope}");
            await registry.ManageAsync(HttpMethod.Delete, $"/webhooks/{outOfScope}");
        }
    }
}
