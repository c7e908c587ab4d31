namespace Registry.Vulnerabilities.Versions;

/// <summary>
/// Debian's ordering (deb-version(7), dpkg's <c>verrevcmp</c>): <c>[epoch:]upstream[-revision]</c>; within each part,
/// non-digit runs compare character by character with <c>~</c> before everything (even the end) and letters before other
/// characters, digit runs numerically.
/// </summary>
internal sealed class DpkgVersionOrdering : IVersionOrdering
{
    public string Name => "dpkg";

    public int Compare(string left, string right)
    {
        var (leftEpoch, leftUpstream, leftRevision) = Split(left.Trim());
        var (rightEpoch, rightUpstream, rightRevision) = Split(right.Trim());
        var epoch = VersionOrderings.CompareDigits(leftEpoch, rightEpoch);
        if (epoch != 0)
        {
            return epoch;
        }

        var upstream = VerRevCmp(leftUpstream, rightUpstream);
        return upstream != 0 ? upstream : VerRevCmp(leftRevision, rightRevision);
    }

    private static (string Epoch, string Upstream, string Revision) Split(string version)
    {
        var colon = version.IndexOf(':', StringComparison.Ordinal);
        var epoch = colon > 0 && version.AsSpan(0, colon).ContainsAnyExceptInRange('0', '9') is false ? version[..colon] : "0";
        var rest = colon > 0 ? version[(colon + 1)..] : version;
        var hyphen = rest.LastIndexOf('-');
        return hyphen < 0 ? (epoch, rest, string.Empty) : (epoch, rest[..hyphen], rest[(hyphen + 1)..]);
    }

    private static int Order(char c) =>
        char.IsAsciiDigit(c) ? 0 : char.IsAsciiLetter(c) ? c : c == '~' ? -1 : c + 256;

    private static int VerRevCmp(string left, string right)
    {
        int i = 0, j = 0;
        while (i < left.Length || j < right.Length)
        {
            while ((i < left.Length && !char.IsAsciiDigit(left[i])) || (j < right.Length && !char.IsAsciiDigit(right[j])))
            {
                var l = i < left.Length ? Order(left[i]) : 0;
                var r = j < right.Length ? Order(right[j]) : 0;
                if (l != r)
                {
                    return VersionOrderings.Sign(l - r);
                }

                i++;
                j++;
            }

            var leftStart = i;
            while (i < left.Length && char.IsAsciiDigit(left[i]))
            {
                i++;
            }

            var rightStart = j;
            while (j < right.Length && char.IsAsciiDigit(right[j]))
            {
                j++;
            }

            var digits = VersionOrderings.CompareDigits(left.AsSpan(leftStart, i - leftStart), right.AsSpan(rightStart, j - rightStart));
            if (digits != 0)
            {
                return digits;
            }
        }

        return 0;
    }
}
