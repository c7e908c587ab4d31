using System.Text.RegularExpressions;

namespace Registry.Vulnerabilities.Versions;

/// <summary>
/// Alpine's ordering (apk-tools <c>version.c</c>): <c>N[.N]…[letter][_suffix[N]]…[~hash][-rN]</c>. Dotted numbers
/// compare numerically (a later part with a leading zero compares as a fraction), more parts are newer, a letter is
/// newer than none; suffixes order <c>_alpha &lt; _beta &lt; _pre &lt; _rc &lt; (none) &lt; _cvs &lt; _svn &lt; _git &lt; _hg &lt; _p</c>;
/// then the package revision <c>-rN</c>. What does not parse compares as text, after every valid version.
/// </summary>
internal sealed partial class ApkVersionOrdering : IVersionOrdering
{
    private static readonly string[] PreSuffixes = ["alpha", "beta", "pre", "rc"];
    private static readonly string[] PostSuffixes = ["cvs", "svn", "git", "hg", "p"];

    public string Name => "apk";

    public int Compare(string left, string right)
    {
        var l = Parse(left.Trim());
        var r = Parse(right.Trim());
        if (l is null || r is null)
        {
            return l is null && r is null ? VersionOrderings.Sign(string.CompareOrdinal(left, right)) : l is null ? 1 : -1;
        }

        for (var index = 0; index < Math.Min(l.Numbers.Length, r.Numbers.Length); index++)
        {
            var order = CompareNumber(l.Numbers[index], r.Numbers[index], first: index == 0);
            if (order != 0)
            {
                return order;
            }
        }

        if (l.Numbers.Length != r.Numbers.Length)
        {
            return l.Numbers.Length > r.Numbers.Length ? 1 : -1;
        }

        if (l.Letter != r.Letter)
        {
            return VersionOrderings.Sign(l.Letter.CompareTo(r.Letter));
        }

        for (var index = 0; index < Math.Max(l.Suffixes.Length, r.Suffixes.Length); index++)
        {
            var (leftRank, leftNumber) = index < l.Suffixes.Length ? l.Suffixes[index] : (0, "0");
            var (rightRank, rightNumber) = index < r.Suffixes.Length ? r.Suffixes[index] : (0, "0");
            if (leftRank != rightRank)
            {
                return VersionOrderings.Sign(leftRank - rightRank);
            }

            var number = VersionOrderings.CompareDigits(leftNumber, rightNumber);
            if (number != 0)
            {
                return number;
            }
        }

        return VersionOrderings.CompareDigits(l.Revision, r.Revision);
    }

    private static int CompareNumber(string left, string right, bool first)
    {
        // After the first part, a part with a leading zero is a fraction ("1.01" < "1.1"): compared as text.
        if (!first && (left.StartsWith('0') || right.StartsWith('0')))
        {
            return VersionOrderings.Sign(string.CompareOrdinal(left, right));
        }

        return VersionOrderings.CompareDigits(left, right);
    }

    private static ApkVersion? Parse(string version)
    {
        var match = VersionPattern().Match(version);
        if (!match.Success)
        {
            return null;
        }

        var suffixes = new List<(int Rank, string Number)>();
        foreach (Capture capture in match.Groups["suffix"].Captures)
        {
            var text = capture.Value;
            var digits = text.AsSpan().IndexOfAnyInRange('0', '9');
            var name = digits < 0 ? text : text[..digits];
            var number = digits < 0 ? "0" : text[digits..];
            var pre = Array.IndexOf(PreSuffixes, name);
            var post = Array.IndexOf(PostSuffixes, name);
            suffixes.Add((pre >= 0 ? pre - PreSuffixes.Length : post + 1, number));
        }

        return new ApkVersion(
            match.Groups["numbers"].Value.Split('.'),
            match.Groups["letter"].Success ? match.Groups["letter"].Value[0] : '\0',
            [.. suffixes],
            match.Groups["revision"].Success ? match.Groups["revision"].Value : "0");
    }

    [GeneratedRegex(@"^(?<numbers>[0-9]+(?:\.[0-9]+)*)(?<letter>[a-z])?(?:_(?<suffix>(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*))*(?:~[0-9a-f]+)?(?:-r(?<revision>[0-9]+))?$", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();

    private sealed record ApkVersion(string[] Numbers, char Letter, (int Rank, string Number)[] Suffixes, string Revision);
}
