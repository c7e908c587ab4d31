namespace Registry.Vulnerabilities.Versions;

/// <summary>
/// Semantic Versioning 2.0 precedence (npm, Go, NuGet): numeric parts, then a version without pre-release after one
/// with it, pre-release identifiers compared one by one (numbers numerically and before text, fewer identifiers first);
/// build metadata (<c>+…</c>, Go's <c>+incompatible</c>) ignored. Lenient as package managers are: a leading <c>v</c> or
/// <c>=</c>, missing minor or patch (zero), and NuGet's fourth part and case-insensitive labels.
/// </summary>
internal sealed class SemVerOrdering(string name, bool caseInsensitiveLabels, int numericParts) : IVersionOrdering
{
    public string Name => name;

    public int Compare(string left, string right)
    {
        var (leftNumbers, leftLabels) = Split(left);
        var (rightNumbers, rightLabels) = Split(right);
        for (var index = 0; index < Math.Max(numericParts, Math.Max(leftNumbers.Length, rightNumbers.Length)); index++)
        {
            var order = VersionOrderings.CompareDigits(
                index < leftNumbers.Length ? leftNumbers[index] : "0",
                index < rightNumbers.Length ? rightNumbers[index] : "0");
            if (order != 0)
            {
                return order;
            }
        }

        if (leftLabels.Length == 0 || rightLabels.Length == 0)
        {
            return leftLabels.Length == rightLabels.Length ? 0 : leftLabels.Length == 0 ? 1 : -1;
        }

        for (var index = 0; index < Math.Min(leftLabels.Length, rightLabels.Length); index++)
        {
            var order = CompareIdentifier(leftLabels[index], rightLabels[index]);
            if (order != 0)
            {
                return order;
            }
        }

        return VersionOrderings.Sign(leftLabels.Length - rightLabels.Length);
    }

    /// <summary>
    /// Numeric identifiers compare numerically and before text, text ordinally. SemVer's numbers are digits only (any
    /// length); NuGet.Versioning's are whatever int.TryParse takes, sign included ("-1" is minus one), and its text ignores case.
    /// </summary>
    private int CompareIdentifier(string left, string right)
    {
        var (leftNumeric, rightNumeric) = (IsNumber(left, out var leftInt), IsNumber(right, out var rightInt));
        if (leftNumeric && rightNumeric)
        {
            return caseInsensitiveLabels ? leftInt.CompareTo(rightInt) switch { < 0 => -1, > 0 => 1, _ => 0 } : VersionOrderings.CompareDigits(left, right);
        }

        if (leftNumeric != rightNumeric)
        {
            return leftNumeric ? -1 : 1;
        }

        return VersionOrderings.Sign(caseInsensitiveLabels ? string.Compare(left, right, StringComparison.OrdinalIgnoreCase) : string.CompareOrdinal(left, right));
    }

    private bool IsNumber(string identifier, out int value)
    {
        value = 0;
        return caseInsensitiveLabels
            ? int.TryParse(identifier, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out value)
            : identifier.Length > 0 && !identifier.AsSpan().ContainsAnyExceptInRange('0', '9');
    }

    private static (string[] Numbers, string[] Labels) Split(string version)
    {
        var text = version.Trim().TrimStart('=', 'v', 'V');
        var plus = text.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0)
        {
            text = text[..plus];
        }

        var hyphen = text.IndexOf('-', StringComparison.Ordinal);
        var core = hyphen < 0 ? text : text[..hyphen];
        var labels = hyphen < 0 ? [] : text[(hyphen + 1)..].Split('.');
        return (core.Split('.'), labels);
    }
}
