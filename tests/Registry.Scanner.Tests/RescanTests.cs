using System.Net;

namespace Registry.Scanner.Tests;

/// <summary>A new vulnerability database rescans every image scanned before: new findings, new referrers replacing the old.</summary>
public sealed class RescanTests(EmptyDatabaseFixture fixture) : IClassFixture<EmptyDatabaseFixture>
{
    private ScannerHost Host => fixture.Host;

    [Fact]
    public async Task An_import_rescans_the_images_scanned_before_and_replaces_their_referrers()
    {
        string first;
        using (var imported = await Host.ImportAsync(TestData.Zip([TestData.Osv("github", TestData.WsAdvisory + ".json")]), "application/zip"))
        {
            first = (await ScannerHost.JsonOf(imported, HttpStatusCode.Created)).GetProperty("version").GetString()!;
        }

        var repository = ScannerFixture.NewRepository("rescan");
        var digest = await fixture.PushImageAsync(repository, "1", (fixture.VulnerableDebianApp("rescan"), Compression.Gzip));
        var before = await Host.WaitForReportAsync(digest);
        Assert.Equal(first, before.GetProperty("databaseVersion").GetString());
        var ids = before.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("id").GetString()).ToList();
        Assert.Contains(TestData.WsAdvisory, ids);
        Assert.DoesNotContain(TestData.NewtonsoftAdvisory, ids);
        var old = await Referrers.WaitForOnePairAsync(Host, repository, digest);

        string second;
        using (var imported = await Host.ImportAsync(File.ReadAllBytes(TestData.Osv("github", TestData.NewtonsoftAdvisory + ".json")), "application/json"))
        {
            second = (await ScannerHost.JsonOf(imported, HttpStatusCode.Created)).GetProperty("version").GetString()!;
        }

        Assert.NotEqual(first, second);
        var after = await Host.WaitForReportAsync(digest, report => report.GetProperty("databaseVersion").GetString() == second);
        ids = after.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("id").GetString()).ToList();
        Assert.Contains(TestData.WsAdvisory, ids);
        Assert.Contains(TestData.NewtonsoftAdvisory, ids);
        Assert.Equal(1, after.GetProperty("layersFromCache").GetInt32());
        Assert.Equal(0, after.GetProperty("layersScanned").GetInt32());

        var current = await Referrers.WaitForOnePairAsync(Host, repository, digest);
        Assert.NotEqual(old.Report, current.Report);
        var sbom = await Referrers.SbomAsync(Host, repository, digest);
        Assert.Contains(sbom.GetProperty("vulnerabilities").EnumerateArray(), v => v.GetProperty("id").GetString() == TestData.NewtonsoftAdvisory);

        var completed = await Host.Events.WaitForAsync(e => e.Digest == digest && e.DatabaseVersion == second);
        Assert.Equal(current.Report, completed[^1].ReportDigest);
    }
}
