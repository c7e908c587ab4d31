using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Registry.Scanner.Tests;

/// <summary>A host with an empty vulnerability database: the tests import themselves.</summary>
public sealed class EmptyDatabaseFixture : ScannerFixture
{
    protected override bool ImportAdvisories => false;
}

/// <summary>
/// <c>POST /api/vulnerabilities/imports</c> with the real test data: a zip of every OSV file is counted record by record
/// (objects and array elements; converter inputs and other JSON skipped), and the database outlives the host.
/// </summary>
public sealed class ZipImportTests(EmptyDatabaseFixture fixture) : IClassFixture<EmptyDatabaseFixture>
{
    [Fact]
    public async Task A_zip_of_the_test_data_counts_every_OSV_record_skips_the_rest_and_survives_a_restart()
    {
        // Every file as it is, but the Bitnami advisories, which go in as one JSON array (as some feeds publish them).
        var osv = TestData.Osv();
        var bitnami = TestData.AllOsvFiles().Where(f => Path.GetRelativePath(osv, f).StartsWith("bitnami", StringComparison.Ordinal)).ToList();
        var entries = TestData.AllOsvFiles().Except(bitnami)
            .Select(f => (Name: Path.GetRelativePath(osv, f), Content: File.ReadAllBytes(f)))
            .Append((Name: "bitnami/all.json", Content: Encoding.UTF8.GetBytes(new JsonArray(bitnami.Select(f => JsonNode.Parse(File.ReadAllText(f))).ToArray()).ToJsonString())))
            .ToList();
        var ids = entries.SelectMany(e => TestData.OsvIdsOf(e.Content)).ToList();
        var skipped = entries.Count(e => TestData.OsvIdsOf(e.Content).Count == 0);
        Assert.True(bitnami.Count > 1 && skipped > 0, "the test data holds several Bitnami advisories and files that are not OSV records");
        Assert.Equal(bitnami.Count, TestData.OsvIdsOf(entries[^1].Content).Count);
        var zip = TestData.Zip(entries);

        JsonElement created;
        using (var response = await fixture.Host.ImportAsync(zip, "application/zip"))
        {
            created = await ScannerHost.JsonOf(response, HttpStatusCode.Created);
            Assert.Equal("/api/vulnerabilities", response.Headers.Location?.OriginalString);
        }

        var version = created.GetProperty("version").GetString();
        Assert.False(string.IsNullOrEmpty(version));
        Assert.Equal(ids.Distinct(StringComparer.Ordinal).Count(), created.GetProperty("advisories").GetInt32());

        var database = await fixture.Host.DatabaseAsync();
        Assert.Equal(version, database.GetProperty("version").GetString());
        Assert.Equal(ids.Distinct(StringComparer.Ordinal).Count(), database.GetProperty("advisories").GetInt32());
        var source = Assert.Single(database.GetProperty("sources").EnumerateArray());
        Assert.Equal(ids.Count, source.GetProperty("advisories").GetInt32());
        Assert.Equal("application/zip", source.GetProperty("mediaType").GetString());
        Assert.Equal(zip.Length, source.GetProperty("bytes").GetInt64());

        // An image scanned with it, before the restart.
        var repository = ScannerFixture.NewRepository("restart");
        var digest = await fixture.PushImageAsync(repository, "1", (fixture.NewRoot("restart").DebianBase().Npm("ws", "8.17.0"), Compression.Gzip));
        var before = await fixture.Host.WaitForReportAsync(digest);
        Assert.Equal(version, before.GetProperty("databaseVersion").GetString());
        Assert.Contains(before.GetProperty("findings").EnumerateArray(), f => f.GetProperty("id").GetString() == TestData.WsAdvisory);

        await fixture.RestartAsync();

        // The new host loads the database from storage (in the background, so it is polled for).
        var deadline = DateTime.UtcNow + ScannerHost.Patience;
        JsonElement reloaded;
        while ((reloaded = await fixture.Host.DatabaseAsync()).GetProperty("version").GetString() != version)
        {
            Assert.True(DateTime.UtcNow < deadline, $"after the restart the database is {reloaded}, not version {version}");
            await Task.Delay(200);
        }

        Assert.Equal(ids.Distinct(StringComparer.Ordinal).Count(), reloaded.GetProperty("advisories").GetInt32());
        Assert.Equal(ids.Count, Assert.Single(reloaded.GetProperty("sources").EnumerateArray()).GetProperty("advisories").GetInt32());

        // And it is the database matching uses: the image scanned again finds the same advisory.
        var report = Assert.Single(await fixture.Host.ScanNowAsync(repository, "1"));
        Assert.Equal(digest, report.GetProperty("digest").GetString());
        Assert.Equal(version, report.GetProperty("databaseVersion").GetString());
        Assert.Contains(report.GetProperty("findings").EnumerateArray(), f => f.GetProperty("id").GetString() == TestData.WsAdvisory);
    }
}

/// <summary>What the import refuses (precisely, changing nothing), who may import, and single records and arrays.</summary>
public sealed class ImportValidationTests(EmptyDatabaseFixture fixture) : IClassFixture<EmptyDatabaseFixture>
{
    private ScannerHost Host => fixture.Host;

    [Fact]
    public async Task Bodies_without_any_OSV_record_are_400_ProblemDetails_and_change_nothing()
    {
        var before = await Host.DatabaseAsync();
        var nonOsv = TestData.AllOsvFiles().Where(f => TestData.OsvIdsOf(f).Count == 0).ToList();
        Assert.NotEmpty(nonOsv);

        var bodies = new List<(string What, byte[] Content, string MediaType)>
        {
            ("a JSON object that is not OSV", Encoding.UTF8.GetBytes("""{"not":"osv"}"""), "application/json"),
            ("plain text", Encoding.UTF8.GetBytes("hello, scanner"), "text/plain"),
            ("an empty body", [], "application/json"),
            ("a zip of converter inputs only", TestData.Zip(nonOsv), "application/zip"),
            ("a damaged zip", [0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4, 5, 6, 7, 8], "application/zip"),
        };
        bodies.AddRange(nonOsv.Select(f => ($"the converter input {Path.GetFileName(f)}", File.ReadAllBytes(f), "application/json")));

        foreach (var (what, content, mediaType) in bodies)
        {
            using var response = await Host.ImportAsync(content, mediaType);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{what}: {(int)response.StatusCode} {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            using var problem = JsonDocument.Parse(text);
            Assert.Equal(400, problem.RootElement.GetProperty("status").GetInt32());
        }

        var after = await Host.DatabaseAsync();
        Assert.Equal(before.GetProperty("version").GetString(), after.GetProperty("version").GetString());
        Assert.Equal(before.GetProperty("sources").GetArrayLength(), after.GetProperty("sources").GetArrayLength());
    }

    [Fact]
    public async Task Importing_and_reading_the_database_need_the_operators_credentials()
    {
        var before = await Host.DatabaseAsync();
        var zip = TestData.Zip([TestData.Osv("github", TestData.WsAdvisory + ".json")]);

        using (var anonymous = await Host.ImportAsync(zip, "application/zip", Host.Anonymous))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Contains(anonymous.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
        }

        using (var wrong = new HttpClient { BaseAddress = Host.BaseAddress })
        {
            wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{ScannerHost.AdminUsername}:not-the-password")));
            using var response = await Host.ImportAsync(zip, "application/zip", wrong);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using (var read = await Host.Anonymous.GetAsync(new Uri("/api/vulnerabilities", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, read.StatusCode);
        }

        var after = await Host.DatabaseAsync();
        Assert.Equal(before.GetProperty("version").GetString(), after.GetProperty("version").GetString());
        Assert.Equal(before.GetProperty("sources").GetArrayLength(), after.GetProperty("sources").GetArrayLength());
    }

    [Fact]
    public async Task A_single_record_and_a_JSON_array_import_as_sources_of_their_own_and_a_record_imported_again_replaces_the_earlier()
    {
        // Real records under ids of this test's own, so the counts do not depend on what the other tests imported.
        var suffix = Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        JsonObject Renamed(string file, string id)
        {
            var record = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
            record["id"] = id;
            return record;
        }

        var ws = Renamed(TestData.Osv("github", TestData.WsAdvisory + ".json"), $"TEST-WS-{suffix}");
        var before = await Host.DatabaseAsync();
        var advisories = before.GetProperty("advisories").GetInt32();
        var sources = before.GetProperty("sources").GetArrayLength();

        using (var single = await Host.ImportAsync(Encoding.UTF8.GetBytes(ws.ToJsonString()), "application/json"))
        {
            var created = await ScannerHost.JsonOf(single, HttpStatusCode.Created);
            Assert.Equal(advisories + 1, created.GetProperty("advisories").GetInt32());
            Assert.NotEqual(before.GetProperty("version").GetString(), created.GetProperty("version").GetString());
        }

        var array = new JsonArray(
            Renamed(TestData.Osv("github", TestData.WsAdvisory + ".json"), $"TEST-WS-{suffix}"),
            Renamed(TestData.Osv("github", TestData.NewtonsoftAdvisory + ".json"), $"TEST-NEWTONSOFT-{suffix}"));
        using (var many = await Host.ImportAsync(Encoding.UTF8.GetBytes(array.ToJsonString()), "application/json"))
        {
            var created = await ScannerHost.JsonOf(many, HttpStatusCode.Created);
            Assert.Equal(advisories + 2, created.GetProperty("advisories").GetInt32());
        }

        var after = await Host.DatabaseAsync();
        Assert.Equal(advisories + 2, after.GetProperty("advisories").GetInt32());
        var added = after.GetProperty("sources").EnumerateArray().Skip(sources).ToList();
        Assert.Equal(2, added.Count);
        Assert.Equal([1, 2], added.Select(s => s.GetProperty("advisories").GetInt32()));
        Assert.All(added, s => Assert.Equal("application/json", s.GetProperty("mediaType").GetString()));
    }
}
