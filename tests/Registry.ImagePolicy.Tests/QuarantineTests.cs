using System.Net;

namespace Registry.ImagePolicy.Tests;

/// <summary>
/// <c>quarantine</c> on a host that does not scan on push, so a pushed image stays unscanned until the test scans it:
/// docker pull is refused to the admin user and to <c>AcrPull</c>, allowed to <c>AcrQuarantineReader</c>, and allowed to
/// all once the image is scanned (and passes).
/// </summary>
[Collection(ManualScanCollection.Name)]
public sealed class QuarantineTests(ManualScanHostFixture fixture)
{
    private static readonly TimeSpan PolicyTakesEffect = TimeSpan.FromSeconds(10);

    private RegistryHost Host => fixture.Host;

    [Fact]
    public async Task A_quarantined_image_is_pulled_only_by_an_AcrQuarantineReader_until_a_scan_lets_it_out()
    {
        await Host.SetPolicyAsync("""{"quarantine":true}""");
        var repository = RegistryHost.UniqueRepository("quarantine");
        var image = $"{Host.Host}/{repository}:1";
        await TestImages.BuildAsync(image, vulnerableWs: false);
        try
        {
            var digest = await TestImages.PushAsync(Host.AdminDocker, image);

            var refused = await Host.WaitForManifestAsync(
                HttpMethod.Get, repository, "1", a => a.Status == HttpStatusCode.Forbidden && a.ErrorMessage.Contains("quarantined", StringComparison.Ordinal), PolicyTakesEffect);
            Assert.True(refused.Status == HttpStatusCode.Forbidden, $"GET of the new unscanned image should be 403 under quarantine, was {refused}{Environment.NewLine}{Host.ServerOutput()}");
            Assert.Equal("DENIED", refused.ErrorCode);
            Assert.StartsWith($"{repository}@{digest} is quarantined until its vulnerability scan passes", refused.ErrorMessage, StringComparison.Ordinal);
            Assert.Equal("quarantined", refused.Error!.Value.GetProperty("detail").GetProperty("reason").GetString());
            var head = await Host.RequestManifestAsync(HttpMethod.Head, repository, "1");
            Assert.Equal(HttpStatusCode.Forbidden, head.Status);
            var notScanned = await Host.SendAsync(HttpMethod.Get, $"api/registries/{RegistryHost.RegistryName}/scans/{digest}", null, Host.Admin);
            Assert.True(notScanned.Status == HttpStatusCode.NotFound, $"ScanOnPush=false: the image should have no scan yet, GET scans/{digest} was {notScanned}");

            await Host.AdminDocker.PullRefusedAsync(image, "quarantined, and the admin user is no quarantine reader", "quarantined");

            var quarantineReader = await Host.LoginDockerAsync(await Host.CreateServicePrincipalAsync("AcrQuarantineReader"), "quarantine-reader");
            await quarantineReader.PullAsync(image, "AcrQuarantineReader may pull quarantined images");

            var puller = await Host.LoginDockerAsync(await Host.CreateServicePrincipalAsync("AcrPull"), "puller");
            await puller.PullRefusedAsync(image, "AcrPull is no quarantine reader", "quarantined");

            var scan = await Host.ScanNowAsync(repository, "1");
            var report = Assert.Single(scan.GetProperty("reports").EnumerateArray());
            Assert.Equal(digest, report.GetProperty("digest").GetString());
            Assert.Equal(0, report.GetProperty("summary").GetProperty("total").GetInt32());

            // The verdict is read on every pull: no waiting.
            await Host.AdminDocker.PullAsync(image, "scanned without findings, so out of quarantine");
            await puller.PullAsync(image, "scanned without findings, so out of quarantine");
        }
        finally
        {
            await TestImages.RemoveAsync(image);
        }
    }
}
