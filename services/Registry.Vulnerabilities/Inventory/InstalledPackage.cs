namespace Registry.Vulnerabilities.Inventory;

/// <summary>Package types as package URLs name them (https://github.com/package-url/purl-spec).</summary>
public static class PackageTypes
{
    public const string Deb = "deb";
    public const string Apk = "apk";
    public const string Rpm = "rpm";
    public const string NuGet = "nuget";
    public const string Npm = "npm";
    public const string PyPI = "pypi";
    public const string Golang = "golang";
    public const string Maven = "maven";
}

/// <summary>
/// A package found in an image: what it is, where (file and layer), and — for OS packages — the source package it was
/// built from, which is what distribution advisories name (<c>libc6</c> comes from <c>glibc</c>).
/// </summary>
public sealed record InstalledPackage
{
    public required string Type { get; init; }

    public required string Name { get; init; }

    public required string Version { get; init; }

    /// <summary>The source package (OS packages); advisories of distributions are per source package.</summary>
    public string? SourceName { get; init; }

    public string? SourceVersion { get; init; }

    /// <summary>Maven group id, npm scope; null elsewhere.</summary>
    public string? Namespace { get; init; }

    public string? Architecture { get; init; }

    /// <summary>The file it was read from, absolute within the image.</summary>
    public string? Location { get; init; }

    /// <summary>The digest of the layer that last wrote that file.</summary>
    public string? Layer { get; init; }

    public string? License { get; init; }

    /// <summary>The package URL, e.g. <c>pkg:deb/debian/libc6@2.36-9?arch=amd64&amp;distro=debian-12</c>.</summary>
    public required string Purl { get; init; }
}
