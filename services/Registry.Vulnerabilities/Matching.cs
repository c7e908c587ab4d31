using System.Text.Json;
using Registry.Vulnerabilities.Inventory;
using Registry.Vulnerabilities.Osv;

namespace Registry.Vulnerabilities;

/// <summary>A known vulnerability of one installed package.</summary>
public sealed record Finding
{
    public required string Id { get; init; }

    public IReadOnlyList<string> Aliases { get; init; } = [];

    public string? Summary { get; init; }

    public required string PackageType { get; init; }

    public required string PackageName { get; init; }

    /// <summary>The name the advisory uses: the source package for OS packages.</summary>
    public required string AdvisoryPackage { get; init; }

    public required string InstalledVersion { get; init; }

    /// <summary>Null when no fixed version exists (affected without fix).</summary>
    public string? FixedVersion { get; init; }

    /// <summary><c>CRITICAL</c>, <c>HIGH</c>, <c>MEDIUM</c>, <c>LOW</c>, <c>NONE</c> or <c>UNKNOWN</c>.</summary>
    public required string Severity { get; init; }

    public double? CvssScore { get; init; }

    public string? CvssVector { get; init; }

    public IReadOnlyList<string> Links { get; init; } = [];

    public required string Purl { get; init; }

    public string? Layer { get; init; }

    public string? Location { get; init; }
}

/// <summary>Advisories by ecosystem family and package name, for matching; withdrawn advisories are left out.</summary>
public sealed class OsvIndex
{
    private readonly Dictionary<(string Family, string Name), List<(OsvAdvisory Advisory, OsvAffected Affected)>> _byPackage = [];

    public OsvIndex(IEnumerable<OsvAdvisory> advisories)
    {
        ArgumentNullException.ThrowIfNull(advisories);
        foreach (var advisory in advisories)
        {
            Count++;
            if (advisory.Withdrawn is not null)
            {
                continue;
            }

            foreach (var affected in advisory.Affected)
            {
                if (affected.Package is not { } package)
                {
                    continue;
                }

                var family = Family(package.Ecosystem);
                var key = (family, NormalizeName(family, package.Name));
                if (!_byPackage.TryGetValue(key, out var list))
                {
                    _byPackage[key] = list = [];
                }

                list.Add((advisory, affected));
            }
        }
    }

    public int Count { get; }

    internal IReadOnlyList<(OsvAdvisory Advisory, OsvAffected Affected)> Candidates(string family, string name) =>
        _byPackage.TryGetValue((family, NormalizeName(family, name)), out var list) ? list : [];

    /// <summary><c>Debian:12</c> → <c>debian</c>; <c>npm</c> → <c>npm</c>.</summary>
    internal static string Family(string ecosystem)
    {
        var colon = ecosystem.IndexOf(':', StringComparison.Ordinal);
        return (colon < 0 ? ecosystem : ecosystem[..colon]).ToLowerInvariant();
    }

    /// <summary>Names as each ecosystem compares them: NuGet case-insensitively, PyPI per PEP 503, the rest exactly.</summary>
    internal static string NormalizeName(string family, string name) => family switch
    {
        "nuget" => name.ToLowerInvariant(),
        "pypi" => string.Join('-', name.ToLowerInvariant().Split(['-', '_', '.'], StringSplitOptions.RemoveEmptyEntries)),
        _ => name,
    };
}

/// <summary>
/// Matches an image's packages against OSV advisories: dpkg and apk packages by their <b>source</b> package (RPM
/// distributions' advisories name binary packages) in the image's
/// distribution release (an advisory for the release, or for the distribution as a whole), language packages in their
/// ecosystem; versions by the ecosystem's own ordering. Affected without a fix counts as vulnerable.
/// </summary>
public static class VulnerabilityMatcher
{
    public static IReadOnlyList<Finding> Match(ImageInventory image, OsvIndex index)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(index);
        var findings = new List<Finding>();
        var seen = new HashSet<(string, string, string, string?)>();
        foreach (var package in image.Packages)
        {
            if (Target(package, image.OperatingSystem) is not { } target)
            {
                continue;
            }

            var (ecosystem, name, version) = target;
            var family = OsvIndex.Family(ecosystem);
            foreach (var (advisory, affected) in index.Candidates(family, name))
            {
                if (!EcosystemApplies(affected.Package!.Ecosystem, ecosystem) || !OsvMatching.IsAffected(affected, version)
                    || !seen.Add((advisory.Id, package.Purl, version, package.Location)))
                {
                    continue;
                }

                var (severity, score, vector) = SeverityOf(advisory, affected);
                findings.Add(new Finding
                {
                    Id = advisory.Id,
                    Aliases = advisory.Aliases,
                    Summary = advisory.Summary,
                    PackageType = package.Type,
                    PackageName = package.Name,
                    AdvisoryPackage = name,
                    InstalledVersion = version,
                    FixedVersion = OsvMatching.FixedVersion(affected, version),
                    Severity = severity,
                    CvssScore = score,
                    CvssVector = vector,
                    Links = [$"https://osv.dev/vulnerability/{advisory.Id}", .. advisory.References.Select(r => r.Url).Distinct(StringComparer.Ordinal)],
                    Purl = package.Purl,
                    Layer = package.Layer,
                    Location = package.Location,
                });
            }
        }

        return findings;
    }

    /// <summary>Severity words by rank, for totals and thresholds.</summary>
    public static int Rank(string severity) => severity switch
    {
        "CRITICAL" => 4,
        "HIGH" => 3,
        "MEDIUM" => 2,
        "LOW" => 1,
        _ => 0,
    };

    private static (string Ecosystem, string Name, string Version)? Target(InstalledPackage package, Inventory.OperatingSystem? os) => package.Type switch
    {
        PackageTypes.Deb or PackageTypes.Apk when os?.OsvEcosystem is { } distribution =>
            (distribution, package.SourceName ?? package.Name, package.SourceVersion ?? package.Version),
        PackageTypes.Rpm when os?.OsvEcosystem is { } distribution => (distribution, package.Name, package.Version),
        PackageTypes.NuGet => ("NuGet", package.Name, package.Version),
        PackageTypes.Npm => ("npm", package.Name, package.Version),
        PackageTypes.PyPI => ("PyPI", package.Name, package.Version),
        PackageTypes.Golang => ("Go", package.Name, package.Version),
        PackageTypes.Maven when package.Namespace is not null => ("Maven", $"{package.Namespace}:{package.Name}", package.Version),
        _ => null,
    };

    /// <summary>
    /// An advisory for <c>Debian</c> applies to every Debian release; one for <c>Debian:12</c> to that release only;
    /// Ubuntu's <c>:LTS</c> suffix is the same release; <c>Ubuntu:Pro:…</c> concerns Pro subscriptions only.
    /// </summary>
    internal static bool EcosystemApplies(string advisoryEcosystem, string imageEcosystem)
    {
        if (string.Equals(advisoryEcosystem, imageEcosystem, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var advisory = advisoryEcosystem.EndsWith(":LTS", StringComparison.OrdinalIgnoreCase) ? advisoryEcosystem[..^4] : advisoryEcosystem;
        return string.Equals(advisory, imageEcosystem, StringComparison.OrdinalIgnoreCase)
            || (!advisory.Contains(':', StringComparison.Ordinal) && string.Equals(advisory, OsvIndex.Family(imageEcosystem), StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>From a CVSS v3 vector (the package's, else the advisory's), else the database's or ecosystem's own rating.</summary>
    private static (string Severity, double? Score, string? Vector) SeverityOf(OsvAdvisory advisory, OsvAffected affected)
    {
        foreach (var severity in affected.Severity.Concat(advisory.Severity))
        {
            if (severity.Type == "CVSS_V3" && Cvss.BaseScore(severity.Score) is { } score)
            {
                return (Cvss.SeverityOf(score), score, severity.Score);
            }
        }

        var word = Word(advisory.DatabaseSpecific, "severity")
            ?? Word(affected.DatabaseSpecific, "severity")
            ?? Word(affected.EcosystemSpecific, "severity")
            ?? Word(affected.EcosystemSpecific, "urgency")
            ?? advisory.Severity.Concat(affected.Severity).FirstOrDefault(s => s.Type == "Ubuntu")?.Score;
        return (Normalize(word), null, null);
    }

    private static string? Word(JsonElement? element, string property) =>
        element is { ValueKind: JsonValueKind.Object } value && value.TryGetProperty(property, out var word) && word.ValueKind == JsonValueKind.String
            ? word.GetString()
            : null;

    private static string Normalize(string? word) => word?.Trim().ToUpperInvariant() switch
    {
        "CRITICAL" => "CRITICAL",
        "HIGH" or "IMPORTANT" => "HIGH",
        "MEDIUM" or "MODERATE" => "MEDIUM",
        "LOW" or "NEGLIGIBLE" or "UNIMPORTANT" => "LOW",
        "NONE" => "NONE",
        _ => "UNKNOWN",
    };
}
