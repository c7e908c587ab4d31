namespace Registry.Vulnerabilities.Versions;

/// <summary>How one packaging ecosystem orders its version strings (which matters: <c>1.0~rc1</c> is before <c>1.0</c> for dpkg, after it for others).</summary>
public interface IVersionOrdering
{
    string Name { get; }

    /// <summary>Negative when <paramref name="left"/> is older, zero when equal, positive when newer.</summary>
    int Compare(string left, string right);
}

/// <summary>The orderings of the ecosystems the scanner knows, and which one an OSV ecosystem name uses.</summary>
public static class VersionOrderings
{
    public static IVersionOrdering Dpkg { get; } = new DpkgVersionOrdering();

    public static IVersionOrdering Apk { get; } = new ApkVersionOrdering();

    public static IVersionOrdering Rpm { get; } = new RpmVersionOrdering();

    public static IVersionOrdering SemVer { get; } = new SemVerOrdering("SemVer", caseInsensitiveLabels: false, numericParts: 3);

    public static IVersionOrdering NuGet { get; } = new SemVerOrdering("NuGet", caseInsensitiveLabels: true, numericParts: 4);

    /// <summary>Go modules: semantic versions with a <c>v</c>; pseudo-versions are pre-releases and sort as such.</summary>
    public static IVersionOrdering Go { get; } = new SemVerOrdering("Go", caseInsensitiveLabels: false, numericParts: 3);

    public static IVersionOrdering Pep440 { get; } = new Pep440VersionOrdering();

    public static IVersionOrdering Maven { get; } = new MavenVersionOrdering();

    /// <summary>The ordering for an OSV ecosystem (<c>Debian:12</c>, <c>Alpine:v3.18</c>, <c>npm</c>, …), or null for one not known here.</summary>
    public static IVersionOrdering? ForEcosystem(string? osvEcosystem)
    {
        if (string.IsNullOrEmpty(osvEcosystem))
        {
            return null;
        }

        var colon = osvEcosystem.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? osvEcosystem : osvEcosystem[..colon];
        return name.ToLowerInvariant() switch
        {
            "debian" or "ubuntu" => Dpkg,
            "alpine" or "wolfi" or "chainguard" => Apk,
            "almalinux" or "rocky linux" or "red hat" or "redhat" or "rhel" or "opensuse" or "suse" or "mageia" or "oracle linux" or "centos" or "fedora" or "amazon linux" or "azure linux" or "cbl-mariner" => Rpm,
            "npm" or "bitnami" or "crates.io" or "hex" or "pub" => SemVer,
            "nuget" => NuGet,
            "pypi" => Pep440,
            "go" => Go,
            "maven" => Maven,
            _ => null,
        };
    }

    internal static int Sign(int value) => value < 0 ? -1 : value > 0 ? 1 : 0;

    /// <summary>Two runs of ASCII digits by numeric value, however long (no overflow): leading zeros ignored, then length, then digits.</summary>
    internal static int CompareDigits(ReadOnlySpan<char> left, ReadOnlySpan<char> right)
    {
        left = left.TrimStart('0');
        right = right.TrimStart('0');
        return left.Length != right.Length ? Sign(left.Length - right.Length) : Sign(left.SequenceCompareTo(right));
    }
}
