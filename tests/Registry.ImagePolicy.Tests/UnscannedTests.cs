using System.Net;

namespace Registry.ImagePolicy.Tests;

/// <summary><c>blockUnscanned</c> on a host that does not scan on push: refused until scanned on demand.</summary>
[Collection(ManualScanCollection.Name)]
public sealed class UnscannedTests(ManualScanHostFixture fixture)
{
    private static readonly TimeSpan PolicyTakesEffect = TimeSpan.FromSeconds(10);

    private RegistryHost Host => fixture.Host;

    [Fact]
    public async Task BlockUnscanned_refuses_docker_pull_of_an_unscanned_image_until_it_is_scanned_on_demand()
    {
        var set = await Host.SetPolicyAsync("""{"blockUnscanned":true}""");
        Assert.True(set.GetProperty("blockUnscanned").GetBoolean());
        Assert.False(set.GetProperty("quarantine").GetBoolean());
        var repository = RegistryHost.UniqueRepository("unscanned");
        var image = $"{Host.Host}/{repository}:1";
        await TestImages.BuildAsync(image, vulnerableWs: false);
        try
        {
            var digest = await TestImages.PushAsync(Host.AdminDocker, image);

            var refused = await Host.WaitForManifestAsync(
                HttpMethod.Get, repository, "1", a => a.Status == HttpStatusCode.Forbidden && a.ErrorMessage.Contains("not been scanned", StringComparison.Ordinal), PolicyTakesEffect);
            Assert.True(refused.Status == HttpStatusCode.Forbidden, $"GET of the unscanned image should be 403 under blockUnscanned, was {refused}{Environment.NewLine}{Host.ServerOutput()}");
            Assert.Equal("DENIED", refused.ErrorCode);
            Assert.StartsWith($"{repository}@{digest} has not been scanned yet", refused.ErrorMessage, StringComparison.Ordinal);
            Assert.Equal("unscanned", refused.Error!.Value.GetProperty("detail").GetProperty("reason").GetString());

            await Host.AdminDocker.PullRefusedAsync(image, "never scanned, and the policy refuses unscanned images", "not been scanned");

            var scan = await Host.ScanNowAsync(repository, digest);
            Assert.Equal(digest, Assert.Single(scan.GetProperty("reports").EnumerateArray()).GetProperty("digest").GetString());

            await Host.AdminDocker.PullAsync(image, "scanned on demand");
        }
        finally
        {
            await TestImages.RemoveAsync(image);
        }
    }
}
