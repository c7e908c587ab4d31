using System.Text;
using Registry.Vulnerabilities.Tests.Support;
using Registry.Vulnerabilities.Versions;

namespace Registry.Vulnerabilities.Tests.Versions;

/// <summary>
/// Many generated, closely related version strings (fixed seeds, so every run asks the same questions) compared by the
/// orderings and by the ecosystems' own implementations. The generators stay inside each syntax; what an oracle still
/// rejects as invalid is left out.
/// </summary>
public sealed class GeneratedVersionTests
{
    private const int PairCount = 1500;

    [Fact]
    public void Generated_Debian_versions_agree_with_dpkg()
    {
        var random = new Random(20240601);
        string Part() => Join(random.Next(1, 5), () => Pick(random, "0", "1", "2", "9", "10", "01", "a", "b", "Z", "~", "~~", "+", ".", "rc", "dfsg", "git"));
        string Version()
        {
            var text = new StringBuilder();
            if (random.Next(6) == 0)
            {
                text.Append(Pick(random, "0", "1", "2", "10")).Append(':');
            }

            text.Append(Pick(random, "0", "1", "2", "10")).Append(Part());
            if (random.Next(3) > 0)
            {
                text.Append('-').Append(Pick(random, "0", "1", "2", "1ubuntu", "deb", "a")).Append(Part());
            }

            return text.ToString();
        }

        var pairs = Pairs(random, Version, Mutate);
        OrderingAssert.Agrees(VersionOrderings.Dpkg, pairs, Oracles.Dpkg(pairs), "dpkg --compare-versions", minimumChecked: PairCount / 2);
    }

    [Fact]
    public void Generated_RPM_versions_agree_with_rpm()
    {
        var random = new Random(20240602);
        string Part() => Pick(random, "0", "1", "2", "10", "01", "001") + Join(random.Next(0, 5), () => Pick(random, "0", "1", "2", "10", "a", "b", "Z", "rc", "~", "^", ".", "_", "+", "el8", "el8_4"));
        string Version()
        {
            var epoch = random.Next(5) == 0 ? Pick(random, "0", "1", "2") + ":" : "";
            return epoch + Part() + "-" + Part();
        }

        // Both sides keep a release: rpm.vercmp compares a missing release as older, dependency matching as any release.
        var pairs = Pairs(random, Version, Mutate)
            .Where(p => p.Left.Count(c => c == '-') == 1 && p.Right.Count(c => c == '-') == 1)
            .ToList();
        OrderingAssert.Agrees(VersionOrderings.Rpm, pairs, Oracles.Rpm(pairs), "rpm.vercmp", minimumChecked: PairCount / 2);
    }

    [Fact]
    public void Generated_semantic_versions_agree_with_npm_semver()
    {
        var random = new Random(20240603);
        string Identifier() => Pick(random, "0", "1", "2", "10", "11", "alpha", "beta", "rc", "a-b", "A", "x1", "1a", "-", "--1");
        string Version()
        {
            var text = new StringBuilder($"{Pick(random, "0", "1", "2", "10")}.{Pick(random, "0", "1", "9", "10")}.{Pick(random, "0", "1", "2", "12")}");
            if (random.Next(3) > 0)
            {
                text.Append('-').Append(string.Join('.', Enumerable.Range(0, random.Next(1, 4)).Select(_ => Identifier())));
            }

            if (random.Next(5) == 0)
            {
                text.Append('+').Append(Pick(random, "build", "1", "sha.5114f85", "001"));
            }

            return text.ToString();
        }

        var pairs = Pairs(random, Version, Mutate);
        OrderingAssert.Agrees(VersionOrderings.SemVer, pairs, Oracles.NpmSemver(pairs), "npm semver.compare", minimumChecked: PairCount / 2);
    }

    [Fact]
    public void Generated_NuGet_versions_agree_with_NuGet_Versioning()
    {
        var random = new Random(20240604);
        string Version()
        {
            var text = new StringBuilder(string.Join('.', Enumerable.Range(0, random.Next(2, 5)).Select(_ => Pick(random, "0", "1", "2", "10"))));
            if (random.Next(3) > 0)
            {
                text.Append('-').Append(string.Join('.', Enumerable.Range(0, random.Next(1, 3)).Select(_ => Pick(random, "0", "1", "10", "alpha", "Alpha", "beta2", "beta10", "rc", "RC", "preview-1", "a-b"))));
            }

            if (random.Next(5) == 0)
            {
                text.Append('+').Append(Pick(random, "build", "1", "sha.5114f85"));
            }

            return text.ToString();
        }

        // Labels that begin with a hyphen ("1.0--1") have a test of their own (SemVerOrderingTests).
        var pairs = Pairs(random, Version, Mutate).Where(p => !SignedLabel(p.Left) && !SignedLabel(p.Right)).ToList();
        OrderingAssert.Agrees(VersionOrderings.NuGet, pairs, Oracles.NuGet(pairs), "NuGet.Versioning", minimumChecked: PairCount / 2);
    }

    [Fact]
    public void Generated_Python_versions_agree_with_packaging()
    {
        var random = new Random(20240605);
        string Version()
        {
            var text = new StringBuilder();
            if (random.Next(8) == 0)
            {
                text.Append(Pick(random, "0", "1", "2")).Append('!');
            }

            text.Append(string.Join('.', Enumerable.Range(0, random.Next(1, 4)).Select(_ => Pick(random, "0", "1", "2", "10", "01"))));
            if (random.Next(3) == 0)
            {
                text.Append(Pick(random, "", ".", "-", "_")).Append(Pick(random, "a", "b", "rc", "c", "alpha", "beta", "pre", "preview", "A", "RC")).Append(Pick(random, "", "0", "1", "2", "10"));
            }

            if (random.Next(4) == 0)
            {
                text.Append(Pick(random, ".post", "-post", "post", ".rev", "-r", ".post")).Append(Pick(random, "", "0", "1", "2"));
            }
            else if (random.Next(8) == 0)
            {
                text.Append('-').Append(Pick(random, "0", "1", "2"));
            }

            if (random.Next(4) == 0)
            {
                text.Append(Pick(random, ".dev", "-dev", "dev")).Append(Pick(random, "", "0", "1", "5"));
            }

            if (random.Next(5) == 0)
            {
                text.Append('+').Append(string.Join(Pick(random, ".", "-", "_"), Enumerable.Range(0, random.Next(1, 3)).Select(_ => Pick(random, "abc", "ABC", "1", "01", "2", "a1", "ubuntu"))));
            }

            return text.ToString();
        }

        var pairs = Pairs(random, Version, Mutate);
        OrderingAssert.Agrees(VersionOrderings.Pep440, pairs, Oracles.Pep440(pairs), "packaging.version.Version", minimumChecked: PairCount / 2);
    }

    /// <summary>Pairs of a version and either a small change of it (most) or another generated version.</summary>
    private static List<(string Left, string Right)> Pairs(Random random, Func<string> generate, Func<Random, string, string> mutate)
    {
        var pairs = new List<(string, string)>();
        while (pairs.Count < PairCount)
        {
            var left = generate();
            var right = random.Next(4) == 0 ? generate() : mutate(random, left);
            pairs.Add((left, right));
        }

        return [.. pairs.Distinct()];
    }

    /// <summary>One digit run plus or minus one, or one character doubled or dropped (an oracle decides what that means).</summary>
    private static string Mutate(Random random, string version)
    {
        var digits = Enumerable.Range(0, version.Length).Where(i => char.IsAsciiDigit(version[i])).ToList();
        switch (random.Next(4))
        {
            case 0 when digits.Count > 0:
                var at = digits[random.Next(digits.Count)];
                var end = at;
                while (end < version.Length && char.IsAsciiDigit(version[end]))
                {
                    end++;
                }

                var start = at;
                while (start > 0 && char.IsAsciiDigit(version[start - 1]))
                {
                    start--;
                }

                var value = System.Numerics.BigInteger.Parse(version[start..end], System.Globalization.CultureInfo.InvariantCulture) + (random.Next(2) == 0 ? 1 : -1);
                return value < 0 ? version : version[..start] + value.ToString(System.Globalization.CultureInfo.InvariantCulture) + version[end..];
            case 1 when version.Length > 1:
                var drop = random.Next(1, version.Length);
                return version.Remove(drop, 1);
            case 2:
                var copy = random.Next(version.Length);
                return version.Insert(copy, version[copy].ToString());
            default:
                return version + Pick(random, "0", "1", ".1", "a", "~", "+1");
        }
    }

    private static string Join(int count, Func<string> piece) => string.Concat(Enumerable.Range(0, count).Select(_ => piece()));

    /// <summary>A pre-release identifier that starts with a hyphen: "1.0--1", "1.0-a.-1".</summary>
    private static bool SignedLabel(string version)
    {
        var core = version.Split('+')[0];
        var hyphen = core.IndexOf('-', StringComparison.Ordinal);
        return hyphen >= 0 && core[(hyphen + 1)..].Split('.').Any(identifier => identifier.StartsWith('-'));
    }

    private static string Pick(Random random, params string[] choices) => choices[random.Next(choices.Length)];
}
