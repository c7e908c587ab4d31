using Registry.Vulnerabilities.Versions;

namespace Registry.Scanning.Tests;

/// <summary>Version orderings against real oracles (dpkg) and the vectors their projects publish.</summary>
public sealed class VersionOrderingTests
{
    [Fact]
    public void Dpkg_ordering_agrees_with_dpkg_compare_versions_on_thousands_of_pairs_from_this_machine()
    {
        var versions = File.ReadLines("/var/lib/dpkg/status")
            .Where(line => line.StartsWith("Version: ", StringComparison.Ordinal))
            .Select(line => line["Version: ".Length..].Trim())
            .Concat(["1.0~rc1", "1.0", "1.0-1", "1.0+dfsg-1", "1:0.9", "2.30-2ubuntu1~", "1.0~~", "1.0~", "1.0a", "1.0.0", "0:1.0", "1.0-0", "10", "9.9", "1.2.3+b1"])
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(versions.Count > 100, $"this machine's dpkg status has {versions.Count} versions");

        var random = new Random(20261128);
        var pairs = new List<(string Left, string Right)>();
        for (var i = 0; i + 1 < versions.Count; i++)
        {
            pairs.Add((versions[i], versions[i + 1]));
        }

        while (pairs.Count < 3000)
        {
            pairs.Add((versions[random.Next(versions.Count)], versions[random.Next(versions.Count)]));
        }

        // One shell for all pairs: "lt", "eq" or "gt" per line, by dpkg itself.
        var script = string.Join('\n', pairs.Select(p => $"dpkg --compare-versions '{p.Left}' lt '{p.Right}' && echo lt || {{ dpkg --compare-versions '{p.Left}' eq '{p.Right}' && echo eq || echo gt; }}"));
        var oracle = Oracle.Run("bash", "-s", script).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(pairs.Count, oracle.Length);

        var disagreements = pairs.Zip(oracle)
            .Where(p => Name(VersionOrderings.Dpkg.Compare(p.First.Left, p.First.Right)) != p.Second)
            .Select(p => $"{p.First.Left} vs {p.First.Right}: dpkg says {p.Second}")
            .ToList();
        Assert.True(disagreements.Count == 0, string.Join(Environment.NewLine, disagreements.Take(20)));
    }

    // rpm's own rpmvercmp test vectors (tests/rpmvercmp.at), epochs and releases added.
    [Theory]
    [InlineData("1.0", "1.0", 0)]
    [InlineData("1.0", "2.0", -1)]
    [InlineData("2.0.1", "2.0.1", 0)]
    [InlineData("2.0", "2.0.1", -1)]
    [InlineData("2.0.1a", "2.0.1a", 0)]
    [InlineData("2.0.1a", "2.0.1", 1)]
    [InlineData("5.5p1", "5.5p2", -1)]
    [InlineData("5.5p10", "5.5p1", 1)]
    [InlineData("10xyz", "10.1xyz", -1)]
    [InlineData("xyz10", "xyz10.1", -1)]
    [InlineData("xyz.4", "8", -1)]
    [InlineData("5.5p1", "5.5.p1", 0)]
    [InlineData("5.5p1", "5.6p1", -1)]
    [InlineData("6.0.rc1", "6.0", 1)]
    [InlineData("10b2", "10a1", 1)]
    [InlineData("1.0aa", "1.0a", 1)]
    [InlineData("1.0~rc1", "1.0", -1)]
    [InlineData("1.0~rc1", "1.0~rc2", -1)]
    [InlineData("1.0~rc1~git123", "1.0~rc1", -1)]
    [InlineData("1.0^", "1.0", 1)]
    [InlineData("1.0^git1", "1.01", -1)]
    [InlineData("1.0^git1", "1.0^git2", -1)]
    [InlineData("1.0^git1~pre", "1.0^git1", -1)]
    [InlineData("1:1.0-1", "2.0-1", 1)]
    [InlineData("2.20.0-2.el8", "2.20.0-3.el8_8", -1)]
    [InlineData("1.1.1k-7.el8_6", "1.1.1k-7.el8_6", 0)]
    public void Rpm_ordering_matches_rpmvercmp(string left, string right, int expected)
    {
        Assert.Equal(expected, Math.Sign(VersionOrderings.Rpm.Compare(left, right)));
        Assert.Equal(-expected, Math.Sign(VersionOrderings.Rpm.Compare(right, left)));
    }

    public static TheoryData<string, string[]> OrderedLists => new()
    {
        // apk-tools (version.c): pre-release suffixes before the release; then, by token type, revision < post suffix < letter < more digits
        { "apk", ["1.0_alpha", "1.0_alpha2", "1.0_beta", "1.0_pre", "1.0_rc", "1.0_rc1", "1.0", "1.0-r1", "1.0_cvs", "1.0_p1", "1.0a", "1.0.1", "1.1", "2.0_rc1-r0", "2.0-r0"] },
        // semver.org §11
        { "SemVer", ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "2.0.0", "2.1.0", "2.1.1"] },
        // Go pseudo-versions are pre-releases
        { "Go", ["v0.0.0-20191109021931-daa7c04131f5", "v0.1.0", "v1.2.3-pre", "v1.2.3", "v1.10.0"] },
        // NuGet: four parts
        { "NuGet", ["1.0.0-alpha", "1.0.0", "1.0.0.1", "1.0.1", "10.0.0"] },
        // PEP 440's own example ordering
        { "PEP 440", ["1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7", "1.0+5", "1.0.post456.dev34", "1.0.post456", "1.0.15", "1.1.dev1"] },
        // Maven qualifiers
        { "Maven", ["1.0-alpha-1", "1.0-beta-1", "1.0-milestone-1", "1.0-rc-1", "1.0-SNAPSHOT", "1.0", "1.0-sp-1", "1.0.1", "1.1"] },
    };

    [Theory]
    [MemberData(nameof(OrderedLists))]
    public void Each_ordering_sorts_its_published_list_and_is_antisymmetric(string ordering, string[] ascending)
    {
        var comparer = Ordering(ordering);
        for (var i = 0; i < ascending.Length; i++)
        {
            for (var j = 0; j < ascending.Length; j++)
            {
                Assert.True(
                    Math.Sign(comparer.Compare(ascending[i], ascending[j])) == Math.Sign(i.CompareTo(j)),
                    $"{ordering}: {ascending[i]} vs {ascending[j]} gave {comparer.Compare(ascending[i], ascending[j])}");
            }
        }
    }

    [Theory]
    [InlineData("PEP 440", "1.0ALPHA1", "1.0a1")]
    [InlineData("PEP 440", "1.0-1", "1.0.post1")]
    [InlineData("PEP 440", "1.0", "1.0.0")]
    [InlineData("PEP 440", "v1.0", "1.0")]
    [InlineData("NuGet", "1.0.0-BETA", "1.0.0-beta")]
    [InlineData("NuGet", "1.0", "1.0.0.0")]
    [InlineData("SemVer", "1.0.0+build.1", "1.0.0+build.2")]
    [InlineData("Go", "v1.2.3+incompatible", "v1.2.3")]
    [InlineData("Maven", "1.0", "1")]
    [InlineData("Maven", "1.0-ga", "1.0")]
    [InlineData("dpkg", "0:1.0", "1.0")]
    [InlineData("dpkg", "1.0", "1.0-0")]
    public void Equal_spellings_compare_equal(string ordering, string left, string right) =>
        Assert.Equal(0, Ordering(ordering).Compare(left, right));

    [Theory]
    [InlineData("Debian:12", "dpkg")]
    [InlineData("Ubuntu:22.04:LTS", "dpkg")]
    [InlineData("Alpine:v3.18", "apk")]
    [InlineData("AlmaLinux:8", "rpm")]
    [InlineData("Rocky Linux:9", "rpm")]
    [InlineData("npm", "SemVer")]
    [InlineData("NuGet", "NuGet")]
    [InlineData("PyPI", "PEP 440")]
    [InlineData("Go", "Go")]
    [InlineData("Maven", "Maven")]
    public void OSV_ecosystems_map_to_their_ordering(string ecosystem, string ordering) =>
        Assert.Equal(ordering, VersionOrderings.ForEcosystem(ecosystem)?.Name);

    [Fact]
    public void An_unknown_ecosystem_has_no_ordering() => Assert.Null(VersionOrderings.ForEcosystem("Hackage"));

    private static IVersionOrdering Ordering(string name) => name switch
    {
        "apk" => VersionOrderings.Apk,
        "SemVer" => VersionOrderings.SemVer,
        "Go" => VersionOrderings.Go,
        "NuGet" => VersionOrderings.NuGet,
        "PEP 440" => VersionOrderings.Pep440,
        "Maven" => VersionOrderings.Maven,
        "dpkg" => VersionOrderings.Dpkg,
        _ => throw new ArgumentException(name),
    };

    private static string Name(int order) => order < 0 ? "lt" : order == 0 ? "eq" : "gt";
}
