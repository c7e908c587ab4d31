using System.Text.RegularExpressions;
using Registry.Vulnerabilities.Osv;
using Registry.Vulnerabilities.Tests.Support;
using Registry.Vulnerabilities.Versions;

namespace Registry.Vulnerabilities.Tests.Versions;

/// <summary>RPM's ordering against rpm's own test suite (tests/rpmvercmp.at) and against the machine's rpm.</summary>
public sealed partial class RpmOrderingTests
{
    /// <summary>rpm's tests/rpmvercmp.at (<c>RPMVERCMP(a, b, expected)</c>), including its tilde and caret cases.</summary>
    public static readonly (string Left, int Expected, string Right)[] RpmVerCmpVectors =
    [
        ("1.0", 0, "1.0"), ("1.0", -1, "2.0"), ("2.0", 1, "1.0"),
        ("2.0.1", 0, "2.0.1"), ("2.0", -1, "2.0.1"), ("2.0.1", 1, "2.0"),
        ("2.0.1a", 0, "2.0.1a"), ("2.0.1a", 1, "2.0.1"), ("2.0.1", -1, "2.0.1a"),
        ("5.5p1", 0, "5.5p1"), ("5.5p1", -1, "5.5p2"), ("5.5p2", 1, "5.5p1"),
        ("5.5p10", 0, "5.5p10"), ("5.5p1", -1, "5.5p10"), ("5.5p10", 1, "5.5p1"),
        ("10xyz", -1, "10.1xyz"), ("10.1xyz", 1, "10xyz"),
        ("xyz10", 0, "xyz10"), ("xyz10", -1, "xyz10.1"), ("xyz10.1", 1, "xyz10"),
        ("xyz.4", 0, "xyz.4"), ("xyz.4", -1, "8"), ("8", 1, "xyz.4"), ("xyz.4", -1, "2"), ("2", 1, "xyz.4"),
        ("5.5p2", -1, "5.6p1"), ("5.6p1", 1, "5.5p2"),
        ("5.6p1", -1, "6.5p1"), ("6.5p1", 1, "5.6p1"),
        ("6.0.rc1", 1, "6.0"), ("6.0", -1, "6.0.rc1"),
        ("10b2", 1, "10a1"), ("10a2", -1, "10b2"),
        ("1.0aa", 0, "1.0aa"), ("1.0a", -1, "1.0aa"), ("1.0aa", 1, "1.0a"),
        ("10.0001", 0, "10.0001"), ("10.0001", 0, "10.1"), ("10.1", 0, "10.0001"), ("10.0001", -1, "10.0039"), ("10.0039", 1, "10.0001"),
        ("4.999.9", -1, "5.0"), ("5.0", 1, "4.999.9"),
        ("20101121", 0, "20101121"), ("20101121", -1, "20101122"), ("20101122", 1, "20101121"),
        ("2_0", 0, "2_0"), ("2.0", 0, "2_0"), ("2_0", 0, "2.0"),
        ("a", 0, "a"), ("a+", 0, "a+"), ("a+", 0, "a_"), ("a_", 0, "a+"), ("+a", 0, "+a"), ("+a", 0, "_a"), ("_a", 0, "+a"),
        ("+_", 0, "+_"), ("_+", 0, "+_"), ("_+", 0, "_+"), ("+", 0, "_"), ("_", 0, "+"),
        ("1.0~rc1", 0, "1.0~rc1"), ("1.0~rc1", -1, "1.0"), ("1.0", 1, "1.0~rc1"), ("1.0~rc1", -1, "1.0~rc2"), ("1.0~rc2", 1, "1.0~rc1"),
        ("1.0~rc1~git123", 0, "1.0~rc1~git123"), ("1.0~rc1~git123", -1, "1.0~rc1"), ("1.0~rc1", 1, "1.0~rc1~git123"),
        ("1.0^", 0, "1.0^"), ("1.0^", 1, "1.0"), ("1.0", -1, "1.0^"),
        ("1.0^git1", 0, "1.0^git1"), ("1.0^git1", 1, "1.0"), ("1.0", -1, "1.0^git1"),
        ("1.0^git1", -1, "1.0^git2"), ("1.0^git2", 1, "1.0^git1"),
        ("1.0^git1", -1, "1.01"), ("1.01", 1, "1.0^git1"),
        ("1.0^20160101", 0, "1.0^20160101"), ("1.0^20160101", -1, "1.0.1"), ("1.0.1", 1, "1.0^20160101"),
        ("1.0^20160101^git1", 0, "1.0^20160101^git1"), ("1.0^20160102", 1, "1.0^20160101^git1"), ("1.0^20160101^git1", -1, "1.0^20160102"),
        ("1.0~rc1^git1", 0, "1.0~rc1^git1"), ("1.0~rc1^git1", 1, "1.0~rc1"), ("1.0~rc1", -1, "1.0~rc1^git1"),
        ("1.0^git1~pre", 0, "1.0^git1~pre"), ("1.0^git1", 1, "1.0^git1~pre"), ("1.0^git1~pre", -1, "1.0^git1"),
    ];

    /// <summary>Epoch, version and release of full EVR strings (rpm's <c>rpmverCmp</c>).</summary>
    private static readonly (string Left, string Right)[] EvrPairs =
    [
        ("1:1.0-1", "2.0-1"),
        ("0:1.0-1", "1.0-1"),
        ("1.0-1", "1.0-2"),
        ("1.0-1.el8", "1.0-1.el8_4"),
        ("1.0-1.el8_4", "1.0-1.el8_10"),
        ("1.0-2.el8", "1.0-10.el8"),
        ("2:1.0-1", "10:0.1-1"),
        ("1.0-1.module+el8.4.0+123+abc", "1.0-1.module+el8.4.0+124+abc"),
        ("3.3.1-2.module+el9.4.0+20787+4c237fd3", "3.3.1-2.module+el9.3.0+20787+4c237fd3"),
        ("1.0~rc1-1", "1.0-1"),
        ("1.0^git1-1", "1.0-1"),
    ];

    [Fact]
    public void Rpms_own_rpmvercmp_vectors_hold() =>
        OrderingAssert.Pairs(VersionOrderings.Rpm, RpmVerCmpVectors, "rpm tests/rpmvercmp.at");

    [Fact]
    public void The_machines_rpm_agrees_with_the_transcribed_vectors_and_the_ordering()
    {
        // The oracle itself, run over the same pairs: guards the transcription and checks the library once more.
        var pairs = RpmVerCmpVectors.Select(v => (v.Left, v.Right)).ToList();
        var oracle = Oracles.Rpm(pairs);
        Assert.Equal(RpmVerCmpVectors.Select(v => (int?)v.Expected), oracle);
        OrderingAssert.Agrees(VersionOrderings.Rpm, pairs, oracle, "rpm.vercmp", minimumChecked: pairs.Count);
    }

    [Fact]
    public void Epochs_and_releases_agree_with_rpm()
    {
        var pairs = EvrPairs.ToList();
        OrderingAssert.Agrees(VersionOrderings.Rpm, pairs, Oracles.Rpm(pairs), "rpm.vercmp", minimumChecked: pairs.Count);
    }

    [Fact]
    public void Versions_around_every_AlmaLinux_and_Rocky_fix_agree_with_rpm()
    {
        var fixes = RpmFixes().ToList();
        Assert.True(fixes.Count >= 8, $"only {fixes.Count} fixed versions in the AlmaLinux/Rocky OSV files");
        var pairs = new List<(string Left, string Right)>();
        foreach (var fix in fixes.Distinct(StringComparer.Ordinal))
        {
            foreach (var near in Near(fix))
            {
                pairs.Add((near, fix));
                pairs.Add((fix, near));
            }
        }

        // And the fixes among themselves.
        pairs.AddRange(OrderingAssert.AllPairs(fixes));
        var unique = pairs.Distinct().ToList();
        OrderingAssert.Agrees(VersionOrderings.Rpm, unique, Oracles.Rpm(unique), "rpm.vercmp", minimumChecked: unique.Count);
    }

    /// <summary>The <c>fixed</c> EVRs of the AlmaLinux and Rocky Linux advisories.</summary>
    internal static IEnumerable<string> RpmFixes() =>
        TestData.OsvFiles()
            .Where(f => f.Relative.StartsWith("almalinux", StringComparison.Ordinal) || f.Relative.StartsWith("rocky", StringComparison.Ordinal))
            .SelectMany(f => OsvJson.Parse(File.ReadAllBytes(f.Full)).Affected)
            .SelectMany(a => a.Ranges)
            .SelectMany(r => r.Events)
            .Select(e => e.Fixed)
            .OfType<string>();

    /// <summary>
    /// EVRs just below and just above <paramref name="evr"/>: release and version numbers one less and one more, a longer
    /// release, another epoch, a tilde pre-release and a caret snapshot. Which side each is on is rpm's to say.
    /// </summary>
    internal static IEnumerable<string> Near(string evr)
    {
        var colon = evr.IndexOf(':', StringComparison.Ordinal);
        var epoch = colon > 0 ? evr[..colon] : null;
        var rest = colon > 0 ? evr[(colon + 1)..] : evr;
        var hyphen = rest.LastIndexOf('-');
        var version = hyphen < 0 ? rest : rest[..hyphen];
        var release = hyphen < 0 ? null : rest[(hyphen + 1)..];
        string Evr(string? e, string v, string? r) => (e is null ? "" : e + ":") + v + (r is null ? "" : "-" + r);

        foreach (var delta in new[] { -1, 1 })
        {
            if (release is not null && Bump(release, delta, last: false) is { } r1)
            {
                yield return Evr(epoch, version, r1);
            }

            if (release is not null && Bump(release, delta, last: true) is { } r2)
            {
                yield return Evr(epoch, version, r2);
            }

            if (Bump(version, delta, last: true) is { } v1)
            {
                yield return Evr(epoch, v1, release);
            }

            if (Bump(version, delta, last: false) is { } v2)
            {
                yield return Evr(epoch, v2, release);
            }
        }

        if (release is not null)
        {
            yield return Evr(epoch, version, release + ".1");
            yield return Evr(epoch, version, release + "~1");
        }

        yield return Evr(epoch, version + "~rc1", release);
        yield return Evr(epoch, version + "^20240101git1", release);
        yield return Evr(null, version, release);
        yield return Evr(((epoch is null ? 0 : int.Parse(epoch, System.Globalization.CultureInfo.InvariantCulture)) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), "0.1", "1");
    }

    /// <summary>The first or last run of digits plus <paramref name="delta"/>; null when it would go below zero.</summary>
    internal static string? Bump(string text, int delta, bool last)
    {
        var runs = Digits().Matches(text);
        if (runs.Count == 0)
        {
            return null;
        }

        var run = last ? runs[^1] : runs[0];
        var value = System.Numerics.BigInteger.Parse(run.Value, System.Globalization.CultureInfo.InvariantCulture) + delta;
        return value < 0 ? null : text[..run.Index] + value.ToString(System.Globalization.CultureInfo.InvariantCulture) + text[(run.Index + run.Length)..];
    }

    [GeneratedRegex("[0-9]+")]
    private static partial Regex Digits();
}
