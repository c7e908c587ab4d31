using System.Text.RegularExpressions;
using Registry.Inventory.Tests.Support;
using Registry.Vulnerabilities.Inventory;
using OperatingSystem = Registry.Vulnerabilities.Inventory.OperatingSystem;

namespace Registry.Inventory.Tests;

/// <summary>
/// Alpine's <c>lib/apk/db/installed</c> (apk-tools' "installed database": one record per package, records separated by a
/// blank line, <c>P:</c> name, <c>V:</c> version, <c>A:</c> architecture, <c>o:</c> origin i.e. source package, <c>L:</c> licence).
/// The expectation is extracted here with regular expressions over each record.
/// </summary>
public sealed class ApkTests
{
    private static readonly OperatingSystem Alpine = new("alpine", "3.16.2", "Alpine Linux v3.16");

    private sealed record Expected(string Name, string Version, string Origin, string? Arch, string? License);

    private static List<Expected> Extract(string text) =>
        Regex.Split(text.Replace("\r\n", "\n", StringComparison.Ordinal), @"\n[ \t]*\n")
            .Select(record => new
            {
                P = Field(record, "P"),
                V = Field(record, "V"),
                O = Field(record, "o"),
                A = Field(record, "A"),
                L = Field(record, "L"),
            })
            .Where(r => r.P is not null && r.V is not null)
            .Select(r => new Expected(r.P!, r.V!, r.O ?? r.P!, r.A, r.L))
            .ToList();

    private static string? Field(string record, string key) =>
        Regex.Match(record, $"^{key}:(.*)$", RegexOptions.Multiline) is { Success: true } m ? m.Groups[1].Value.Trim() : null;

    [Fact]
    public void Every_P_record_of_the_shared_database_is_a_package_with_its_origin()
    {
        var text = File.ReadAllText(TestData.Vuln("inputs", "apk", "installed"));
        var expected = Extract(text);
        Assert.Equal(Regex.Count(text, "^P:", RegexOptions.Multiline), expected.Count);
        Assert.True(expected.Count >= 10);

        var packages = OsPackages.ParseApkInstalled(text, Alpine, "/lib/apk/db/installed");

        Assert.Equal(
            expected.Select(e => (e.Name, e.Version, e.Origin, e.Arch, e.License)).Order(),
            packages.Select(p => (p.Name, p.Version, p.SourceName!, p.Architecture, p.License)).Order());
        Assert.All(packages, p =>
        {
            Assert.Equal(PackageTypes.Apk, p.Type);
            Assert.Equal(p.Version, p.SourceVersion);
            Assert.Equal("/lib/apk/db/installed", p.Location);
        });
    }

    /// <summary>purl-spec apk type: <c>pkg:apk/alpine/&lt;name&gt;@&lt;version&gt;?arch=…</c>, plus the distro qualifier.</summary>
    [Fact]
    public void Packages_get_apk_purls_in_the_alpine_namespace()
    {
        var text = File.ReadAllText(TestData.Vuln("inputs", "apk", "installed"));

        var packages = OsPackages.ParseApkInstalled(text, Alpine, "/lib/apk/db/installed");

        Assert.All(packages, p =>
        {
            var (head, qualifiers) = PurlSpec.Split(p.Purl);
            Assert.Equal(PurlSpec.Build("apk", "alpine", p.Name, p.Version), head);
            Assert.Equal(p.Architecture, qualifiers.Single(q => q.Key == "arch").Value);
            Assert.Equal("alpine-3.16.2", qualifiers.Single(q => q.Key == "distro").Value);
            Assert.Equal(qualifiers.Select(q => q.Key).Order(StringComparer.Ordinal), qualifiers.Select(q => q.Key));
        });
    }

    [Fact]
    public void A_record_without_origin_is_its_own_source_and_incomplete_records_are_skipped()
    {
        const string text = """
            C:Q1abc=
            P:musl
            V:1.2.4-r2
            A:aarch64
            L:MIT

            C:Q1def=
            P:busybox-binsh
            V:1.36.1-r5
            A:aarch64
            o:busybox

            P:no-version
            A:aarch64

            """;

        var packages = OsPackages.ParseApkInstalled(text, null, "/lib/apk/db/installed");

        Assert.Equal([("busybox-binsh", "1.36.1-r5", "busybox"), ("musl", "1.2.4-r2", "musl")],
            packages.Select(p => (p.Name, p.Version, p.SourceName!)).Order());
        Assert.All(packages, p => Assert.StartsWith($"pkg:apk/alpine/{p.Name}@", p.Purl, StringComparison.Ordinal));
    }
}
