using System.Net;
using System.Text.Json;
using Registry.Testing;

namespace Registry.ImagePolicy.Tests;

/// <summary>
/// A push under quarantine raises <c>ImageQuarantined</c>, delivered to a webhook subscribed to the <c>quarantine</c>
/// action (a real receiver process), naming the pushed image; the scan on push then lets the image out.
/// </summary>
public sealed class QuarantineWebhookTests(WebhookHostFixture fixture) : IClassFixture<WebhookHostFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Arrival = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ScanArrives = TimeSpan.FromSeconds(60);

    private WebhookReceiverProcess? _receiver;

    private RegistryHost Host => fixture.Host;

    private WebhookReceiverProcess Receiver => _receiver ?? throw new InvalidOperationException("receiver not started");

    public async Task InitializeAsync() => _receiver = await WebhookReceiverProcess.StartAsync(WebhookReceiverProcess.DefaultDllPath);

    public async Task DisposeAsync()
    {
        if (_receiver is not null)
        {
            await _receiver.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_push_under_quarantine_is_delivered_to_a_quarantine_webhook_with_the_images_digest_repository_and_tag()
    {
        var repository = RegistryHost.UniqueRepository("quarantine-hook");
        var webhook = "quarantine" + Guid.NewGuid().ToString("N")[..8];
        var path = "/" + webhook;
        await Host.ManageAsync(HttpMethod.Put, $"api/registries/{RegistryHost.RegistryName}/webhooks/{webhook}", JsonSerializer.Serialize(new
        {
            properties = new { serviceUri = Receiver.UrlFor(path).ToString(), actions = new[] { "quarantine" }, scope = $"{repository}:*" },
        }));
        var cloudWebhook = "quarantinece" + Guid.NewGuid().ToString("N")[..8];
        var cloudPath = "/" + cloudWebhook;
        await Host.ManageAsync(HttpMethod.Put, $"api/registries/{RegistryHost.RegistryName}/webhooks/{cloudWebhook}", JsonSerializer.Serialize(new
        {
            properties = new { serviceUri = Receiver.UrlFor(cloudPath).ToString(), actions = new[] { "quarantine" }, scope = $"{repository}:*", payloadFormat = "cloudevents" },
        }));
        await Host.SetPolicyAsync("""{"quarantine":true}""");

        var image = $"{Host.Host}/{repository}:v1";
        await TestImages.BuildAsync(image, vulnerableWs: false);
        try
        {
            var digest = await TestImages.PushAsync(Host.AdminDocker, image);

            var received = (await Receiver.WaitForRequestsAsync(path, 1, Arrival))[0];
            Assert.Equal("POST", received.Method);
            Assert.Equal("quarantine", received.Header("X-Registry-Event"));
            using var payload = JsonDocument.Parse(received.Body);
            var root = payload.RootElement;
            Assert.Equal("quarantine", root.GetProperty("action").GetString());
            Assert.True(Guid.TryParse(root.GetProperty("id").GetString(), out _), $"id is a GUID: {received.Body}");
            var target = root.GetProperty("target");
            Assert.Equal(digest, target.GetProperty("digest").GetString());
            Assert.Equal(repository, target.GetProperty("repository").GetString());
            Assert.Equal("v1", target.GetProperty("tag").GetString());
            Assert.Equal("application/vnd.docker.distribution.manifest.v2+json", target.GetProperty("mediaType").GetString());
            Assert.True(target.GetProperty("size").GetInt64() > 0, $"target.size: {received.Body}");

            // The same event as CloudEvents 1.0 (Event Grid's type name for ACR's quarantine event).
            var cloud = (await Receiver.WaitForRequestsAsync(cloudPath, 1, Arrival))[0];
            Assert.StartsWith("application/cloudevents+json", cloud.Header("Content-Type"), StringComparison.Ordinal);
            using var cloudEvent = JsonDocument.Parse(cloud.Body);
            var ce = cloudEvent.RootElement;
            Assert.Equal("1.0", ce.GetProperty("specversion").GetString());
            Assert.Equal("Microsoft.ContainerRegistry.ImageQuarantined", ce.GetProperty("type").GetString());
            Assert.Equal($"{repository}:v1", ce.GetProperty("subject").GetString());
            Assert.Equal(root.GetProperty("id").GetString(), ce.GetProperty("id").GetString());
            Assert.Equal(digest, ce.GetProperty("data").GetProperty("target").GetProperty("digest").GetString());

            // The scan on push passes (no findings): the image is out of quarantine. (The report is stored just before the
            // verdict distribution reads, hence the wait for the manifest too.)
            await Host.WaitForScanAsync(digest, ScanArrives);
            var manifest = await Host.WaitForManifestAsync(HttpMethod.Get, repository, "v1", a => a.Status == HttpStatusCode.OK, TimeSpan.FromSeconds(10));
            Assert.True(manifest.Status == HttpStatusCode.OK, $"after its scan the image should be pullable, GET was {manifest}");
            await Host.AdminDocker.PullAsync(image, "scanned on push without findings");

            // Only the subscribed action arrived at this webhook (the push itself is not a quarantine event).
            var all = await Receiver.RequestsAsync(path);
            Assert.All(all, r => Assert.Equal("quarantine", r.Header("X-Registry-Event")));
            Assert.Single(all);
        }
        finally
        {
            await TestImages.RemoveAsync(image);
        }
    }
}
