using System.Globalization;
using System.Text;
using System.Text.Json;
using Registry.Vulnerabilities.Osv;
using Registry.Vulnerabilities.Tests.Support;

namespace Registry.Vulnerabilities.Tests.Osv;

/// <summary>
/// Every JSON file of the shared OSV test data, parsed and compared field by field with the raw JSON (read with
/// <see cref="JsonDocument"/>, independently of the parser).
/// </summary>
public sealed class OsvParsingTests
{
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var (relative, _) in TestData.OsvFiles())
        {
            data.Add(relative);
        }

        return data;
    }

    /// <summary>An OSV record is a JSON object with a string <c>id</c> (osv-schema: id and modified are required).</summary>
    private static bool IsOsvRecord(JsonElement json) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String;

    [Fact]
    public void The_test_data_holds_the_expected_advisories()
    {
        var files = TestData.OsvFiles();
        Assert.True(files.Count >= 28, $"only {files.Count} OSV files");
        var records = files.Count(f => IsOsvRecord(TestData.Json(f.Full)));
        Assert.True(records >= 25, $"only {records} OSV records among {files.Count} files");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Each_OSV_record_parses_and_matches_its_JSON(string relative)
    {
        var path = Path.Combine(TestData.Osv, relative);
        var bytes = File.ReadAllBytes(path);
        var json = TestData.Json(path);
        if (!IsOsvRecord(json))
        {
            // Not an OSV record (osv.dev's own Debian conversion inputs and the tracker mock beside them): rejected.
            Assert.Throws<JsonException>(() => OsvJson.Parse(bytes));
            return;
        }

        var advisory = OsvJson.Parse(bytes);
        Assert.Equal(json.GetProperty("id").GetString(), advisory.Id);
        Assert.Equal(Strings(json, "aliases"), advisory.Aliases);
        Assert.Equal(OptionalString(json, "summary"), advisory.Summary);
        Assert.Equal(OptionalString(json, "details"), advisory.Details);
        Assert.Equal(OptionalTime(json, "published"), advisory.Published);
        Assert.Equal(OptionalTime(json, "modified"), advisory.Modified);
        Assert.Equal(OptionalTime(json, "withdrawn"), advisory.Withdrawn);
        Assert.Equal(json.TryGetProperty("database_specific", out var databaseSpecific), advisory.DatabaseSpecific is not null);
        if (advisory.DatabaseSpecific is { } parsedSpecific)
        {
            Assert.Equal(databaseSpecific.GetRawText(), parsedSpecific.GetRawText());
        }

        Assert.Equal(
            Array(json, "severity").Select(s => (s.GetProperty("type").GetString(), s.GetProperty("score").GetString())),
            advisory.Severity.Select(s => ((string?)s.Type, (string?)s.Score)));
        Assert.Equal(
            Array(json, "references").Select(r => r.GetProperty("url").GetString()),
            advisory.References.Select(r => (string?)r.Url));

        var affected = Array(json, "affected").ToList();
        Assert.Equal(affected.Count, advisory.Affected.Count);
        for (var index = 0; index < affected.Count; index++)
        {
            var expected = affected[index];
            var actual = advisory.Affected[index];
            var package = expected.GetProperty("package");
            Assert.NotNull(actual.Package);
            Assert.Equal(package.GetProperty("ecosystem").GetString(), actual.Package.Ecosystem);
            Assert.Equal(package.GetProperty("name").GetString(), actual.Package.Name);
            Assert.Equal(OptionalString(package, "purl"), actual.Package.Purl);
            Assert.Equal(Strings(expected, "versions"), actual.Versions);
            Assert.Equal(expected.TryGetProperty("ecosystem_specific", out _), actual.EcosystemSpecific is not null);
            Assert.Equal(expected.TryGetProperty("database_specific", out _), actual.DatabaseSpecific is not null);
            Assert.Equal(
                Array(expected, "severity").Select(s => (s.GetProperty("type").GetString(), s.GetProperty("score").GetString())),
                actual.Severity.Select(s => ((string?)s.Type, (string?)s.Score)));

            var ranges = Array(expected, "ranges").ToList();
            Assert.Equal(ranges.Count, actual.Ranges.Count);
            for (var r = 0; r < ranges.Count; r++)
            {
                Assert.Equal(ranges[r].GetProperty("type").GetString(), actual.Ranges[r].Type);
                Assert.Equal(OptionalString(ranges[r], "repo"), actual.Ranges[r].Repo);
                Assert.Equal(
                    ranges[r].GetProperty("events").EnumerateArray().Select(e => string.Join(",", e.EnumerateObject().Select(p => $"{p.Name}={p.Value.GetString()}"))),
                    actual.Ranges[r].Events.Select(Describe));
            }
        }
    }

    [Fact]
    public void Record_ids_match_their_file_names()
    {
        // Files named after their advisory (colons, as in ALSA-2023:4520, may be written as underscores).
        var named = TestData.OsvFiles()
            .Where(f => char.IsAsciiLetterUpper(Path.GetFileName(f.Relative)[0]) && !f.Relative.EndsWith(".debian.json", StringComparison.Ordinal))
            .ToList();
        Assert.True(named.Count >= 20, $"only {named.Count} files named after advisories");
        foreach (var (relative, full) in named)
        {
            var advisory = OsvJson.Parse(File.ReadAllBytes(full));
            Assert.Equal(Path.GetFileNameWithoutExtension(relative).Replace(':', '_'), advisory.Id.Replace(':', '_'));
        }
    }

    [Fact]
    public void Withdrawn_is_surfaced()
    {
        var json = """
            {
              "schema_version": "1.6.0",
              "id": "GHSA-xxxx-yyyy-zzzz",
              "modified": "2024-03-04T05:06:07Z",
              "published": "2023-01-02T03:04:05Z",
              "withdrawn": "2024-02-03T04:05:06.5Z",
              "aliases": null,
              "summary": "Withdrawn: not a vulnerability",
              "affected": [
                { "package": { "ecosystem": "npm", "name": "left-pad" },
                  "ranges": [ { "type": "SEMVER", "events": [ { "introduced": "0" }, { "fixed": "1.3.0" } ] } ] }
              ]
            }
            """;
        var advisory = OsvJson.Parse(Encoding.UTF8.GetBytes(json));
        Assert.Equal(new DateTimeOffset(2024, 2, 3, 4, 5, 6, 500, TimeSpan.Zero), advisory.Withdrawn);
        Assert.Equal(new DateTimeOffset(2024, 3, 4, 5, 6, 7, TimeSpan.Zero), advisory.Modified);
        Assert.Empty(advisory.Aliases);
        Assert.Single(advisory.Affected);

        var published = OsvJson.Parse(File.ReadAllBytes(Path.Combine(TestData.Osv, "github", "GHSA-p6mc-m468-83gw.json")));
        Assert.Null(published.Withdrawn);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("{\"id\": 5}")]
    [InlineData("not json")]
    public void Text_that_is_not_an_OSV_record_is_rejected(string text) =>
        Assert.ThrowsAny<JsonException>(() => OsvJson.Parse(Encoding.UTF8.GetBytes(text)));

    private static string Describe(OsvEvent e) => string.Join(",", new[]
    {
        e.Introduced is null ? null : $"introduced={e.Introduced}",
        e.Fixed is null ? null : $"fixed={e.Fixed}",
        e.LastAffected is null ? null : $"last_affected={e.LastAffected}",
        e.Limit is null ? null : $"limit={e.Limit}",
    }.OfType<string>());

    private static IEnumerable<JsonElement> Array(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : [];

    private static List<string> Strings(JsonElement json, string name) => [.. Array(json, name).Select(e => e.GetString() ?? throw new JsonException($"{name}: a null string"))];

    private static string? OptionalString(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static DateTimeOffset? OptionalTime(JsonElement json, string name) =>
        OptionalString(json, name) is { } text ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) : null;
}
