using System.Net;
using System.Text.Json;

namespace Registry.Scanner.Tests;

/// <summary>A multi-platform index (an OCI layout with two image manifests) copied with <c>skopeo copy --all</c>: a report per platform.</summary>
public sealed class MultiPlatformTests(ScannerFixture fixture) : IClassFixture<ScannerFixture>
{
    private ScannerHost Host => fixture.Host;

    [Fact]
    public async Task Every_platform_of_a_pushed_index_gets_a_report_of_its_own_on_push_and_on_demand()
    {
        var (repository, index, amd64, arm64) = await PushIndexAsync(fixture, "multi");

        var amd64Report = await Host.WaitForReportAsync(amd64);
        var arm64Report = await Host.WaitForReportAsync(arm64);
        Assert.Equal(OciLayout.ManifestType, amd64Report.GetProperty("mediaType").GetString());
        Assert.Equal(OciLayout.ManifestType, arm64Report.GetProperty("mediaType").GetString());
        Assert.Contains(TestData.WsAdvisory, Ids(amd64Report));
        Assert.DoesNotContain(TestData.BracesAdvisory, Ids(amd64Report));
        Assert.DoesNotContain(TestData.WsAdvisory, Ids(arm64Report));
        Assert.Contains(TestData.BracesAdvisory, Ids(arm64Report));
        Assert.Equal("Debian:12", arm64Report.GetProperty("operatingSystem").GetProperty("ecosystem").GetString());
        await Host.Events.WaitForAsync(e => e.Digest == amd64 && e.High >= 1);
        await Host.Events.WaitForAsync(e => e.Digest == arm64 && e.High >= 1);

        // The index itself is no image: it has no report.
        using (var indexReport = await Host.GetReportAsync(index))
        {
            Assert.Equal(HttpStatusCode.NotFound, indexReport.StatusCode);
        }

        // On demand, by tag: one report per platform.
        var reports = await Host.ScanNowAsync(repository, "1");
        Assert.Equal(2, reports.Count);
        Assert.Equal(new[] { amd64, arm64 }.Order(), reports.Select(r => r.GetProperty("digest").GetString()).Order());
        Assert.Contains(TestData.WsAdvisory, Ids(reports.Single(r => r.GetProperty("digest").GetString() == amd64)));
        Assert.Contains(TestData.BracesAdvisory, Ids(reports.Single(r => r.GetProperty("digest").GetString() == arm64)));
    }

    /// <summary>
    /// An index of two Debian 12 images made by hand: amd64 (gzip layer) with ws 8.17.0, arm64 (zstd layer) with ws 8.17.1
    /// and braces 3.0.2; copied with <c>skopeo copy --all</c> as tag <c>1</c> of a new repository.
    /// </summary>
    public static async Task<(string Repository, string Index, string Amd64, string Arm64)> PushIndexAsync(ScannerFixture fixture, string name)
    {
        var layout = fixture.NewLayout(name);
        var amd64 = layout.AddImage([await layout.AddLayerAsync(fixture.NewRoot("amd64").DebianBase().Npm("ws", "8.17.0"), Compression.Gzip)], "amd64");
        var arm64 = layout.AddImage([await layout.AddLayerAsync(fixture.NewRoot("arm64").DebianBase().Npm("ws", "8.17.1").Npm("braces", "3.0.2"), Compression.Zstd)], "arm64");
        var index = layout.AddIndex((amd64, "amd64"), (arm64, "arm64"));
        layout.Tag("multi", index);
        var repository = ScannerFixture.NewRepository(name);

        await fixture.Host.SkopeoCopyAsync(layout, "multi", repository, "1", all: true);
        await fixture.AssertServedAsync(repository, "1", index.Digest);
        return (repository, index.Digest, amd64.Digest, arm64.Digest);
    }

    private static List<string?> Ids(JsonElement report) => report.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("id").GetString()).ToList();
}

/// <summary>
/// One image scanned more than once at the same time — by the push of each of its tags, or by its own push and its
/// index's — still ends with exactly one SBOM and one report attached (the design: "one of each per image").
/// </summary>
public sealed class ConcurrentScanTests(ScannerFixture fixture) : IClassFixture<ScannerFixture>
{
    private ScannerHost Host => fixture.Host;

    [Fact]
    public async Task One_image_pushed_under_two_tags_at_once_ends_with_one_SBOM_and_one_report()
    {
        var layout = fixture.NewLayout("two-tags");
        var image = layout.AddImage([await layout.AddLayerAsync(fixture.VulnerableDebianApp("two-tags"), Compression.Gzip)]);
        layout.Tag("image", image);
        var repository = ScannerFixture.NewRepository("two-tags");

        // As a CI job pushes a build as :<commit> and :latest together.
        await Task.WhenAll(Host.SkopeoCopyAsync(layout, "image", repository, "commit-1"), Host.SkopeoCopyAsync(layout, "image", repository, "latest"));
        await fixture.AssertServedAsync(repository, "commit-1", image.Digest);
        await fixture.AssertServedAsync(repository, "latest", image.Digest);

        var report = await Host.WaitForReportAsync(image.Digest);
        Assert.Contains(report.GetProperty("findings").EnumerateArray(), f => f.GetProperty("id").GetString() == TestData.WsAdvisory);
        await Referrers.WaitForOnePairAsync(Host, repository, image.Digest);
    }

    [Fact]
    public async Task Each_platform_of_a_pushed_index_ends_with_one_SBOM_and_one_report_and_so_after_a_rescan()
    {
        var (repository, _, amd64, arm64) = await MultiPlatformTests.PushIndexAsync(fixture, "index-referrers");
        await Referrers.WaitForOnePairAsync(Host, repository, amd64);
        await Referrers.WaitForOnePairAsync(Host, repository, arm64);

        foreach (var report in await Host.ScanNowAsync(repository, "1"))
        {
            var pair = await Referrers.WaitForOnePairAsync(Host, repository, report.GetProperty("digest").GetString()!);
            Assert.Equal(report.GetProperty("report").GetProperty("digest").GetString(), pair.Report);
        }
    }
}
