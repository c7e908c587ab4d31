using Registry.Vulnerabilities.Osv;
using Registry.Vulnerabilities.Tests.Support;
using Registry.Vulnerabilities.Versions;

namespace Registry.Vulnerabilities.Tests.Versions;

/// <summary>Which ordering an OSV ecosystem name (osv-schema's ecosystem list) selects.</summary>
public sealed class EcosystemTests
{
    public static TheoryData<string, string> Known => new()
    {
        { "Debian:12", "dpkg" },
        { "Debian:7", "dpkg" },
        { "Ubuntu:22.04:LTS", "dpkg" },
        { "Ubuntu:Pro:14.04:LTS", "dpkg" },
        { "Alpine:v3.18", "apk" },
        { "Alpine:v3.15", "apk" },
        { "AlmaLinux:8", "rpm" },
        { "AlmaLinux:9", "rpm" },
        { "Rocky Linux:9", "rpm" },
        { "Rocky Linux:8", "rpm" },
        { "Red Hat", "rpm" },
        { "npm", "semver" },
        { "Bitnami", "semver" },
        { "NuGet", "nuget" },
        { "PyPI", "pep440" },
        { "Go", "go" },
    };

    [Theory]
    [MemberData(nameof(Known))]
    public void Ecosystem_selects_its_ordering(string ecosystem, string expected)
    {
        var ordering = VersionOrderings.ForEcosystem(ecosystem);
        Assert.NotNull(ordering);
        Assert.Same(expected switch
        {
            "dpkg" => VersionOrderings.Dpkg,
            "apk" => VersionOrderings.Apk,
            "rpm" => VersionOrderings.Rpm,
            "semver" => VersionOrderings.SemVer,
            "nuget" => VersionOrderings.NuGet,
            "pep440" => VersionOrderings.Pep440,
            "go" => VersionOrderings.Go,
            _ => throw new ArgumentOutOfRangeException(nameof(expected)),
        }, ordering);
    }

    [Theory]
    [InlineData("NotAnEcosystem")]
    [InlineData("")]
    [InlineData("GIT")]
    public void Unknown_ecosystems_have_no_ordering(string ecosystem) =>
        Assert.Null(VersionOrderings.ForEcosystem(ecosystem));

    [Fact]
    public void Every_ecosystem_of_the_test_data_with_ranges_to_evaluate_is_known()
    {
        var ecosystems = TestData.OsvFiles()
            .Select(f => TestData.Json(f.Full))
            .Where(json => json.ValueKind == System.Text.Json.JsonValueKind.Object && json.TryGetProperty("id", out _))
            .SelectMany(json => OsvJson.Parse(System.Text.Encoding.UTF8.GetBytes(json.GetRawText())).Affected)
            .Where(a => a.Ranges.Any(r => r.Type == "ECOSYSTEM"))
            .Select(a => a.Package!.Ecosystem)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        Assert.NotEmpty(ecosystems);
        Assert.All(ecosystems, e => Assert.True(VersionOrderings.ForEcosystem(e) is not null, $"no ordering for {e}"));
    }
}
