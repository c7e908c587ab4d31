using System.Net;

namespace Registry.ImagePolicy.Tests;

/// <summary>
/// "Every image scanned before is rescanned" after an advisory import: an image that passed <c>blockSeverity</c> with
/// an empty database is refused once the advisory matching its ws 8.17.0 arrives — without pushing or scanning it again.
/// </summary>
[Collection(ManualScanCollection.Name)]
public sealed class RescanTests(ManualScanHostFixture fixture)
{
    private static readonly TimeSpan PolicyTakesEffect = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RescanArrives = TimeSpan.FromSeconds(45);

    private RegistryHost Host => fixture.Host;

    [Fact]
    public async Task An_image_scanned_clean_is_blocked_once_an_advisory_matching_it_is_imported()
    {
        await Host.SetPolicyAsync("""{"blockSeverity":"HIGH"}""");
        var repository = RegistryHost.UniqueRepository("rescan");
        var image = $"{Host.Host}/{repository}:1";
        await TestImages.BuildAsync(image, vulnerableWs: true);
        try
        {
            var digest = await TestImages.PushAsync(Host.AdminDocker, image);
            var database = await Host.ManageAsync(HttpMethod.Get, "api/vulnerabilities");
            Assert.True(database.GetProperty("advisories").GetInt32() == 0, $"this host's database should hold no advisory before the import: {database}");
            var first = Assert.Single((await Host.ScanNowAsync(repository, "1")).GetProperty("reports").EnumerateArray());
            Assert.Equal(0, first.GetProperty("summary").GetProperty("total").GetInt32());
            var clean = await Host.WaitForManifestAsync(HttpMethod.Get, repository, "1", a => a.Status == HttpStatusCode.OK, PolicyTakesEffect);
            Assert.True(clean.Status == HttpStatusCode.OK, $"scanned without findings, the image should pass blockSeverity HIGH; GET was {clean}");
            await Host.AdminDocker.PullAsync(image, "no advisory known yet");

            await Host.ImportAdvisoryAsync(TestImages.AdvisoryFile);

            var blocked = await Host.WaitForManifestAsync(HttpMethod.Get, repository, "1", a => a.Status == HttpStatusCode.Forbidden, RescanArrives);
            Assert.True(
                blocked.Status == HttpStatusCode.Forbidden,
                $"after the import the image should be rescanned and refused within {RescanArrives.TotalSeconds:0} s; GET was {blocked}{Environment.NewLine}{Host.ServerOutput()}");
            Assert.Equal("DENIED", blocked.ErrorCode);
            Assert.Contains($"{TestImages.AdvisoryId} (HIGH) in ws 8.17.0", blocked.ErrorMessage, StringComparison.Ordinal);
            var report = await Host.WaitForScanAsync(digest, TimeSpan.FromSeconds(5));
            Assert.Contains(report.GetProperty("findings").EnumerateArray(), f => f.GetProperty("id").GetString() == TestImages.AdvisoryId);

            await Host.AdminDocker.PullRefusedAsync(image, "rescanned with the new advisory", TestImages.AdvisoryId, "blocked by the registry's image policy");
        }
        finally
        {
            await Host.SetPolicyAsync("{}");
            await TestImages.RemoveAsync(image);
        }
    }
}
