using System.Net;
using System.Text;
using System.Text.Json;

namespace Registry.Scanner.Tests;

/// <summary><c>POST /api/registries/{registry}/scans</c>: precise errors as ProblemDetails, and no report for artifacts.</summary>
public sealed class OnDemandScanTests(ScannerFixture fixture) : IClassFixture<ScannerFixture>
{
    private ScannerHost Host => fixture.Host;

    [Fact]
    public async Task An_unknown_repository_or_tag_is_404_ProblemDetails()
    {
        var repository = ScannerFixture.NewRepository("known");
        await fixture.PushImageAsync(repository, "1", (fixture.NewRoot("known").DebianBase(), Compression.Gzip));

        foreach (var (name, reference) in new[]
        {
            (ScannerFixture.NewRepository("unknown"), "1"),
            (repository, "no-such-tag"),
            (repository, "sha256:" + new string('a', 64)),
        })
        {
            using var response = await Host.ScanAsync(name, reference);
            await AssertProblemAsync(response, HttpStatusCode.NotFound, $"{name}:{reference}");
        }
    }

    [Fact]
    public async Task A_bad_repository_name_reference_or_body_is_400_ProblemDetails()
    {
        foreach (var (name, reference) in new[] { ("Upper/Case", "1"), ("double//slash", "1"), ("", "1"), (ScannerFixture.NewRepository("bad-ref"), "not a tag!"), (ScannerFixture.NewRepository("bad-ref"), "sha256:short") })
        {
            using var response = await Host.ScanAsync(name, reference);
            await AssertProblemAsync(response, HttpStatusCode.BadRequest, $"'{name}' '{reference}'");
        }

        using var noRepository = await Host.Management.PostAsync(
            new Uri($"/api/registries/{ScannerHost.Registry}/scans", UriKind.Relative), new StringContent("""{"reference":"1"}""", Encoding.UTF8, "application/json"));
        await AssertProblemAsync(noRepository, HttpStatusCode.BadRequest, "no repository");

        using var notADigest = await Host.GetReportAsync("not-a-digest");
        await AssertProblemAsync(notADigest, HttpStatusCode.BadRequest, "GET scans/not-a-digest");
        using var noReport = await Host.GetReportAsync("sha256:" + new string('b', 64));
        await AssertProblemAsync(noReport, HttpStatusCode.NotFound, "GET scans of an unknown digest");
    }

    [Fact]
    public async Task Scanning_needs_credentials()
    {
        var repository = ScannerFixture.NewRepository("anonymous");
        using var response = await Host.ScanAsync(repository, "1", Host.Anonymous);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var report = await Host.Anonymous.GetAsync(new Uri($"/api/registries/{ScannerHost.Registry}/scans/sha256:{new string('c', 64)}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, report.StatusCode);
    }

    [Fact]
    public async Task A_scan_without_a_reference_scans_the_latest_tag()
    {
        var repository = ScannerFixture.NewRepository("latest");
        var digest = await fixture.PushImageAsync(repository, "latest", (fixture.NewRoot("latest").DebianBase().Npm("ws", "8.17.0"), Compression.Gzip));
        var report = Assert.Single(await Host.ScanNowAsync(repository, null));
        Assert.Equal(digest, report.GetProperty("digest").GetString());
        Assert.Contains(report.GetProperty("findings").EnumerateArray(), f => f.GetProperty("id").GetString() == TestData.WsAdvisory);
    }

    [Fact]
    public async Task An_artifact_such_as_the_SBOM_itself_yields_no_report()
    {
        var repository = ScannerFixture.NewRepository("artifact");
        var digest = await fixture.PushImageAsync(repository, "1", (fixture.NewRoot("artifact").DebianBase().Npm("ws", "8.17.0"), Compression.Gzip));
        var report = await Host.WaitForReportAsync(digest);
        var sbom = report.GetProperty("sbom").GetProperty("digest").GetString()!;

        using var response = await Host.ScanAsync(repository, sbom);
        var body = await ScannerHost.JsonOf(response, HttpStatusCode.OK);
        Assert.Equal(0, body.GetProperty("reports").GetArrayLength());
        using var none = await Host.GetReportAsync(sbom);
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);

        // And the image still has exactly its one SBOM and report (scanning the artifact attached nothing).
        var referrers = await Host.ReferrersAsync(repository, digest);
        Assert.Single(referrers, r => r.GetProperty("artifactType").GetString() == Referrers.SbomType);
        Assert.Single(referrers, r => r.GetProperty("artifactType").GetString() == Referrers.ReportType);
        Assert.Empty(await Host.ReferrersAsync(repository, sbom));
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{what}: {(int)response.StatusCode}, not {(int)expected}: {text}");
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{what}: {response.Content.Headers.ContentType} {text}");
        using var problem = JsonDocument.Parse(text);
        Assert.Equal((int)expected, problem.RootElement.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("title").GetString()));
    }
}
