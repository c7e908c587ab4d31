using System.Text.Json;

namespace Registry.Scanner.Tests;

/// <summary>
/// Images of several layers built as OCI layouts by hand (a gzip base, a zstd upper layer made by the zstd tool) and
/// pushed with skopeo: the report reflects the final filesystem, and layers scanned once come from the cache.
/// </summary>
public sealed class LayerTests(ScannerFixture fixture) : IClassFixture<ScannerFixture>
{
    private ScannerHost Host => fixture.Host;

    [Fact]
    public async Task An_upper_zstd_layer_that_upgrades_ws_and_whites_out_the_deps_file_leaves_neither_finding()
    {
        var repository = ScannerFixture.NewRepository("whiteout");
        var upper = fixture.NewRoot("upper").Npm("ws", "8.17.1").Whiteout("app/App.deps.json");
        var digest = await fixture.PushImageAsync(repository, "1", (fixture.VulnerableDebianApp("base"), Compression.Gzip), (upper, Compression.Zstd));

        var report = await Host.WaitForReportAsync(digest);
        var findings = report.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("id").GetString()).ToList();
        Assert.DoesNotContain(TestData.WsAdvisory, findings);
        Assert.DoesNotContain(TestData.NewtonsoftAdvisory, findings);
        Assert.Equal("Debian:12", report.GetProperty("operatingSystem").GetProperty("ecosystem").GetString());
        Assert.Equal(2, report.GetProperty("layersScanned").GetInt32() + report.GetProperty("layersFromCache").GetInt32());

        // ws is still there, as the upper layer has it; the deleted deps file's package is not.
        var purls = Purls(await Referrers.SbomAsync(Host, repository, digest));
        Assert.Contains("pkg:npm/ws@8.17.1", purls);
        Assert.DoesNotContain("pkg:npm/ws@8.17.0", purls);
        Assert.DoesNotContain(purls, p => p.StartsWith("pkg:nuget/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_opaque_directory_in_an_uncompressed_upper_layer_hides_the_packages_below_it()
    {
        var repository = ScannerFixture.NewRepository("opaque");
        var upper = fixture.NewRoot("opaque").File("app/node_modules/.wh..wh..opq", string.Empty).Npm("braces", "3.0.2");
        var digest = await fixture.PushImageAsync(repository, "1", (fixture.VulnerableDebianApp("base"), Compression.Gzip), (upper, Compression.None));

        var report = await Host.WaitForReportAsync(digest);
        var findings = report.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("id").GetString()).ToList();
        Assert.DoesNotContain(TestData.WsAdvisory, findings);
        Assert.Contains(TestData.BracesAdvisory, findings);
        Assert.Contains(TestData.NewtonsoftAdvisory, findings); // outside the opaque directory
    }

    [Fact]
    public async Task A_second_image_on_the_same_base_layer_takes_its_inventory_from_the_cache_and_still_reports_its_findings()
    {
        var layout = fixture.NewLayout("cache");
        var baseLayer = await layout.AddLayerAsync(fixture.VulnerableDebianApp("cache-base"), Compression.Gzip);
        var first = layout.AddImage([baseLayer]);
        layout.Tag("first", first);
        var upperLayer = await layout.AddLayerAsync(fixture.NewRoot("cache-upper").Npm("braces", "3.0.2"), Compression.Zstd);
        var second = layout.AddImage([baseLayer, upperLayer]);
        layout.Tag("second", second);
        var repository = ScannerFixture.NewRepository("cache");
        var other = ScannerFixture.NewRepository("cache-other");

        await Host.SkopeoCopyAsync(layout, "first", repository, "first");
        await fixture.AssertServedAsync(repository, "first", first.Digest);
        var firstReport = await Host.WaitForReportAsync(first.Digest);
        Assert.Equal(1, firstReport.GetProperty("layersScanned").GetInt32());
        Assert.Equal(0, firstReport.GetProperty("layersFromCache").GetInt32());

        // The second image in another repository of the registry: the base layer is the same blob.
        await Host.SkopeoCopyAsync(layout, "second", other, "second");
        await fixture.AssertServedAsync(other, "second", second.Digest);
        var secondReport = await Host.WaitForReportAsync(second.Digest);
        Assert.True(secondReport.GetProperty("layersFromCache").GetInt32() >= 1, $"the shared base layer was read again: {secondReport}");
        Assert.Equal(1, secondReport.GetProperty("layersScanned").GetInt32());

        // Every finding names the layer that put the package there, the cached one included.
        var findings = secondReport.GetProperty("findings").EnumerateArray().ToList();
        string? LayerOf(string id) => Assert.Single(findings, f => f.GetProperty("id").GetString() == id).GetProperty("layer").GetString();
        Assert.Equal(baseLayer.Blob.Digest, LayerOf(TestData.WsAdvisory));
        Assert.Equal(baseLayer.Blob.Digest, LayerOf(TestData.NewtonsoftAdvisory));
        Assert.Equal(upperLayer.Blob.Digest, LayerOf(TestData.BracesAdvisory));
        Assert.Equal(firstReport.GetProperty("packages").GetInt32() + 1, secondReport.GetProperty("packages").GetInt32());
        Assert.Equal("Debian:12", secondReport.GetProperty("operatingSystem").GetProperty("ecosystem").GetString());
    }

    private static List<string> Purls(JsonElement sbom) =>
        sbom.GetProperty("components").EnumerateArray()
            .Select(c => c.TryGetProperty("purl", out var purl) ? purl.GetString() : null)
            .OfType<string>()
            .ToList();
}
