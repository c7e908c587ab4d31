using System.Text.RegularExpressions;
using Registry.Vulnerabilities.Osv;
using Registry.Vulnerabilities.Tests.Support;
using Registry.Vulnerabilities.Versions;

namespace Registry.Vulnerabilities.Tests.Versions;

/// <summary>
/// Alpine's ordering against apk-tools' own vectors (test/version.data, kept verbatim in Vectors/apk-version.data) and
/// the real installed database and security database of the shared test data.
/// </summary>
public sealed partial class ApkOrderingTests
{
    [Fact]
    public void Apk_tools_version_data_holds()
    {
        var vectors = new List<(string Left, int Expected, string Right)>();
        foreach (var raw in File.ReadLines(TestData.Vector("apk-version.data")))
        {
            var line = raw.Split('#')[0].Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(3, parts.Length);
            vectors.Add((parts[0], parts[1] switch { "<" => -1, "=" => 0, ">" => 1, _ => throw new FormatException(line) }, parts[2]));
        }

        Assert.True(vectors.Count > 700, $"only {vectors.Count} vectors read");
        OrderingAssert.Pairs(VersionOrderings.Apk, vectors, "apk-tools test/version.data");
    }

    [Fact]
    public void Suffixes_letters_and_revisions_order_as_apk_documents() =>
        OrderingAssert.Ascending(VersionOrderings.Apk,
        [
            "1.0_alpha", "1.0_alpha1", "1.0_alpha2", "1.0_beta", "1.0_pre", "1.0_rc", "1.0_rc1",
            "1.0", "1.0-r1", "1.0-r2", "1.0-r10",
            "1.0_cvs", "1.0_svn", "1.0_git", "1.0_hg", "1.0_p", "1.0_p1", "1.0_p2",
            "1.0a", "1.0b", "1.0.1", "1.1",
        ]);

    [Fact]
    public void Brief_examples_hold() =>
        OrderingAssert.Pairs(VersionOrderings.Apk,
        [
            ("1.0-r1", 1, "1.0"),
            ("1.0a", 1, "1.0"),
            ("1.0.1", 1, "1.0"),
            ("2.0_rc1-r0", -1, "2.0-r0"),
            ("1.0_p1", 1, "1.0"),
            ("1.1.1q-r0", 1, "1.1.1p-r5"),
            ("1.1.1q-r0", -1, "1.1.1t-r0"),
        ], "apk-tools' rules (version.c)");

    /// <summary>
    /// The installed versions of a real Alpine image against every fixed version of the Alpine secdb: the expected sign
    /// comes from dpkg. For versions of the form <c>N(.N)*[letter]-rN</c> without leading zeros, apk's and dpkg's rules
    /// coincide (dotted numbers compared numerically, more parts newer, a letter newer than none and older than a further
    /// <c>.N</c>, then the revision number), so dpkg is a real oracle there; other forms are left to the vectors above.
    /// </summary>
    [Fact]
    public void Installed_versions_against_secdb_fixes_agree_with_the_dpkg_oracle_where_the_rules_coincide()
    {
        var installed = Installed().Select(p => p.Version).Distinct(StringComparer.Ordinal).ToList();
        var fixes = SecdbFixes().Select(f => f.Fixed).Distinct(StringComparer.Ordinal).ToList();
        Assert.True(installed.Count >= 8 && fixes.Count >= 8, $"{installed.Count} installed versions, {fixes.Count} secdb fixes");

        var all = installed.Concat(fixes).ToList();
        Assert.All(all, version => Assert.Matches(Comparable(), version));
        var pairs = OrderingAssert.AllPairs(all);
        OrderingAssert.Agrees(VersionOrderings.Apk, pairs, Oracles.Dpkg(pairs), "dpkg (same rules for N.N[letter]-rN)", minimumChecked: pairs.Count);
    }

    [Fact]
    public void The_installed_zlib_has_both_secdb_fixes_and_an_OSV_range_built_from_the_secdb_agrees()
    {
        var zlib = Installed().Single(p => p.Name == "zlib");
        var fixes = SecdbFixes().Where(f => f.Package == "zlib").ToList();
        Assert.Equal(["1.2.12-r0", "1.2.12-r2"], fixes.Select(f => f.Fixed).Order(StringComparer.Ordinal));

        // Every installed package against every secdb entry of its origin package, as OSV ranges [0, fixed).
        var cases = new List<(string Package, string Installed, string Fixed)>();
        foreach (var (name, version, origin) in Installed())
        {
            cases.AddRange(SecdbFixes().Where(f => f.Package == origin || f.Package == name).Select(f => (name, version, f.Fixed)));
        }

        Assert.Contains(cases, c => c.Package == "zlib" && c.Installed == zlib.Version);
        var oracle = Oracles.Dpkg([.. cases.Select(c => (c.Installed, c.Fixed))]);
        for (var index = 0; index < cases.Count; index++)
        {
            var (package, version, fixedVersion) = cases[index];
            var affected = new OsvAffected
            {
                Package = new OsvPackage { Ecosystem = "Alpine:v3.15", Name = package },
                Ranges = [new OsvRange { Type = "ECOSYSTEM", Events = [new OsvEvent { Introduced = "0" }, new OsvEvent { Fixed = fixedVersion }] }],
            };
            var expected = oracle[index] < 0;
            Assert.True(expected == OsvMatching.IsAffected(affected, version), $"{package} {version} against fix {fixedVersion}: affected should be {expected}");
            Assert.Equal(expected ? fixedVersion : null, OsvMatching.FixedVersion(affected, version));
        }

        Assert.False(OsvMatching.IsAffected(
            new OsvAffected
            {
                Package = new OsvPackage { Ecosystem = "Alpine:v3.15", Name = "zlib" },
                Ranges = [new OsvRange { Type = "ECOSYSTEM", Events = [new OsvEvent { Introduced = "0" }, new OsvEvent { Fixed = "1.2.12-r2" }] }],
            },
            zlib.Version));
    }

    /// <summary>(P:, V:, o:) of <c>lib/apk/db/installed</c>.</summary>
    internal static IEnumerable<(string Name, string Version, string Origin)> Installed()
    {
        string? name = null, version = null, origin = null;
        foreach (var line in File.ReadLines(TestData.PathOf("inputs", "apk", "installed")).Append(""))
        {
            if (line.Length == 0)
            {
                if (name is not null && version is not null)
                {
                    yield return (name, version, origin ?? name);
                }

                name = version = origin = null;
            }
            else if (line.StartsWith("P:", StringComparison.Ordinal))
            {
                name = line[2..];
            }
            else if (line.StartsWith("V:", StringComparison.Ordinal))
            {
                version = line[2..];
            }
            else if (line.StartsWith("o:", StringComparison.Ordinal))
            {
                origin = line[2..];
            }
        }
    }

    /// <summary>(package, fixed version) of the secdb YAML files (<c>name:</c>, then the keys under <c>secfixes:</c>).</summary>
    internal static IEnumerable<(string Package, string Fixed)> SecdbFixes()
    {
        foreach (var file in Directory.EnumerateFiles(TestData.PathOf("other-formats", "alpine-secdb"), "*.yaml").Order(StringComparer.Ordinal))
        {
            string? package = null;
            foreach (var line in File.ReadLines(file))
            {
                if (SecdbName().Match(line) is { Success: true } name)
                {
                    package = name.Groups[1].Value;
                }
                else if (package is not null && SecdbVersion().Match(line) is { Success: true } version)
                {
                    yield return (package, version.Groups[1].Value);
                }
            }
        }
    }

    [GeneratedRegex(@"^\s+name:\s*(\S+)\s*$")]
    private static partial Regex SecdbName();

    [GeneratedRegex(@"^\s+'?([0-9][^:'\s]*)'?:\s*$")]
    private static partial Regex SecdbVersion();

    [GeneratedRegex(@"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*[a-z]?-r[0-9]+$")]
    internal static partial Regex Comparable();
}
