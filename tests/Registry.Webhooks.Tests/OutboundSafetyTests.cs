using System.Net;
using System.Text.Json;

namespace Registry.Webhooks.Tests;

/// <summary>
/// Outbound safety as in production (<c>Webhooks:AllowPrivateNetworks</c> off): an internal IP literal is refused when
/// the webhook is made; a host name that resolves inwards is refused when a delivery connects, final and explained.
/// </summary>
public sealed class OutboundSafetyTests(SafetyFixture fixture) : IClassFixture<SafetyFixture>
{
    private RegistryApi Api => fixture.Api;

    [Theory]
    [InlineData("http://127.0.0.1:{port}/hook", "127.0.0.1 is a loopback address")]
    [InlineData("http://[::1]:{port}/hook", "::1 is a loopback address")]
    [InlineData("http://10.0.0.5/hook", "10.0.0.5 is a private address")]
    [InlineData("https://192.168.1.20/hook", "192.168.1.20 is a private address")]
    [InlineData("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address")]
    [InlineData("http://100.64.0.7/hook", "100.64.0.7 is a shared (carrier-grade NAT) address")]
    [InlineData("http://[fd00::7]/hook", "fd00::7 is a private address")]
    public async Task A_webhook_to_an_internal_IP_literal_is_refused_with_the_reason(string serviceUri, string reason)
    {
        var name = RegistryApi.NewName("inward");
        var uri = serviceUri.Replace("{port}", fixture.Receiver.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        var detail = await Problem.AssertAsync(
            await Api.ManageAsync(HttpMethod.Put, "/" + name, new { properties = new { serviceUri = uri, actions = new[] { "push" } } }),
            HttpStatusCode.BadRequest,
            $"'serviceUri' is refused: {reason}");
        Assert.Contains("Webhooks:AllowPrivateNetworks", detail, StringComparison.Ordinal);
        await Problem.AssertAsync(await Api.ManageAsync(HttpMethod.Get, "/" + name), HttpStatusCode.NotFound, $"webhook '{name}' does not exist");
    }

    [Fact]
    public async Task A_webhook_cannot_be_moved_to_an_internal_IP_literal()
    {
        var name = RegistryApi.NewName("moved");
        await Api.CreateWebhookAsync(name, new { serviceUri = "https://hooks.example.com/x", actions = new[] { "push" } });

        await Problem.AssertAsync(
            await Api.ManageAsync(HttpMethod.Patch, "/" + name, new { properties = new { serviceUri = fixture.Receiver.UrlFor("/moved").ToString() } }),
            HttpStatusCode.BadRequest,
            "127.0.0.1 is a loopback address");
        Assert.Equal("https://hooks.example.com/x", (await Api.ManageOkAsync(HttpMethod.Post, $"/{name}/getCallbackConfig")).GetProperty("serviceUri").GetString());
    }

    [Fact]
    public async Task A_host_name_resolving_to_loopback_is_accepted_but_its_deliveries_are_refused_once_and_explained()
    {
        // The receiver listens at 127.0.0.1 on that port: were the guard not there, the request would reach it.
        var (webhook, path, repository) = await fixture.NewWebhookAsync(
            "dns", configure: hook => hook["serviceUri"] = ((string)hook["serviceUri"]!).Replace("//127.0.0.1:", "//localhost:", StringComparison.Ordinal));
        Assert.StartsWith("http://localhost:", (await Api.ManageOkAsync(HttpMethod.Post, $"/{webhook}/getCallbackConfig")).GetProperty("serviceUri").GetString(), StringComparison.Ordinal);

        await Api.PushAsync(repository, "v1");

        var delivery = Assert.Single(await Api.WaitForFinishedAsync(webhook, 1, StandaloneFixture.Patience));
        Assert.Equal("failed", delivery.GetProperty("status").GetString());
        var attempt = Assert.Single(delivery.GetProperty("attempts").EnumerateArray());
        Assert.False(attempt.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object, "a refused delivery has no response");
        var error = attempt.GetProperty("error").GetString()!;
        Assert.Contains("deliveries to 'localhost' are refused", error, StringComparison.Ordinal);
        Assert.Contains("loopback", error, StringComparison.Ordinal);
        var reason = delivery.GetProperty("failureReason").GetString()!;
        Assert.StartsWith(error, reason, StringComparison.Ordinal);
        Assert.EndsWith("not retried", reason, StringComparison.Ordinal);

        var ping = await Api.ManageOkAsync(HttpMethod.Post, $"/{webhook}/ping");
        Assert.Equal("failed", ping.GetProperty("status").GetString());
        Assert.Contains("refused", ping.GetProperty("error").GetString(), StringComparison.Ordinal);

        Assert.Empty(await fixture.Receiver.RequestsAsync(path));
    }
}
