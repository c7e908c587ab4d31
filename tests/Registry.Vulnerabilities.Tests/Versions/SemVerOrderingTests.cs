using System.Text.Json;
using Registry.Vulnerabilities.Tests.Support;
using Registry.Vulnerabilities.Versions;

namespace Registry.Vulnerabilities.Tests.Versions;

/// <summary>Semantic Versioning 2.0 (npm, Bitnami), Go modules and NuGet: published vectors and the ecosystems' own code.</summary>
public sealed class SemVerOrderingTests
{
    /// <summary>semver.org §11, the precedence example (and its first rule's 1.0.0 &lt; 2.0.0 &lt; 2.1.0 &lt; 2.1.1).</summary>
    private static readonly string[] SemVerOrgPrecedence =
    [
        "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0",
        "2.0.0", "2.1.0", "2.1.1",
    ];

    /// <summary>node-semver test/fixtures/comparisons.js: the first is greater than the second (strict versions; a leading v allowed).</summary>
    private static readonly (string Greater, string Lesser)[] NodeSemverComparisons =
    [
        ("0.0.0", "0.0.0-foo"), ("0.0.1", "0.0.0"), ("1.0.0", "0.9.9"), ("0.10.0", "0.9.0"), ("0.99.0", "0.10.0"), ("2.0.0", "1.2.3"),
        ("v0.0.0", "0.0.0-foo"), ("v0.0.1", "0.0.0"), ("v1.0.0", "0.9.9"), ("v0.10.0", "0.9.0"), ("v0.99.0", "0.10.0"), ("v2.0.0", "1.2.3"),
        ("0.0.0", "v0.0.0-foo"), ("0.0.1", "v0.0.0"), ("1.0.0", "v0.9.9"), ("0.10.0", "v0.9.0"), ("0.99.0", "v0.10.0"), ("2.0.0", "v1.2.3"),
        ("1.2.3", "1.2.3-asdf"), ("1.2.3", "1.2.3-4"), ("1.2.3", "1.2.3-4-foo"), ("1.2.3-5-foo", "1.2.3-5"), ("1.2.3-5", "1.2.3-4"),
        ("1.2.3-5-foo", "1.2.3-5-Foo"), ("3.0.0", "2.7.2+asdf"), ("1.2.3-a.10", "1.2.3-a.5"), ("1.2.3-a.b", "1.2.3-a.5"),
        ("1.2.3-a.b", "1.2.3-a"), ("1.2.3-a.b.c.10.d.5", "1.2.3-a.b.c.5.d.100"), ("1.2.3-r2", "1.2.3-r100"), ("1.2.3-r100", "1.2.3-R2"),
    ];

    /// <summary>node-semver test/fixtures/equality.js, the entries without a space inside the version.</summary>
    private static readonly (string Left, string Right)[] NodeSemverEquality =
    [
        ("1.2.3", "v1.2.3"), ("1.2.3", "=1.2.3"), ("1.2.3", " v1.2.3"), ("1.2.3", " =1.2.3"),
        ("1.2.3-0", "v1.2.3-0"), ("1.2.3-0", "=1.2.3-0"), ("1.2.3-1", "v1.2.3-1"), ("1.2.3-1", "=1.2.3-1"),
        ("1.2.3-beta", "v1.2.3-beta"), ("1.2.3-beta", "=1.2.3-beta"), ("1.2.3-beta", " v1.2.3-beta"),
        ("1.2.3-beta+build", "1.2.3-beta+otherbuild"), ("1.2.3+build", "1.2.3+otherbuild"), ("  v1.2.3+build", "1.2.3+otherbuild"),
    ];

    /// <summary>
    /// golang.org/x/mod/semver semver_test.go: the valid inputs in ascending order, grouped where their canonical forms
    /// are equal (v1 = v1.0 = v1.0.0; build metadata dropped).
    /// </summary>
    private static readonly string[][] GoModSemverOrder =
    [
        ["v1.0.0-alpha"], ["v1.0.0-alpha.1"], ["v1.0.0-alpha.beta"], ["v1.0.0-beta"], ["v1.0.0-beta.2"], ["v1.0.0-beta.11"], ["v1.0.0-rc.1"],
        ["v1", "v1.0", "v1.0.0"], ["v1.2", "v1.2.0"],
        ["v1.2.3-456"], ["v1.2.3-456.789"], ["v1.2.3-456-789"], ["v1.2.3-456a"], ["v1.2.3-pre", "v1.2.3-pre+meta"], ["v1.2.3-pre.1"], ["v1.2.3-zzz"],
        ["v1.2.3", "v1.2.3+meta", "v1.2.3+meta-pre", "v1.2.3+meta-pre.sha.256a"],
    ];

    [Fact]
    public void SemVer_org_precedence_list_holds_in_both_directions() =>
        OrderingAssert.Ascending(VersionOrderings.SemVer, SemVerOrgPrecedence);

    [Fact]
    public void SemVer_ignores_build_metadata() =>
        OrderingAssert.Ranked(VersionOrderings.SemVer,
        [
            ["1.0.0-alpha", "1.0.0-alpha+001"],
            ["1.0.0-beta", "1.0.0-beta+exp.sha.5114f85"],
            ["1.0.0", "1.0.0+20130313144700", "1.0.0+21AF26D3----117B344092BD"],
        ]);

    [Fact]
    public void Node_semver_comparison_and_equality_fixtures_hold() =>
        OrderingAssert.Pairs(VersionOrderings.SemVer,
            NodeSemverComparisons.Select(c => (c.Greater, 1, c.Lesser)).Concat(NodeSemverEquality.Select(e => (e.Left, 0, e.Right))),
            "node-semver test fixtures");

    [Fact]
    public void Npm_versions_of_the_advisories_agree_with_npms_own_semver()
    {
        var versions = AdvisoryVersions("npm").Concat(AdvisoryVersions("Bitnami")).Where(v => v != "0").ToList();
        Assert.True(versions.Count >= 15, $"only {versions.Count} npm/Bitnami versions in the advisories");
        var set = versions
            .SelectMany(v => new[] { v, RpmOrderingTests.Bump(v, 1, last: true), RpmOrderingTests.Bump(v, -1, last: true), RpmOrderingTests.Bump(v, 1, last: false), v + "-rc.1", v + "-0", v + "+build.5" })
            .OfType<string>()
            .Concat(SemVerOrgPrecedence)
            .Concat(["1.2.3-alpha.10", "1.2.3-alpha.9", "1.2.3-alpha.a", "1.2.3-Alpha", "1.2.3-alpha-1", "10.0.0", "9.99.99", "0.0.0", "0.0.1-0"])
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var pairs = OrderingAssert.AllPairs(set);
        OrderingAssert.Agrees(VersionOrderings.SemVer, pairs, Oracles.NpmSemver(pairs), "npm semver.compare", minimumChecked: pairs.Count / 2);
    }

    [Fact]
    public void Go_module_semver_test_vectors_hold() =>
        OrderingAssert.Ranked(VersionOrderings.Go, GoModSemverOrder);

    [Fact]
    public void Go_compares_major_minor_and_patch_numerically() =>
        OrderingAssert.Pairs(VersionOrderings.Go,
        [
            ("v1", 0, "v1"), ("v2", 1, "v1"), ("v1", -1, "v2"),
            ("v1.19", 1, "v1.2"), ("v1.2.10", 1, "v1.2.9"), ("v10.0.0", 1, "v9.99.99"),
        ], "semver.org §11 (\"compared numerically\"), as golang.org/x/mod/semver.Compare");

    [Fact]
    public void Go_pseudo_versions_are_pre_releases_and_incompatible_is_ignored() =>
        OrderingAssert.Ranked(VersionOrderings.Go,
        [
            // A pseudo-version before any tag (vX.0.0-yyyymmddhhmmss-abcdefabcdef) sorts before the first release.
            ["v0.0.0-20191109021931-daa7c04131f5"],
            ["v0.0.0-20200101000000-0123456789ab"],
            ["v0.1.0"],
            // After v0.1.0: v0.1.1-0.yyyymmddhhmmss-abcdef is a pre-release of v0.1.1 (go.dev/ref/mod#pseudo-versions).
            ["v0.1.1-0.20200101000000-0123456789ab"],
            ["v0.1.1-0.20210101000000-0123456789ab"],
            ["v0.1.1"],
            ["v2.0.0+incompatible", "v2.0.0"],
            ["v2.0.1+incompatible"],
        ]);

    [Fact]
    public void NuGet_four_part_versions_and_case_insensitive_labels() =>
        OrderingAssert.Pairs(VersionOrderings.NuGet,
        [
            ("1.0.0.1", 1, "1.0.0"),
            ("1.0.0.0", 0, "1.0.0"),
            ("1.0", 0, "1.0.0"),
            ("1.0.0-BETA", 0, "1.0.0-beta"),
            ("1.0.0-Beta.2", -1, "1.0.0-beta.10"),
            ("1.0.0-beta", -1, "1.0.0"),
            ("1.0.0+meta", 0, "1.0.0"),
            ("1.0.0.10", 1, "1.0.0.9"),
            ("8.0.4", 1, "8.0.4-rc.1.24267.6"),
        ], "NuGet versioning rules (learn.microsoft.com/nuget/concepts/package-versioning)");

    [Fact]
    public void NuGet_versions_of_the_data_agree_with_NuGet_Versioning()
    {
        var versions = AdvisoryVersions("NuGet").Concat(DotnetInputVersions()).Where(v => v != "0").ToList();
        Assert.True(versions.Count >= 6, $"only {versions.Count} NuGet versions in the data");
        var set = versions
            .SelectMany(v => new[] { v, RpmOrderingTests.Bump(v, 1, last: true), RpmOrderingTests.Bump(v, -1, last: true), v + ".1", v + "-preview.1", v + "-PREVIEW.1", v + "-rc.2", v + "-rc.10", v + "+sha.1" })
            .OfType<string>()
            .Concat(["1.0.0.1", "1.0.0", "1.0", "1.0.0-BETA", "1.0.0-beta", "1.0.0-beta2", "1.0.0-beta10", "1.0.0-alpha.1", "1.0.0-alpha.10", "2.0.0-a-b", "2.0.0-a.b"])
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var pairs = OrderingAssert.AllPairs(set);
        OrderingAssert.Agrees(VersionOrderings.NuGet, pairs, Oracles.NuGet(pairs), "NuGet.Versioning VersionComparer.Default", minimumChecked: pairs.Count / 2);
    }

    /// <summary>
    /// NuGet.Versioning decides whether a pre-release label is numeric with <c>int.TryParse</c>, which takes a sign: the
    /// label "-1" of "1.0.0--1" is the number -1 and "-0" is 0 (so "1.0.0-0" equals "1.0.0--0" and "1.0.0--1" is before
    /// "1.0.0-1"). SemVer would call both alphanumeric; NuGet's own comparer is the authority for NuGet packages.
    /// </summary>
    [Fact]
    public void NuGet_labels_with_a_sign_compare_as_NuGet_Versioning_does()
    {
        List<(string Left, string Right)> pairs =
        [
            ("1.0.0-1", "1.0.0--1"),
            ("1.0.0-0", "1.0.0--0"),
            ("1.0.0--1", "1.0.0--2"),
            ("2.0.0-1.preview-1", "2.0.0--1.preview-1"),
            ("1.0.0-alpha", "1.0.0--1"),
        ];
        OrderingAssert.Agrees(VersionOrderings.NuGet, pairs, Oracles.NuGet(pairs), "NuGet.Versioning VersionComparer.Default", minimumChecked: pairs.Count);
    }

    /// <summary>Every introduced/fixed/last_affected version of the OSV records of one ecosystem.</summary>
    internal static IEnumerable<string> AdvisoryVersions(string ecosystem) =>
        TestData.OsvFiles()
            .Select(f => TestData.Json(f.Full))
            .Where(json => json.ValueKind == JsonValueKind.Object && json.TryGetProperty("affected", out _))
            .SelectMany(json => json.GetProperty("affected").EnumerateArray())
            .Where(a => a.GetProperty("package").GetProperty("ecosystem").GetString() == ecosystem)
            .SelectMany(a => a.TryGetProperty("ranges", out var ranges) ? ranges.EnumerateArray() : Enumerable.Empty<JsonElement>())
            .SelectMany(r => r.GetProperty("events").EnumerateArray())
            .SelectMany(e => e.EnumerateObject().Select(p => p.Value.GetString()))
            .OfType<string>()
            .Distinct(StringComparer.Ordinal);

    /// <summary>Package versions of the .NET inputs (packages.lock.json "resolved", deps.json "libraries" keys).</summary>
    private static IEnumerable<string> DotnetInputVersions()
    {
        var lockFile = TestData.Json(TestData.PathOf("inputs", "dotnet", "packages.lock.json"));
        foreach (var framework in lockFile.GetProperty("dependencies").EnumerateObject())
        {
            foreach (var package in framework.Value.EnumerateObject())
            {
                if (package.Value.TryGetProperty("resolved", out var resolved) && resolved.GetString() is { } version)
                {
                    yield return version;
                }
            }
        }

        var deps = TestData.Json(TestData.PathOf("inputs", "dotnet", "TestLibrary.deps.json"));
        foreach (var library in deps.GetProperty("libraries").EnumerateObject())
        {
            var slash = library.Name.IndexOf('/', StringComparison.Ordinal);
            if (slash > 0)
            {
                yield return library.Name[(slash + 1)..];
            }
        }
    }
}
