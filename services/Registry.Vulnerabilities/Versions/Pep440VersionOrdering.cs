using System.Text.RegularExpressions;

namespace Registry.Vulnerabilities.Versions;

/// <summary>
/// Python's ordering (PEP 440, as the <c>packaging</c> library implements it): epoch, release (trailing zeros ignored),
/// then pre-release (<c>a &lt; b &lt; rc</c>; a dev release of a final version before all of them), post-release, dev
/// release, local version label; with PEP 440's normalisation of spellings (<c>alpha</c>, <c>c</c>, <c>-1</c> for
/// <c>.post1</c>, separators, case). What does not parse compares as text, before every valid version.
/// </summary>
internal sealed partial class Pep440VersionOrdering : IVersionOrdering
{
    public string Name => "PEP 440";

    public int Compare(string left, string right)
    {
        var l = Parse(left);
        var r = Parse(right);
        if (l is null || r is null)
        {
            return l is null && r is null ? VersionOrderings.Sign(string.CompareOrdinal(left, right)) : l is null ? -1 : 1;
        }

        int order;
        if ((order = VersionOrderings.CompareDigits(l.Epoch, r.Epoch)) != 0
            || (order = CompareRelease(l.Release, r.Release)) != 0
            || (order = ComparePre(l, r)) != 0
            || (order = CompareOptional(l.Post, r.Post, missingIsLowest: true)) != 0
            || (order = CompareOptional(l.Dev, r.Dev, missingIsLowest: false)) != 0)
        {
            return order;
        }

        return CompareLocal(l.Local, r.Local);
    }

    private static int CompareRelease(string[] left, string[] right)
    {
        for (var index = 0; index < Math.Max(left.Length, right.Length); index++)
        {
            var order = VersionOrderings.CompareDigits(index < left.Length ? left[index] : "0", index < right.Length ? right[index] : "0");
            if (order != 0)
            {
                return order;
            }
        }

        return 0;
    }

    /// <summary>A dev release of a final version (<c>1.0.dev1</c>) sorts before its pre-releases; a final version after them.</summary>
    private static int ComparePre(Pep440Version left, Pep440Version right)
    {
        static (int Rank, string Number) Key(Pep440Version version) =>
            version.PreLabel is { } label ? (label, version.PreNumber!)
            : version.Post is null && version.Dev is not null ? (-1, "0")
            : (3, "0");

        var (leftRank, leftNumber) = Key(left);
        var (rightRank, rightNumber) = Key(right);
        return leftRank != rightRank ? VersionOrderings.Sign(leftRank - rightRank) : VersionOrderings.CompareDigits(leftNumber, rightNumber);
    }

    private static int CompareOptional(string? left, string? right, bool missingIsLowest)
    {
        if (left is null || right is null)
        {
            return left is null && right is null ? 0 : (left is null) == missingIsLowest ? -1 : 1;
        }

        return VersionOrderings.CompareDigits(left, right);
    }

    /// <summary>No label first; then segment by segment, a number after text, numbers numerically, text case-insensitively.</summary>
    private static int CompareLocal(string[]? left, string[]? right)
    {
        if (left is null || right is null)
        {
            return left is null && right is null ? 0 : left is null ? -1 : 1;
        }

        for (var index = 0; index < Math.Min(left.Length, right.Length); index++)
        {
            var leftNumeric = !left[index].AsSpan().ContainsAnyExceptInRange('0', '9');
            var rightNumeric = !right[index].AsSpan().ContainsAnyExceptInRange('0', '9');
            var order = leftNumeric != rightNumeric ? (leftNumeric ? 1 : -1)
                : leftNumeric ? VersionOrderings.CompareDigits(left[index], right[index])
                : VersionOrderings.Sign(string.CompareOrdinal(left[index], right[index]));
            if (order != 0)
            {
                return order;
            }
        }

        return VersionOrderings.Sign(left.Length - right.Length);
    }

    private static Pep440Version? Parse(string version)
    {
        var match = VersionPattern().Match(version.Trim().ToLowerInvariant());
        if (!match.Success)
        {
            return null;
        }

        int? preLabel = match.Groups["pre_l"].Success
            ? match.Groups["pre_l"].Value switch { "a" or "alpha" => 0, "b" or "beta" => 1, _ => 2 }
            : null;
        var post = match.Groups["post_n1"].Success ? match.Groups["post_n1"].Value
            : match.Groups["post_l"].Success ? (match.Groups["post_n2"].Success ? match.Groups["post_n2"].Value : "0")
            : null;
        var dev = match.Groups["dev_l"].Success ? (match.Groups["dev_n"].Success ? match.Groups["dev_n"].Value : "0") : null;
        return new Pep440Version(
            match.Groups["epoch"].Success ? match.Groups["epoch"].Value : "0",
            match.Groups["release"].Value.Split('.'),
            preLabel,
            preLabel is null ? null : match.Groups["pre_n"].Success ? match.Groups["pre_n"].Value : "0",
            post,
            dev,
            match.Groups["local"].Success ? match.Groups["local"].Value.Split('-', '_', '.') : null);
    }

    // packaging's VERSION_PATTERN (PEP 440 appendix B), anchored; the input is lower-cased first.
    [GeneratedRegex("""
        ^v?
        (?:(?<epoch>[0-9]+)!)?
        (?<release>[0-9]+(?:\.[0-9]+)*)
        (?:[-_.]?(?<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<pre_n>[0-9]+)?)?
        (?:(?:-(?<post_n1>[0-9]+))|(?:[-_.]?(?<post_l>post|rev|r)[-_.]?(?<post_n2>[0-9]+)?))?
        (?:[-_.]?(?<dev_l>dev)[-_.]?(?<dev_n>[0-9]+)?)?
        (?:\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
        $
        """, RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();

    private sealed record Pep440Version(string Epoch, string[] Release, int? PreLabel, string? PreNumber, string? Post, string? Dev, string[]? Local);
}
