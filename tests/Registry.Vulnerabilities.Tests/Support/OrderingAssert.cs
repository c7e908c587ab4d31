using Registry.Vulnerabilities.Versions;

namespace Registry.Vulnerabilities.Tests.Support;

/// <summary>Checks an ordering against expectations and collects every disagreement into one failure message.</summary>
internal static class OrderingAssert
{
    /// <summary>Every pair of an ascending list, in both directions: earlier &lt; later, and each equal to itself.</summary>
    public static void Ascending(IVersionOrdering ordering, IReadOnlyList<string> ascending) =>
        Ranked(ordering, [.. ascending.Select(version => new[] { version })]);

    /// <summary>Groups of equal versions, the groups ascending: every pair of the whole list in both directions.</summary>
    public static void Ranked(IVersionOrdering ordering, IReadOnlyList<string[]> groups)
    {
        var flat = groups.SelectMany((group, rank) => group.Select(version => (Version: version, Rank: rank))).ToList();
        var pairs = new List<(string Left, string Right)>();
        var expected = new List<int?>();
        foreach (var (left, leftRank) in flat)
        {
            foreach (var (right, rightRank) in flat)
            {
                pairs.Add((left, right));
                expected.Add(Math.Sign(leftRank - rightRank));
            }
        }

        Agrees(ordering, pairs, expected, "the published order");
    }

    /// <summary>Pairs with the expected sign (&lt;0, 0, &gt;0); each pair is also checked reversed (antisymmetry).</summary>
    public static void Pairs(IVersionOrdering ordering, IEnumerable<(string Left, int Expected, string Right)> vectors, string source)
    {
        var list = vectors.ToList();
        Agrees(ordering, [.. list.Select(v => (v.Left, v.Right))], [.. list.Select(v => (int?)Math.Sign(v.Expected))], source);
    }

    /// <summary>
    /// The ordering's sign for each pair equals the oracle's (pairs the oracle rejects as invalid are left out, and
    /// counted), and <c>Compare(a, b) == -Compare(b, a)</c>.
    /// </summary>
    public static void Agrees(IVersionOrdering ordering, IReadOnlyList<(string Left, string Right)> pairs, IReadOnlyList<int?> expected, string oracle, int minimumChecked = 1)
    {
        Assert.Equal(pairs.Count, expected.Count);
        var failures = new List<string>();
        var checkedCount = 0;
        for (var index = 0; index < pairs.Count; index++)
        {
            var (left, right) = pairs[index];
            if (expected[index] is not { } want)
            {
                continue;
            }

            checkedCount++;
            var actual = Math.Sign(ordering.Compare(left, right));
            var reverse = Math.Sign(ordering.Compare(right, left));
            if (actual != want)
            {
                failures.Add($"{ordering.Name}: Compare(\"{left}\", \"{right}\") = {actual}, {oracle} says {want}");
            }
            else if (reverse != -actual)
            {
                failures.Add($"{ordering.Name}: not antisymmetric: Compare(\"{left}\", \"{right}\") = {actual} but Compare(\"{right}\", \"{left}\") = {reverse}");
            }
        }

        Assert.True(checkedCount >= minimumChecked, $"only {checkedCount} pairs were valid for {oracle} (expected at least {minimumChecked})");
        Assert.True(failures.Count == 0, $"{failures.Count} of {checkedCount} pairs disagree with {oracle}:\n{string.Join('\n', failures.Take(60))}");
    }

    /// <summary>All ordered pairs of a set of versions (for oracle checks of a whole set).</summary>
    public static List<(string Left, string Right)> AllPairs(IEnumerable<string> versions)
    {
        var list = versions.Distinct(StringComparer.Ordinal).ToList();
        return [.. from left in list from right in list select (left, right)];
    }
}
