using System.Text.Json;
using Registry.Vulnerabilities;
using Registry.Vulnerabilities.Inventory;
using Registry.Vulnerabilities.Osv;

namespace Registry.Scanning.Tests;

/// <summary>OSV records as published (../shared/testdata/vuln/osv), range evaluation, CVSS base scores, matching.</summary>
public sealed class OsvAndCvssTests
{
    [Fact]
    public void Every_OSV_record_in_the_test_data_parses_and_files_that_are_not_OSV_are_refused()
    {
        var parsed = 0;
        var refused = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Oracle.VulnData("osv"), "*.json", SearchOption.AllDirectories))
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            var isOsv = document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("id", out _);
            try
            {
                var advisories = OsvJson.ParseMany(File.ReadAllBytes(file));
                Assert.True(isOsv, $"{file} is not an OSV record but parsed");
                var advisory = Assert.Single(advisories);
                Assert.Equal(document.RootElement.GetProperty("id").GetString(), advisory.Id);
                Assert.Equal(document.RootElement.TryGetProperty("affected", out var affected) ? affected.GetArrayLength() : 0, advisory.Affected.Count);
                parsed++;
            }
            catch (JsonException)
            {
                refused.Add(Path.GetFileName(file));
                Assert.False(isOsv, $"{file} is an OSV record but was refused");
            }
        }

        Assert.True(parsed >= 20, $"{parsed} records parsed");
    }

    [Fact]
    public void The_ws_advisory_affects_the_versions_below_each_fix_in_its_ranges_and_names_the_fix()
    {
        var advisory = Load("github", "GHSA-3h5v-q93c-6h6q.json");
        foreach (var affected in advisory.Affected)
        {
            foreach (var range in affected.Ranges)
            {
                var introduced = range.Events.Select(e => e.Introduced).OfType<string>().Single();
                var fix = range.Events.Select(e => e.Fixed).OfType<string>().Single();
                Assert.False(OsvMatching.IsAffected(affected, fix), $"{fix} is the fix");
                Assert.Null(OsvMatching.FixedVersion(affected, fix));
                if (introduced != "0")
                {
                    Assert.True(OsvMatching.IsAffected(affected, introduced), $"{introduced} introduced it");
                    Assert.Equal(fix, OsvMatching.FixedVersion(affected, introduced));
                }
            }
        }

        var all = advisory.Affected.Single(a => a.Ranges.Any(r => r.Events.Any(e => e.Fixed == "8.17.1")));
        Assert.True(OsvMatching.IsAffected(all, "8.17.0"));
        Assert.Equal("8.17.1", OsvMatching.FixedVersion(all, "8.17.0"));
        Assert.False(OsvMatching.IsAffected(all, "8.18.0"));
    }

    [Fact]
    public void Last_affected_is_inclusive_explicit_versions_count_and_git_ranges_never_match()
    {
        var affected = new OsvAffected
        {
            Package = new OsvPackage { Ecosystem = "npm", Name = "demo" },
            Ranges =
            [
                new OsvRange { Type = "SEMVER", Events = [new OsvEvent { Introduced = "1.0.0" }, new OsvEvent { LastAffected = "1.4.2" }] },
                new OsvRange { Type = "GIT", Repo = "https://example.com/demo", Events = [new OsvEvent { Introduced = "0" }] },
            ],
            Versions = ["0.9.9-special"],
        };

        Assert.False(OsvMatching.IsAffected(affected, "0.9.0"));
        Assert.True(OsvMatching.IsAffected(affected, "1.0.0"));
        Assert.True(OsvMatching.IsAffected(affected, "1.4.2"));
        Assert.False(OsvMatching.IsAffected(affected, "1.4.3"));
        Assert.True(OsvMatching.IsAffected(affected, "0.9.9-special"));
        Assert.Null(OsvMatching.FixedVersion(affected, "1.2.0")); // affected, and no fix exists
    }

    [Theory]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8)]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0)]
    [InlineData("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1)]
    [InlineData("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8)]
    [InlineData("CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4)]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5)]
    [InlineData("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N", 0.0)]
    public void CVSS_base_scores_are_those_FIRST_publishes(string vector, double score) => Assert.Equal(score, Cvss.BaseScore(vector));

    [Theory]
    [InlineData("CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P")]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H")]
    [InlineData("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")]
    [InlineData("not a vector")]
    public void Incomplete_or_other_vectors_have_no_score(string vector) => Assert.Null(Cvss.BaseScore(vector));

    [Fact]
    public void GitHub_advisories_severity_words_agree_with_their_CVSS_v3_vectors()
    {
        var checkedCount = 0;
        foreach (var file in Directory.EnumerateFiles(Oracle.VulnData("osv", "github"), "*.json"))
        {
            var advisory = Load("github", Path.GetFileName(file));
            var vector = advisory.Severity.FirstOrDefault(s => s.Type == "CVSS_V3")?.Score;
            var word = advisory.DatabaseSpecific?.GetProperty("severity").GetString();
            if (vector is null || word is null)
            {
                continue;
            }

            Assert.Equal(word == "MODERATE" ? "MEDIUM" : word, Cvss.SeverityOf(Cvss.BaseScore(vector)!.Value));
            checkedCount++;
        }

        Assert.True(checkedCount >= 5, $"{checkedCount} advisories with both a vector and a word");
    }

    [Fact]
    public void OS_packages_match_by_source_package_in_their_release_and_language_packages_by_ecosystem()
    {
        var index = new OsvIndex(Directory.EnumerateFiles(Oracle.VulnData("osv"), "*.json", SearchOption.AllDirectories)
            .SelectMany(file => { try { return OsvJson.ParseMany(File.ReadAllBytes(file)); } catch (JsonException) { return []; } }));
        var packages = new List<InstalledPackage>
        {
            // Debian 7's nginx advisory (DSA-3029-1, fixed in 1.2.1-2.2+wheezy3) names the source package.
            Deb("nginx-full", "1.2.1-2.2+wheezy2", "nginx"),
            Deb("nginx-light", "1.2.1-2.2+wheezy3", "nginx"),
            Deb("nginx", "1.2.1-2.2+wheezy2", "nginx-other-source"),
            new() { Type = PackageTypes.Npm, Name = "ws", Version = "8.17.0", Purl = "pkg:npm/ws@8.17.0" },
            new() { Type = PackageTypes.Npm, Name = "ws", Version = "8.17.1", Purl = "pkg:npm/ws@8.17.1" },
        };

        var findings = VulnerabilityMatcher.Match(new ImageInventory(new Registry.Vulnerabilities.Inventory.OperatingSystem("debian", "7", null), packages), index);

        Assert.Equal(
            ["DSA-3029-1 nginx-full 1.2.1-2.2+wheezy3", "GHSA-3h5v-q93c-6h6q ws 8.17.1"],
            findings.Select(f => $"{f.Id} {f.PackageName} {f.FixedVersion}").Order(StringComparer.Ordinal));
        Assert.Equal("HIGH", findings.Single(f => f.PackageName == "ws").Severity);

        // The same package in another Debian release is not matched by a Debian 7 advisory.
        Assert.DoesNotContain(
            VulnerabilityMatcher.Match(new ImageInventory(new Registry.Vulnerabilities.Inventory.OperatingSystem("debian", "12", null), packages), index),
            f => f.Id == "DSA-3029-1");
    }

    private static InstalledPackage Deb(string name, string version, string source) => new()
    {
        Type = PackageTypes.Deb,
        Name = name,
        Version = version,
        SourceName = source,
        SourceVersion = version,
        Purl = $"pkg:deb/debian/{name}@{version}",
    };

    private static OsvAdvisory Load(string folder, string file) => OsvJson.Parse(File.ReadAllBytes(Oracle.VulnData("osv", folder, file)));
}
