namespace Registry.Vulnerabilities.Versions;

/// <summary>
/// Maven's ordering (after <c>ComparableVersion</c>, flattened): items split at <c>.</c>, <c>-</c> and digit/letter
/// changes; numbers numerically and newer than qualifiers; qualifiers <c>alpha &lt; beta &lt; milestone &lt; rc &lt;
/// snapshot &lt; (release) &lt; sp</c> (<c>a</c>, <c>b</c>, <c>m</c>, <c>cr</c>, <c>ga</c>, <c>final</c> as aliases), other
/// qualifiers after those, case-insensitively; trailing zeros and release qualifiers do not count (<c>1.0 = 1</c>).
/// </summary>
internal sealed class MavenVersionOrdering : IVersionOrdering
{
    private static readonly string[] Qualifiers = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
    private const int ReleaseRank = 5;

    public string Name => "Maven";

    public int Compare(string left, string right)
    {
        var l = Items(left);
        var r = Items(right);
        for (var index = 0; index < Math.Max(l.Count, r.Count); index++)
        {
            var order = CompareItem(index < l.Count ? l[index] : null, index < r.Count ? r[index] : null);
            if (order != 0)
            {
                return order;
            }
        }

        return 0;
    }

    private static int CompareItem(string? left, string? right)
    {
        var leftNumber = left is not null && IsNumber(left);
        var rightNumber = right is not null && IsNumber(right);
        if (leftNumber && rightNumber)
        {
            return VersionOrderings.CompareDigits(left, right);
        }

        if (leftNumber || rightNumber)
        {
            // A number against a qualifier: the number is newer; against nothing, a number counts as zero.
            var (number, other, sign) = leftNumber ? (left!, right, 1) : (right!, left, -1);
            return other is null ? sign * VersionOrderings.CompareDigits(number, "0") : sign;
        }

        var (leftRank, rightRank) = (Rank(left ?? ""), Rank(right ?? ""));
        return leftRank != rightRank
            ? VersionOrderings.Sign(leftRank - rightRank)
            : leftRank == Qualifiers.Length ? VersionOrderings.Sign(string.CompareOrdinal(left, right)) : 0;
    }

    private static int Rank(string qualifier)
    {
        var normalized = qualifier switch
        {
            "a" => "alpha",
            "b" => "beta",
            "m" => "milestone",
            "cr" => "rc",
            "ga" or "final" or "release" => "",
            _ => qualifier,
        };
        var rank = Array.IndexOf(Qualifiers, normalized);
        return rank < 0 ? Qualifiers.Length : rank;
    }

    private static bool IsNumber(string item) => item.Length > 0 && !item.AsSpan().ContainsAnyExceptInRange('0', '9');

    private static List<string> Items(string version)
    {
        var items = new List<string>();
        var current = new System.Text.StringBuilder();
        void Flush()
        {
            items.Add(current.ToString());
            current.Clear();
        }

        foreach (var c in version.Trim().ToLowerInvariant())
        {
            if (c is '.' or '-' or '_' or '+')
            {
                Flush();
            }
            else
            {
                if (current.Length > 0 && char.IsAsciiDigit(c) != char.IsAsciiDigit(current[^1]))
                {
                    Flush();
                }

                current.Append(c);
            }
        }

        Flush();

        // Trailing zeros and release qualifiers are "null" items: 1.0.0 = 1 = 1-ga.
        while (items.Count > 1 && (items[^1] is "" || (IsNumber(items[^1]) && items[^1].TrimStart('0').Length == 0) || Rank(items[^1]) == ReleaseRank))
        {
            items.RemoveAt(items.Count - 1);
        }

        return items;
    }
}
