using System.Text.Json;
using System.Text.Json.Serialization;

namespace Registry.Security;

/// <summary>
/// A registry's image policy (set through the scanner's API, enforced by distribution on manifest pulls):
/// quarantine new images until their scan passes; refuse images with findings at or above a severity (except allowlisted
/// vulnerability ids); refuse images not scanned yet.
/// </summary>
public sealed record ScanPolicy
{
    public bool Quarantine { get; init; }

    /// <summary><c>CRITICAL</c>, <c>HIGH</c>, <c>MEDIUM</c> or <c>LOW</c>; null refuses nothing for its findings.</summary>
    public string? BlockSeverity { get; init; }

    public IReadOnlyList<string> Allowlist { get; init; } = [];

    public bool BlockUnscanned { get; init; }

    [JsonIgnore]
    public bool IsActive => Quarantine || BlockSeverity is not null || BlockUnscanned;

    private static readonly string[] SeverityOrder = ["LOW", "MEDIUM", "HIGH", "CRITICAL"];

    public static IReadOnlyList<string> Severities => SeverityOrder;

    /// <summary>1 (LOW) … 4 (CRITICAL); 0 for NONE and UNKNOWN.</summary>
    public static int RankOf(string? severity) => severity is null ? 0 : Array.IndexOf(SeverityOrder, severity) + 1;

    /// <summary>The worst finding that makes <paramref name="verdict"/> fail this policy, or null when it passes.</summary>
    public ScanVerdictFinding? Blocking(ScanVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        if (BlockSeverity is null)
        {
            return null;
        }

        var threshold = RankOf(BlockSeverity);
        return verdict.Findings
            .Where(f => RankOf(f.Severity) >= threshold && !IsAllowed(f))
            .OrderByDescending(f => RankOf(f.Severity))
            .ThenBy(f => f.Id, StringComparer.Ordinal)
            .FirstOrDefault();
    }

    private bool IsAllowed(ScanVerdictFinding finding) =>
        Allowlist.Contains(finding.Id, StringComparer.OrdinalIgnoreCase) || finding.Aliases.Any(alias => Allowlist.Contains(alias, StringComparer.OrdinalIgnoreCase));
}

public sealed record ScanVerdictFinding(string Id, string Severity, string Package, string InstalledVersion, string? FixedVersion)
{
    /// <summary>The same vulnerability's other ids (a GHSA advisory's CVE), so an allowlist entry may name either.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];
}

/// <summary>What distribution needs of an image's latest scan (written by the scanner beside its full report).</summary>
public sealed record ScanVerdict(string Digest, DateTimeOffset ScannedAt, string DatabaseVersion, IReadOnlyList<ScanVerdictFinding> Findings);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ScanPolicy))]
[JsonSerializable(typeof(ScanVerdict))]
public sealed partial class ScanPolicyJson : JsonSerializerContext;
