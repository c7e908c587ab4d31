using Registry.Vulnerabilities.Tests.Support;
using Registry.Vulnerabilities.Versions;

namespace Registry.Vulnerabilities.Tests.Versions;

/// <summary>Debian's ordering against the real oracle, <c>dpkg --compare-versions</c>, on real package versions.</summary>
public sealed class DpkgOrderingTests
{
    /// <summary>Hand-picked pairs around the rules of deb-version(7): tilde, epoch, revision, letters before symbols, numeric runs.</summary>
    private static readonly (string Left, string Right)[] Tricky =
    [
        ("1.0~rc1", "1.0"),
        ("1.0~rc1", "1.0~rc2"),
        ("1.0~~", "1.0~"),
        ("1.0~~a", "1.0~~"),
        ("1.0~", "1.0"),
        ("1:1.0", "2.0"),
        ("0:1.0", "1.0"),
        ("1:2.38.1-5+deb12u1", "2.38.1-5+deb12u1"),
        ("1.0-1", "1.0"),
        ("1.0", "1.0-0"),
        ("1.0+dfsg-1", "1.0-1"),
        ("1.18.0+dfsg1-1", "1.18.0-1"),
        ("2.30-2ubuntu1~", "2.30-2ubuntu1"),
        ("2.30-2ubuntu1~", "2.30-2"),
        ("2.30-2ubuntu1", "2.30-2"),
        ("1.0", "1.0a"),
        ("1.0a", "1.0+"),
        ("1.0+", "1.0."),
        ("1.0a", "1.0.1"),
        ("1.01", "1.1"),
        ("1.001", "1.1"),
        ("1.0.0", "1.0"),
        ("9", "10"),
        ("1.0.9", "1.0.10"),
        ("1.0-9", "1.0-10"),
        ("1.2.3-1+b1", "1.2.3-1"),
        ("1.2.3-1+deb12u1", "1.2.3-1.1"),
        ("1.2.3-1ubuntu0.1", "1.2.3-1ubuntu1"),
        ("7.88.1-10+deb12u5", "7.88.1-10+deb12u12"),
        ("2:8.2.3995-1ubuntu2.1", "2:8.2.3995-1ubuntu2.10"),
        ("1.0-1~bpo11+1", "1.0-1"),
        ("1.0-1~bpo11+1", "1.0-0.1"),
        ("3.0.11-1~deb12u2", "3.0.11-1"),
        ("1.0-a", "1.0-1"),
        ("1.0+git20230101", "1.0"),
        ("1.0~git20230101", "1.0"),
        ("0.0~git20230123.b2528b0-1", "0.0.1-1"),
        ("2.36.1-8+deb12u1", "2.36.1-8"),
        ("1.2.1-2.2+wheezy3", "1.2.1-2.2+wheezy2"),
        ("1.2.1-2.2+wheezy3", "1.2.1-2.2"),
        ("1.2.1-2.2+wheezy3", "1.2.1-2.3"),
        ("10.0.0-1-1", "10.0.0-1"),
        ("1.0-1-1", "1.0-1.1"),
        ("4.9.0-1", "4.9.0-1"),
        ("1.0.0+really0.9-1", "1.0.0-1"),
        ("99999999999999999999.1", "99999999999999999998.9"),
    ];

    [Fact]
    public void Hand_picked_pairs_agree_with_dpkg()
    {
        var pairs = Tricky.ToList();
        OrderingAssert.Agrees(VersionOrderings.Dpkg, pairs, Oracles.Dpkg(pairs), "dpkg --compare-versions", minimumChecked: pairs.Count);
    }

    [Fact]
    public void Versions_of_the_machines_package_database_agree_with_dpkg()
    {
        var packages = ReadStatus("/var/lib/dpkg/status").Concat(ReadStatus(TestData.PathOf("inputs", "dpkg", "status"))).ToList();
        Assert.True(packages.Count > 20, $"only {packages.Count} packages in the dpkg status files");
        var versions = packages.Select(p => p.Version).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

        // Neighbours after sorting by string: versions sharing long prefixes, where the rules matter.
        var pairs = new List<(string Left, string Right)>();
        for (var index = 0; index + 1 < versions.Count; index++)
        {
            pairs.Add((versions[index], versions[index + 1]));
        }

        // Pairs within families of packages that share a name prefix (libfoo1, libfoo-dev, …), at most 150.
        var families = packages
            .GroupBy(p => Family(p.Name), StringComparer.Ordinal)
            .Select(g => g.Select(p => p.Version).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList())
            .Where(g => g.Count > 1);
        pairs.AddRange(families
            .SelectMany(family => family.Zip(family.Skip(1)).Concat(family.Count > 2 ? [(family[0], family[^1])] : []))
            .Distinct()
            .Take(150));

        var unique = pairs.Distinct().ToList();
        OrderingAssert.Agrees(VersionOrderings.Dpkg, unique, Oracles.Dpkg(unique), "dpkg --compare-versions", minimumChecked: unique.Count);
    }

    [Fact]
    public void Every_version_equals_itself_and_sorting_by_the_ordering_matches_dpkg_pairwise()
    {
        // A total order: sorting the distinct versions, each neighbour in the sorted list is <= by dpkg too.
        var versions = ReadStatus("/var/lib/dpkg/status").Select(p => p.Version).Distinct(StringComparer.Ordinal).ToList();
        foreach (var version in versions)
        {
            Assert.Equal(0, VersionOrderings.Dpkg.Compare(version, version));
        }

        var sorted = versions.Order(Comparer<string>.Create(VersionOrderings.Dpkg.Compare)).ToList();
        var neighbours = sorted.Zip(sorted.Skip(1)).ToList();
        var oracle = Oracles.Dpkg(neighbours);
        var wrong = neighbours.Where((pair, index) => oracle[index] is not (-1 or 0)).Select(pair => $"{pair.First} sorted before {pair.Second}").ToList();
        Assert.True(wrong.Count == 0, $"dpkg disagrees with the sorted order:\n{string.Join('\n', wrong)}");
    }

    private static string Family(string package)
    {
        var end = package.IndexOfAny(['-', '.', '+']);
        var stem = end < 0 ? package : package[..end];
        return stem.TrimEnd('0', '1', '2', '3', '4', '5', '6', '7', '8', '9');
    }

    private static IEnumerable<(string Name, string Version)> ReadStatus(string path)
    {
        string? name = null;
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith("Package: ", StringComparison.Ordinal))
            {
                name = line["Package: ".Length..].Trim();
            }
            else if (line.StartsWith("Version: ", StringComparison.Ordinal) && name is not null)
            {
                yield return (name, line["Version: ".Length..].Trim());
            }
        }
    }
}
