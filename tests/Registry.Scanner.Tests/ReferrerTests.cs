using System.Net;
using System.Text.Json;

namespace Registry.Scanner.Tests;

/// <summary>
/// The SBOM (CycloneDX 1.5) and the report attached to a scanned image as OCI referrers: exactly one of each, through
/// <c>GET /v2/&lt;name&gt;/referrers/&lt;digest&gt;</c> with a token from the challenge's realm; a rescan replaces both.
/// </summary>
public sealed class ReferrerTests(ScannerFixture fixture) : IClassFixture<ScannerFixture>
{
    private ScannerHost Host => fixture.Host;

    [Fact]
    public async Task A_scanned_image_has_one_valid_CycloneDX_SBOM_and_one_report_as_referrers_and_a_rescan_replaces_both()
    {
        var repository = ScannerFixture.NewRepository("referrers");
        var digest = await fixture.PushImageAsync(repository, "1", (fixture.VulnerableDebianApp("referrers"), Compression.Gzip));
        var report = await Host.WaitForReportAsync(digest);
        var (manifestBytes, _, _) = await Host.ManifestAsync(repository, digest);

        var first = await AssertReferrersAsync(repository, digest, manifestBytes.LongLength, report);

        // The SBOM: valid CycloneDX 1.5, with the npm component and the advisory.
        var (_, sbomLayer) = await Referrers.ArtifactAsync(Host, repository, first.Sbom);
        using var bom = JsonDocument.Parse(sbomLayer);
        CycloneDxSchema.AssertValid(bom.RootElement);
        AssertTheSchemaRefuses(sbomLayer);
        Assert.Equal("CycloneDX", bom.RootElement.GetProperty("bomFormat").GetString());
        Assert.Equal("1.5", bom.RootElement.GetProperty("specVersion").GetString());
        var components = bom.RootElement.GetProperty("components").EnumerateArray().ToList();
        Assert.Contains(components, c => c.TryGetProperty("purl", out var purl) && purl.GetString() == "pkg:npm/ws@8.17.0");
        Assert.Contains(components, c => c.TryGetProperty("purl", out var purl) && purl.GetString() == "pkg:nuget/Newtonsoft.Json@12.0.3");
        var vulnerabilities = bom.RootElement.GetProperty("vulnerabilities").EnumerateArray().ToList();
        var ws = Assert.Single(vulnerabilities, v => v.GetProperty("id").GetString() == TestData.WsAdvisory);
        var affected = ws.GetProperty("affects").EnumerateArray().Select(a => a.GetProperty("ref").GetString()).ToList();
        var wsComponent = components.Single(c => c.TryGetProperty("purl", out var purl) && purl.GetString() == "pkg:npm/ws@8.17.0");
        Assert.Contains(wsComponent.GetProperty("bom-ref").GetString(), affected);
        Assert.Contains(vulnerabilities, v => v.GetProperty("id").GetString() == TestData.NewtonsoftAdvisory);

        // The report artifact is the report the API serves.
        var (_, reportLayer) = await Referrers.ArtifactAsync(Host, repository, first.Report);
        using var attached = JsonDocument.Parse(reportLayer);
        Assert.Equal(digest, attached.RootElement.GetProperty("digest").GetString());
        Assert.Equal(
            report.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("id").GetString()).Order(),
            attached.RootElement.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("id").GetString()).Order());

        // On demand again: new referrers, still one of each, the earlier ones gone.
        var rescan = Assert.Single(await Host.ScanNowAsync(repository, "1"));
        Assert.Equal(digest, rescan.GetProperty("digest").GetString());
        var second = await AssertReferrersAsync(repository, digest, manifestBytes.LongLength, rescan);
        foreach (var (old, current) in new[] { (first.Sbom, second.Sbom), (first.Report, second.Report) }.Where(p => p.Item1 != p.Item2))
        {
            var (_, _, status) = await Host.ManifestAsync(repository, old);
            Assert.True(status == HttpStatusCode.NotFound, $"the replaced referrer {old} is still served ({(int)status}); the current one is {current}");
        }

        Assert.NotEqual(first.Report, second.Report);
        var stored = await Host.WaitForReportAsync(digest);
        Assert.Equal(second.Sbom, stored.GetProperty("sbom").GetProperty("digest").GetString());
        Assert.Equal(second.Report, stored.GetProperty("report").GetProperty("digest").GetString());
    }

    /// <summary>The validation is not vacuous: the same SBOM with a component of an unknown type, or a rating of an unknown severity, is refused.</summary>
    private static void AssertTheSchemaRefuses(byte[] sbom)
    {
        var badComponent = System.Text.Json.Nodes.JsonNode.Parse(sbom)!;
        badComponent["components"]![0]!["type"] = "not-a-component-type";
        Assert.False(CycloneDxSchema.Evaluate(JsonDocument.Parse(badComponent.ToJsonString()).RootElement).IsValid, "the schema accepts a component type it does not define");

        var badRating = System.Text.Json.Nodes.JsonNode.Parse(sbom)!;
        badRating["vulnerabilities"]![0]!["ratings"]![0]!["severity"] = "SEVERE";
        Assert.False(CycloneDxSchema.Evaluate(JsonDocument.Parse(badRating.ToJsonString()).RootElement).IsValid, "the schema accepts a severity it does not define");
    }

    /// <summary>Exactly one SBOM and one report refer to the image, they are the report's, and each is an OCI 1.1 artifact whose subject is the image.</summary>
    private async Task<(string Sbom, string Report)> AssertReferrersAsync(string repository, string digest, long imageSize, JsonElement report)
    {
        var referrers = await Host.ReferrersAsync(repository, digest);
        var sbom = Assert.Single(referrers, r => r.GetProperty("artifactType").GetString() == Referrers.SbomType);
        var attached = Assert.Single(referrers, r => r.GetProperty("artifactType").GetString() == Referrers.ReportType);
        Assert.Equal(2, referrers.Count);
        Assert.Equal(report.GetProperty("sbom").GetProperty("digest").GetString(), sbom.GetProperty("digest").GetString());
        Assert.Equal(report.GetProperty("report").GetProperty("digest").GetString(), attached.GetProperty("digest").GetString());

        foreach (var (referrer, layerType) in new[] { (sbom, Referrers.SbomType), (attached, "application/json") })
        {
            var (manifest, _) = await Referrers.ArtifactAsync(Host, repository, referrer.GetProperty("digest").GetString()!);
            Assert.Equal(OciLayout.ManifestType, manifest.GetProperty("mediaType").GetString());
            Assert.Equal(referrer.GetProperty("artifactType").GetString(), manifest.GetProperty("artifactType").GetString());
            Assert.Equal(digest, manifest.GetProperty("subject").GetProperty("digest").GetString());
            Assert.Equal(imageSize, manifest.GetProperty("subject").GetProperty("size").GetInt64());
            Assert.Equal(layerType, manifest.GetProperty("layers")[0].GetProperty("mediaType").GetString());
        }

        return (sbom.GetProperty("digest").GetString()!, attached.GetProperty("digest").GetString()!);
    }
}
