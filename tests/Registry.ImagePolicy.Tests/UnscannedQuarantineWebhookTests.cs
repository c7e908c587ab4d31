using System.Net;
using System.Text.Json;
using Registry.Testing;

namespace Registry.ImagePolicy.Tests;

/// <summary>
/// docs/api.md: under quarantine "the push raises <c>ImageQuarantined</c>, delivered to webhooks subscribed to the
/// <c>quarantine</c> action". On a host that does not scan on push the image is held in quarantine just the same — and
/// that is exactly when a subscriber (an external scanner) must hear of it.
/// </summary>
[Collection(ManualScanCollection.Name)]
public sealed class UnscannedQuarantineWebhookTests(ManualScanHostFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Arrival = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PolicyTakesEffect = TimeSpan.FromSeconds(10);

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
    public async Task With_scan_on_push_off_a_push_held_in_quarantine_is_still_delivered_to_a_quarantine_webhook()
    {
        var repository = RegistryHost.UniqueRepository("quarantine-noscan");
        var webhook = "noscan" + Guid.NewGuid().ToString("N")[..8];
        var path = "/" + webhook;
        // Subscribed to push too: its delivery shows this host delivers webhooks at all.
        await Host.ManageAsync(HttpMethod.Put, $"api/registries/{RegistryHost.RegistryName}/webhooks/{webhook}", JsonSerializer.Serialize(new
        {
            properties = new { serviceUri = Receiver.UrlFor(path).ToString(), actions = new[] { "push", "quarantine" }, scope = $"{repository}:*" },
        }));
        await Host.SetPolicyAsync("""{"quarantine":true}""");

        var image = $"{Host.Host}/{repository}:1";
        await TestImages.BuildAsync(image, vulnerableWs: false);
        try
        {
            var digest = await TestImages.PushAsync(Host.AdminDocker, image);
            var held = await Host.WaitForManifestAsync(
                HttpMethod.Get, repository, "1", a => a.Status == HttpStatusCode.Forbidden && a.ErrorMessage.Contains("quarantined", StringComparison.Ordinal), PolicyTakesEffect);
            Assert.True(held.Status == HttpStatusCode.Forbidden, $"the unscanned image should be held in quarantine, GET was {held}");

            await Receiver.WaitForRequestsAsync(path, 1, Arrival);
            IReadOnlyList<ReceivedRequest> both;
            try
            {
                both = await Receiver.WaitForRequestsAsync(path, 2, Arrival);
            }
            catch (TimeoutException)
            {
                both = await Receiver.RequestsAsync(path);
            }

            var actions = both.Select(r => r.Header("X-Registry-Event")).ToList();
            Assert.Contains("push", actions);
            var quarantine = both.FirstOrDefault(r => r.Header("X-Registry-Event") == "quarantine");
            Assert.True(
                quarantine is not null,
                $"{repository}@{digest} is held in quarantine (pull refused: \"{held.ErrorMessage}\"), yet within {Arrival.TotalSeconds:0} s the webhook " +
                $"subscribed to push and quarantine received only [{string.Join(", ", actions)}]: no ImageQuarantined was raised with Scanner:ScanOnPush=false");
            using var payload = JsonDocument.Parse(quarantine.Body);
            Assert.Equal(digest, payload.RootElement.GetProperty("target").GetProperty("digest").GetString());
        }
        finally
        {
            await Host.SetPolicyAsync("{}");
            await TestImages.RemoveAsync(image);
        }
    }
}
