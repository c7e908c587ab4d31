namespace Registry.Vulnerabilities.Versions;

/// <summary>
/// RPM's ordering of <c>[epoch:]version[-release]</c> (epoch, then <c>rpmvercmp</c> on version, then on release):
/// alphanumeric segments compared pairwise, numbers numerically and newer than letters, <c>~</c> sorting before
/// everything and <c>^</c> after the end but before any further segment.
/// </summary>
internal sealed class RpmVersionOrdering : IVersionOrdering
{
    public string Name => "rpm";

    public int Compare(string left, string right)
    {
        var (leftEpoch, leftVersion, leftRelease) = Split(left.Trim());
        var (rightEpoch, rightVersion, rightRelease) = Split(right.Trim());
        var epoch = VersionOrderings.CompareDigits(leftEpoch, rightEpoch);
        if (epoch != 0)
        {
            return epoch;
        }

        var version = RpmVerCmp(leftVersion, rightVersion);
        if (version != 0 || leftRelease is null || rightRelease is null)
        {
            // A missing release matches any release (an advisory's "1.2" covers every build of 1.2), as rpm does.
            return version;
        }

        return RpmVerCmp(leftRelease, rightRelease);
    }

    private static (string Epoch, string Version, string? Release) Split(string evr)
    {
        var colon = evr.IndexOf(':', StringComparison.Ordinal);
        var epoch = colon > 0 ? evr[..colon] : "0";
        var rest = colon >= 0 ? evr[(colon + 1)..] : evr;
        var hyphen = rest.LastIndexOf('-');
        return hyphen < 0 ? (epoch, rest, null) : (epoch, rest[..hyphen], rest[(hyphen + 1)..]);
    }

    internal static int RpmVerCmp(string left, string right)
    {
        if (string.Equals(left, right, StringComparison.Ordinal))
        {
            return 0;
        }

        int i = 0, j = 0;
        while (i < left.Length || j < right.Length)
        {
            while (i < left.Length && !char.IsAsciiLetterOrDigit(left[i]) && left[i] is not '~' and not '^')
            {
                i++;
            }

            while (j < right.Length && !char.IsAsciiLetterOrDigit(right[j]) && right[j] is not '~' and not '^')
            {
                j++;
            }

            var l = i < left.Length ? left[i] : '\0';
            var r = j < right.Length ? right[j] : '\0';
            if (l == '~' || r == '~')
            {
                if (l != '~')
                {
                    return 1;
                }

                if (r != '~')
                {
                    return -1;
                }

                i++;
                j++;
                continue;
            }

            if (l == '^' || r == '^')
            {
                if (l == '\0')
                {
                    return -1;
                }

                if (r == '\0')
                {
                    return 1;
                }

                if (l != '^')
                {
                    return 1;
                }

                if (r != '^')
                {
                    return -1;
                }

                i++;
                j++;
                continue;
            }

            if (l == '\0' || r == '\0')
            {
                break;
            }

            var numeric = char.IsAsciiDigit(l);
            var leftStart = i;
            while (i < left.Length && (numeric ? char.IsAsciiDigit(left[i]) : char.IsAsciiLetter(left[i])))
            {
                i++;
            }

            var rightStart = j;
            while (j < right.Length && (numeric ? char.IsAsciiDigit(right[j]) : char.IsAsciiLetter(right[j])))
            {
                j++;
            }

            if (j == rightStart)
            {
                // Segments of different kinds: a number is newer than letters.
                return numeric ? 1 : -1;
            }

            var leftSegment = left.AsSpan(leftStart, i - leftStart);
            var rightSegment = right.AsSpan(rightStart, j - rightStart);
            var order = numeric
                ? VersionOrderings.CompareDigits(leftSegment, rightSegment)
                : VersionOrderings.Sign(leftSegment.SequenceCompareTo(rightSegment));
            if (order != 0)
            {
                return order;
            }
        }

        var leftDone = i >= left.Length;
        var rightDone = j >= right.Length;
        return leftDone && rightDone ? 0 : leftDone ? -1 : 1;
    }
}
