using System.Text.Json;
using Registry.Vulnerabilities.Osv;
using Registry.Vulnerabilities.Tests.Support;
using Registry.Vulnerabilities.Tests.Versions;

namespace Registry.Vulnerabilities.Tests.Osv;

/// <summary>
/// Range evaluation on the published advisories. What is affected is derived from each file itself (a fixed version is not
/// affected, an introduced one is) and, for versions around every boundary, from the ecosystem's own comparison (rpm,
/// dpkg, npm's semver, NuGet.Versioning, packaging): affected when introduced &lt;= v &lt; fixed (or &lt;= last_affected).
/// </summary>
public sealed class OsvMatchingTests
{
    /// <summary>One introduced event and what closes it (fixed or last_affected), in the order the range lists them.</summary>
    private sealed record Interval(string Introduced, string? Fixed, string? LastAffected);

    public static TheoryData<string> AdvisoryFiles()
    {
        var data = new TheoryData<string>();
        foreach (var (relative, full) in TestData.OsvFiles())
        {
            var json = TestData.Json(full);
            if (json.ValueKind == JsonValueKind.Object && json.TryGetProperty("affected", out _))
            {
                data.Add(relative);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AdvisoryFiles))]
    public void Fixed_versions_are_not_affected_introduced_and_listed_versions_are(string relative)
    {
        var advisory = OsvJson.Parse(File.ReadAllBytes(Path.Combine(TestData.Osv, relative)));
        var checks = 0;
        foreach (var affected in advisory.Affected)
        {
            foreach (var interval in affected.Ranges.Where(r => r.Type is "ECOSYSTEM" or "SEMVER").SelectMany(Intervals))
            {
                if (interval.Fixed is { } fix)
                {
                    Assert.False(OsvMatching.IsAffected(affected, fix), $"{advisory.Id} {affected.Package?.Name}: the fixed version {fix} is reported affected");
                    Assert.Null(OsvMatching.FixedVersion(affected, fix));
                    checks++;
                }

                if (interval.Introduced != "0")
                {
                    Assert.True(OsvMatching.IsAffected(affected, interval.Introduced), $"{advisory.Id} {affected.Package?.Name}: the introducing version {interval.Introduced} is not reported affected");
                    Assert.Equal(interval.Fixed, OsvMatching.FixedVersion(affected, interval.Introduced));
                    checks++;
                }

                if (interval.LastAffected is { } last)
                {
                    Assert.True(OsvMatching.IsAffected(affected, last));
                    Assert.Null(OsvMatching.FixedVersion(affected, last));
                    checks++;
                }
            }

            foreach (var version in affected.Versions)
            {
                Assert.True(OsvMatching.IsAffected(affected, version), $"{advisory.Id} {affected.Package?.Name}: listed version {version} is not reported affected");
                checks++;
            }
        }

        Assert.True(checks > 0, $"{relative}: nothing to check");
    }

    [Fact]
    public void AlmaLinux_and_Rocky_advisories_agree_with_rpm() =>
        AgreesWithOracle(Affected("almalinux", "rocky"), RpmOrderingTests.Near, "0.1-1", Oracles.Rpm, "rpm.vercmp", minimumCases: 100);

    [Fact]
    public void Debian_advisories_agree_with_dpkg()
    {
        var debian = Affected("osv.dev-testdata").Where(a => a.Package!.Ecosystem.StartsWith("Debian", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(debian);
        AgreesWithOracle(debian, DpkgNear, "0.1-1", Oracles.Dpkg, "dpkg --compare-versions", minimumCases: 10);
    }

    [Fact]
    public void GitHub_npm_and_Bitnami_advisories_agree_with_npm_semver()
    {
        var npm = Affected("github", "bitnami").Where(a => a.Package!.Ecosystem is "npm" or "Bitnami").ToList();
        Assert.True(npm.Count >= 15, $"only {npm.Count} npm/Bitnami affected entries");
        AgreesWithOracle(npm, SemVerNear, "0.0.1", Oracles.NpmSemver, "npm semver.compare", minimumCases: 150);
    }

    [Fact]
    public void GitHub_NuGet_advisories_agree_with_NuGet_Versioning()
    {
        var nuget = Affected("github").Where(a => a.Package!.Ecosystem == "NuGet").ToList();
        Assert.True(nuget.Count >= 3, $"only {nuget.Count} NuGet affected entries");
        AgreesWithOracle(nuget, v => SemVerNear(v).Append(v + ".1").Append(v + "-PREVIEW.1"), "0.0.1", Oracles.NuGet, "NuGet.Versioning", minimumCases: 30);
    }

    [Fact]
    public void Alpine_advisory_agrees_with_the_dpkg_oracle_where_apk_and_dpkg_rules_coincide()
    {
        var alpine = Affected("osv.dev-testdata").Where(a => a.Package!.Ecosystem.StartsWith("Alpine", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(alpine);
        AgreesWithOracle(alpine, v => DpkgNear(v).Where(n => ApkOrderingTests.Comparable().IsMatch(n)), "0.1-r0", Oracles.Dpkg, "dpkg (same rules for N.N[letter]-rN)", minimumCases: 20);
    }

    [Fact]
    public void PyPI_advisory_agrees_with_packaging()
    {
        var pypi = Affected("osv.dev-testdata").Where(a => a.Package!.Ecosystem == "PyPI").ToList();
        Assert.NotEmpty(pypi);
        AgreesWithOracle(pypi, v => SemVerNear(v).Concat([v + "rc1", v + ".post1", v + ".dev0", v + "a1", v + ".0"]), "0.1", Oracles.Pep440, "packaging.version.Version", minimumCases: 20);
    }

    [Fact]
    public void Last_affected_is_inclusive()
    {
        var npm = Range("npm", "left-pad", new OsvEvent { Introduced = "1.0.0" }, new OsvEvent { LastAffected = "1.2.3" });
        Assert.True(OsvMatching.IsAffected(npm, "1.2.3"));
        Assert.True(OsvMatching.IsAffected(npm, "1.0.0"));
        Assert.True(OsvMatching.IsAffected(npm, "1.2.3-rc.1"));
        Assert.False(OsvMatching.IsAffected(npm, "1.2.4"));
        Assert.False(OsvMatching.IsAffected(npm, "0.9.9"));
        Assert.Null(OsvMatching.FixedVersion(npm, "1.2.3"));
        AgreesWithOracle([npm], SemVerNear, "0.0.1", Oracles.NpmSemver, "npm semver.compare", minimumCases: 8);

        var debian = Range("Debian:12", "openssl", new OsvEvent { Introduced = "0" }, new OsvEvent { LastAffected = "3.0.11-1~deb12u2" });
        Assert.True(OsvMatching.IsAffected(debian, "3.0.11-1~deb12u2"));
        Assert.True(OsvMatching.IsAffected(debian, "3.0.11-1~deb12u1"));
        Assert.False(OsvMatching.IsAffected(debian, "3.0.11-1"));
        AgreesWithOracle([debian], DpkgNear, "0.1-1", Oracles.Dpkg, "dpkg --compare-versions", minimumCases: 6);
    }

    [Fact]
    public void Events_are_evaluated_in_version_order_whatever_their_order_in_the_record()
    {
        // osv-schema's evaluation sorts a range's events by version (introduced "0" first) before walking them.
        var npm = Range("npm", "left-pad",
            new OsvEvent { Fixed = "2.0.0" }, new OsvEvent { Introduced = "1.0.0" }, new OsvEvent { Fixed = "1.2.0" }, new OsvEvent { Introduced = "1.5.0" });
        Assert.False(OsvMatching.IsAffected(npm, "0.9.0"));
        Assert.True(OsvMatching.IsAffected(npm, "1.0.0"));
        Assert.Equal("1.2.0", OsvMatching.FixedVersion(npm, "1.1.0"));
        Assert.False(OsvMatching.IsAffected(npm, "1.2.0"));
        Assert.False(OsvMatching.IsAffected(npm, "1.4.9"));
        Assert.True(OsvMatching.IsAffected(npm, "1.5.0"));
        Assert.Equal("2.0.0", OsvMatching.FixedVersion(npm, "1.9.9"));
        Assert.False(OsvMatching.IsAffected(npm, "2.0.0"));

        var rpm = Range("AlmaLinux:8", "krb5-libs", new OsvEvent { Fixed = "1.18.2-14.el8" }, new OsvEvent { Introduced = "0" });
        Assert.True(OsvMatching.IsAffected(rpm, "1.18.2-13.el8"));
        Assert.Equal("1.18.2-14.el8", OsvMatching.FixedVersion(rpm, "1.18.2-13.el8"));
        Assert.False(OsvMatching.IsAffected(rpm, "1.18.2-14.el8"));
    }

    [Fact]
    public void Several_intervals_in_one_range_each_have_their_fix()
    {
        // Bitnami's consul record: [0, 1.8.15), [1.9.0, 1.9.9), [1.10.0, 1.10.2).
        var consul = OsvJson.Parse(File.ReadAllBytes(Path.Combine(TestData.Osv, "bitnami", "BIT-consul-2021-37219.json"))).Affected.Single();
        Assert.Equal("1.8.15", OsvMatching.FixedVersion(consul, "1.8.14"));
        Assert.Equal("1.9.9", OsvMatching.FixedVersion(consul, "1.9.0"));
        Assert.Equal("1.9.9", OsvMatching.FixedVersion(consul, "1.9.8"));
        Assert.Equal("1.10.2", OsvMatching.FixedVersion(consul, "1.10.1"));
        Assert.False(OsvMatching.IsAffected(consul, "1.8.15"));
        Assert.False(OsvMatching.IsAffected(consul, "1.8.99"));
        Assert.False(OsvMatching.IsAffected(consul, "1.10.2"));
        Assert.Null(OsvMatching.FixedVersion(consul, "1.9.9"));
    }

    [Fact]
    public void Explicit_versions_lists_count_and_an_open_range_has_no_fix()
    {
        var ubuntu = OsvJson.Parse(File.ReadAllBytes(Path.Combine(TestData.Osv, "osv.dev-testdata", "UBUNTU-CVE-2025-38094.json"))).Affected.Single();
        Assert.True(ubuntu.Versions.Count > 100);
        Assert.All(ubuntu.Versions, v =>
        {
            Assert.True(OsvMatching.IsAffected(ubuntu, v));
            Assert.Null(OsvMatching.FixedVersion(ubuntu, v));
        });

        // A versions list without any range: exactly the listed versions.
        var listed = new OsvAffected { Package = new OsvPackage { Ecosystem = "PyPI", Name = "cryptography" }, Versions = ["3.1", "3.1.1"] };
        Assert.True(OsvMatching.IsAffected(listed, "3.1"));
        Assert.True(OsvMatching.IsAffected(listed, "3.1.1"));
        Assert.False(OsvMatching.IsAffected(listed, "3.1.2"));
        Assert.False(OsvMatching.IsAffected(listed, "3.2"));
        Assert.Null(OsvMatching.FixedVersion(listed, "3.1"));
    }

    [Fact]
    public void A_GIT_only_range_never_matches_a_package_version()
    {
        var git = new OsvAffected
        {
            Package = new OsvPackage { Ecosystem = "OSS-Fuzz", Name = "libxml2" },
            Ranges = [new OsvRange { Type = "GIT", Repo = "https://gitlab.gnome.org/GNOME/libxml2.git", Events = [new OsvEvent { Introduced = "0" }, new OsvEvent { Fixed = "b1319c902f6e44b91f2c9a8a5b2a4d4b0c0a7a77" }] }],
        };
        foreach (var version in new[] { "0", "1.0", "2.9.14", "b1319c902f6e44b91f2c9a8a5b2a4d4b0c0a7a77", "" })
        {
            Assert.False(OsvMatching.IsAffected(git, version));
            Assert.Null(OsvMatching.FixedVersion(git, version));
        }

        var npmGit = git with
        {
            Package = new OsvPackage { Ecosystem = "npm", Name = "left-pad" },
            Ranges = [.. git.Ranges, new OsvRange { Type = "ECOSYSTEM", Events = [new OsvEvent { Introduced = "0" }, new OsvEvent { Fixed = "1.3.0" }] }],
        };
        Assert.True(OsvMatching.IsAffected(npmGit, "1.2.0"));
        Assert.Equal("1.3.0", OsvMatching.FixedVersion(npmGit, "1.2.0"));
        Assert.False(OsvMatching.IsAffected(npmGit, "1.3.0"));
    }

    [Fact]
    public void SEMVER_ranges_use_semantic_versioning_whatever_the_ecosystem()
    {
        // SemVer 2.0 §11: "2.0.0-1" is a pre-release of 2.0.0 (affected); PEP 440 would read it as 2.0.0.post1 (not affected).
        var pypi = new OsvAffected
        {
            Package = new OsvPackage { Ecosystem = "PyPI", Name = "example" },
            Ranges = [new OsvRange { Type = "SEMVER", Events = [new OsvEvent { Introduced = "1.0.0" }, new OsvEvent { Fixed = "2.0.0" }] }],
        };
        Assert.True(OsvMatching.IsAffected(pypi, "2.0.0-rc.1"));
        Assert.True(OsvMatching.IsAffected(pypi, "2.0.0-1"));
        Assert.False(OsvMatching.IsAffected(pypi, "1.0.0-1"));
        Assert.True(OsvMatching.IsAffected(pypi, "1.0.0"));
        Assert.False(OsvMatching.IsAffected(pypi, "1.0.0-rc.1"));
        Assert.False(OsvMatching.IsAffected(pypi, "2.0.0+build.7"));
        Assert.Equal("2.0.0", OsvMatching.FixedVersion(pypi, "1.10.0"));
    }

    /// <summary>The affected entries of the OSV records under the given folders of <c>osv/</c>.</summary>
    private static List<OsvAffected> Affected(params string[] folders) =>
        [.. TestData.OsvFiles()
            .Where(f => folders.Any(folder => f.Relative.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
            .Select(f => TestData.Json(f.Full))
            .Where(json => json.ValueKind == JsonValueKind.Object && json.TryGetProperty("id", out _))
            .SelectMany(json => OsvJson.Parse(System.Text.Encoding.UTF8.GetBytes(json.GetRawText())).Affected)];

    private static OsvAffected Range(string ecosystem, string name, params OsvEvent[] events) => new()
    {
        Package = new OsvPackage { Ecosystem = ecosystem, Name = name },
        Ranges = [new OsvRange { Type = "ECOSYSTEM", Events = events }],
    };

    private static IEnumerable<Interval> Intervals(OsvRange range)
    {
        string? introduced = null;
        foreach (var e in range.Events)
        {
            if (e.Introduced is { } start)
            {
                if (introduced is not null)
                {
                    yield return new Interval(introduced, null, null);
                }

                introduced = start;
            }
            else if (introduced is not null && (e.Fixed ?? e.LastAffected) is not null)
            {
                yield return new Interval(introduced, e.Fixed, e.LastAffected);
                introduced = null;
            }
        }

        if (introduced is not null)
        {
            yield return new Interval(introduced, null, null);
        }
    }

    /// <summary>
    /// For every boundary of every affected entry, versions around it (<paramref name="near"/>, plus <paramref name="low"/> for
    /// ranges from 0): the oracle says where each lies; IsAffected and FixedVersion must say the same.
    /// </summary>
    private static void AgreesWithOracle(
        IReadOnlyList<OsvAffected> affecteds,
        Func<string, IEnumerable<string>> near,
        string low,
        Func<IReadOnlyList<(string Left, string Right)>, int?[]> oracle,
        string oracleName,
        int minimumCases)
    {
        var cases = new List<(OsvAffected Affected, List<Interval> Intervals, string Version)>();
        foreach (var affected in affecteds)
        {
            var intervals = affected.Ranges.Where(r => r.Type is "ECOSYSTEM" or "SEMVER").SelectMany(Intervals).ToList();
            var boundaries = intervals.SelectMany(i => new[] { i.Introduced, i.Fixed, i.LastAffected }).OfType<string>().Where(v => v != "0").Distinct(StringComparer.Ordinal).ToList();
            var candidates = boundaries.SelectMany(b => near(b).Prepend(b)).Append(low).Distinct(StringComparer.Ordinal);
            cases.AddRange(candidates.Select(v => (affected, intervals, v)));
        }

        var questions = cases
            .SelectMany(c => c.Intervals.SelectMany(i => new[] { i.Introduced, i.Fixed, i.LastAffected }).OfType<string>().Where(b => b != "0").Select(b => (c.Version, b)))
            .Distinct()
            .ToList();
        var answers = oracle(questions);
        var answer = questions.Select((q, index) => (q, answers[index])).ToDictionary(x => x.q, x => x.Item2);

        var failures = new List<string>();
        var checkedCases = 0;
        foreach (var (affected, intervals, version) in cases)
        {
            int? Cmp(string boundary) => answer[(version, boundary)];
            if (intervals.SelectMany(i => new[] { i.Introduced, i.Fixed, i.LastAffected }).OfType<string>().Any(b => b != "0" && Cmp(b) is null))
            {
                continue; // a version the oracle rejects
            }

            var containing = intervals.FirstOrDefault(i =>
                (i.Introduced == "0" || Cmp(i.Introduced) >= 0)
                && (i.Fixed is null || Cmp(i.Fixed) < 0)
                && (i.LastAffected is null || Cmp(i.LastAffected) <= 0));
            var expectedAffected = containing is not null || affected.Versions.Contains(version, StringComparer.Ordinal);
            var expectedFix = containing?.Fixed;
            var actualAffected = OsvMatching.IsAffected(affected, version);
            var actualFix = OsvMatching.FixedVersion(affected, version);
            checkedCases++;
            if (actualAffected != expectedAffected || actualFix != expectedFix)
            {
                failures.Add($"{affected.Package?.Ecosystem} {affected.Package?.Name} {version}: IsAffected={actualAffected}, FixedVersion={actualFix ?? "null"}; "
                    + $"{oracleName} says affected={expectedAffected}, fix={expectedFix ?? "null"} (ranges {string.Join("; ", intervals)})");
            }
        }

        Assert.True(checkedCases >= minimumCases, $"only {checkedCases} cases were valid for {oracleName}");
        Assert.True(failures.Count == 0, $"{failures.Count} of {checkedCases} cases disagree with {oracleName}:\n{string.Join('\n', failures.Take(40))}");
    }

    private static IEnumerable<string> SemVerNear(string version)
    {
        var core = version.Split('+')[0];
        return new[]
        {
            RpmOrderingTests.Bump(core, 1, last: true), RpmOrderingTests.Bump(core, -1, last: true),
            RpmOrderingTests.Bump(core, 1, last: false), RpmOrderingTests.Bump(core, -1, last: false),
            core.Contains('-', StringComparison.Ordinal) ? core + ".1" : core + "-rc.1",
            core.Contains('-', StringComparison.Ordinal) ? core.Split('-')[0] : core + "-0",
            core + "+build.9",
        }.OfType<string>();
    }

    private static IEnumerable<string> DpkgNear(string version) => new[]
    {
        RpmOrderingTests.Bump(version, 1, last: true), RpmOrderingTests.Bump(version, -1, last: true),
        RpmOrderingTests.Bump(version, 1, last: false), RpmOrderingTests.Bump(version, -1, last: false),
        version + "~1", version + "+b1", version + ".1", "1:" + version,
        version.Contains('-', StringComparison.Ordinal) ? version[..version.LastIndexOf('-')] : version + "-1",
    }.OfType<string>();
}
