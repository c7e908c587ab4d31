using System.Text.Json;
using System.Text.Json.Serialization;
using Registry.Vulnerabilities;
using Registry.Vulnerabilities.Inventory;

namespace Registry.Scanner.Scanning;

internal sealed record SeverityTotals(int Critical, int High, int Medium, int Low, int Unknown)
{
    public int Total => Critical + High + Medium + Low + Unknown;

    public static SeverityTotals Of(IReadOnlyList<Finding> findings) => new(
        findings.Count(f => f.Severity == "CRITICAL"),
        findings.Count(f => f.Severity == "HIGH"),
        findings.Count(f => f.Severity == "MEDIUM"),
        findings.Count(f => f.Severity == "LOW"),
        findings.Count(f => f.Severity is not ("CRITICAL" or "HIGH" or "MEDIUM" or "LOW")));
}

internal sealed record OperatingSystemView(string Id, string? Version, string? Ecosystem, string? Name);

internal sealed record ArtifactRef(string Digest, string MediaType, string ArtifactType);

/// <summary>One image manifest's scan: what it is made of, what is known to be wrong with it, and where the SBOM and report are attached.</summary>
internal sealed record ScanReport
{
    public required string Registry { get; init; }

    public required string Repository { get; init; }

    public required string Digest { get; init; }

    public required string MediaType { get; init; }

    public OperatingSystemView? OperatingSystem { get; init; }

    public required int Packages { get; init; }

    public required SeverityTotals Summary { get; init; }

    public required IReadOnlyList<Finding> Findings { get; init; }

    public required string DatabaseVersion { get; init; }

    public required DateTimeOffset ScannedAt { get; init; }

    public required double DurationMs { get; init; }

    public required int LayersScanned { get; init; }

    public required int LayersFromCache { get; init; }

    /// <summary>Layers that are no readable archive (not a tar, truncated, corrupt compression): their packages are unknown.</summary>
    public IReadOnlyList<UnreadableLayer>? UnreadableLayers { get; init; }

    public ArtifactRef? Sbom { get; init; }

    public ArtifactRef? Report { get; init; }
}

internal sealed record UnreadableLayer(string Digest, string Reason);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ScanReport))]
[JsonSerializable(typeof(LayerInventory))]
internal sealed partial class ScanJson : JsonSerializerContext;
