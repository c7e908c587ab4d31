using System.Text.Json;
using System.Text.Json.Serialization;

namespace Registry.Scanner.Harbor;

/// <summary>The Harbor pluggable scanner API v1.2 (goharbor/pluggable-scanner-spec): media types and shapes.</summary>
internal static class HarborMediaTypes
{
    public const string Metadata = "application/vnd.scanner.adapter.metadata+json; version=1.1";
    public const string ScanRequest = "application/vnd.scanner.adapter.scan.request+json";
    public const string ScanResponse = "application/vnd.scanner.adapter.scan.response+json; version=1.0";
    public const string Error = "application/vnd.scanner.adapter.error+json; version=1.0";
    public const string VulnerabilityReport = "application/vnd.security.vulnerability.report; version=1.1";
    public const string HarborVulnerabilityReport = "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0";
    public const string SbomReport = "application/vnd.security.sbom.report+json; version=1.0";
    public const string CycloneDx = "application/vnd.cyclonedx+json";
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
}

internal sealed record HarborScanner(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("vendor")] string Vendor,
    [property: JsonPropertyName("version")] string Version);

internal sealed record HarborRegistry(
    [property: JsonPropertyName("url")] string? Url,
    [property: JsonPropertyName("authorization")] string? Authorization);

internal sealed record HarborArtifact(
    [property: JsonPropertyName("repository")] string? Repository,
    [property: JsonPropertyName("digest")] string? Digest,
    [property: JsonPropertyName("tag")] string? Tag,
    [property: JsonPropertyName("mime_type")] string? MimeType);

internal sealed record HarborScanRequest(
    [property: JsonPropertyName("registry")] HarborRegistry? Registry,
    [property: JsonPropertyName("artifact")] HarborArtifact? Artifact);

internal sealed record HarborCvss(
    [property: JsonPropertyName("score_v3")] double? ScoreV3,
    [property: JsonPropertyName("vector_v3")] string? VectorV3);

internal sealed record HarborVulnerability(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("package")] string Package,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("fix_version")] string? FixVersion,
    [property: JsonPropertyName("severity")] string Severity,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("links")] IReadOnlyList<string> Links,
    [property: JsonPropertyName("preferred_cvss")] HarborCvss? PreferredCvss,
    [property: JsonPropertyName("vendor_attributes")] IReadOnlyDictionary<string, string> VendorAttributes);

internal sealed record HarborVulnerabilityReport(
    [property: JsonPropertyName("generated_at")] DateTimeOffset GeneratedAt,
    [property: JsonPropertyName("artifact")] HarborArtifact Artifact,
    [property: JsonPropertyName("scanner")] HarborScanner Scanner,
    [property: JsonPropertyName("severity")] string Severity,
    [property: JsonPropertyName("vulnerabilities")] IReadOnlyList<HarborVulnerability> Vulnerabilities);

/// <summary>A scan request as stored (platform partition) so any instance answers for its report.</summary>
internal sealed record HarborScanJob
{
    public required string Id { get; init; }

    public required string Status { get; init; }

    public required HarborArtifact Artifact { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    public string? Error { get; init; }

    public HarborVulnerabilityReport? Vulnerabilities { get; init; }

    public JsonElement? Sbom { get; init; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HarborScanRequest))]
[JsonSerializable(typeof(HarborScanJob))]
[JsonSerializable(typeof(HarborVulnerabilityReport))]
internal sealed partial class HarborJson : JsonSerializerContext;
