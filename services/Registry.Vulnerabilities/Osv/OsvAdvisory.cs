using System.Text.Json;
using System.Text.Json.Serialization;

namespace Registry.Vulnerabilities.Osv;

/// <summary>One advisory in the OSV schema (1.x), as osv.dev and the distributions publish them.</summary>
public sealed record OsvAdvisory
{
    [JsonPropertyName("schema_version")]
    public string? SchemaVersion { get; init; }

    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("modified")]
    public DateTimeOffset? Modified { get; init; }

    [JsonPropertyName("published")]
    public DateTimeOffset? Published { get; init; }

    /// <summary>Set when the advisory was withdrawn: it no longer applies to anything.</summary>
    [JsonPropertyName("withdrawn")]
    public DateTimeOffset? Withdrawn { get; init; }

    [JsonPropertyName("aliases")]
    public IReadOnlyList<string> Aliases { get; init; } = [];

    [JsonPropertyName("upstream")]
    public IReadOnlyList<string> Upstream { get; init; } = [];

    [JsonPropertyName("related")]
    public IReadOnlyList<string> Related { get; init; } = [];

    [JsonPropertyName("summary")]
    public string? Summary { get; init; }

    [JsonPropertyName("details")]
    public string? Details { get; init; }

    [JsonPropertyName("severity")]
    public IReadOnlyList<OsvSeverity> Severity { get; init; } = [];

    [JsonPropertyName("affected")]
    public IReadOnlyList<OsvAffected> Affected { get; init; } = [];

    [JsonPropertyName("references")]
    public IReadOnlyList<OsvReference> References { get; init; } = [];

    [JsonPropertyName("database_specific")]
    public JsonElement? DatabaseSpecific { get; init; }
}

public sealed record OsvSeverity
{
    /// <summary><c>CVSS_V2</c>, <c>CVSS_V3</c>, <c>CVSS_V4</c>, <c>Ubuntu</c>.</summary>
    [JsonPropertyName("type")]
    public required string Type { get; init; }

    /// <summary>A CVSS vector string, or the ecosystem's own rating.</summary>
    [JsonPropertyName("score")]
    public required string Score { get; init; }
}

public sealed record OsvAffected
{
    [JsonPropertyName("package")]
    public OsvPackage? Package { get; init; }

    [JsonPropertyName("severity")]
    public IReadOnlyList<OsvSeverity> Severity { get; init; } = [];

    [JsonPropertyName("ranges")]
    public IReadOnlyList<OsvRange> Ranges { get; init; } = [];

    [JsonPropertyName("versions")]
    public IReadOnlyList<string> Versions { get; init; } = [];

    [JsonPropertyName("ecosystem_specific")]
    public JsonElement? EcosystemSpecific { get; init; }

    [JsonPropertyName("database_specific")]
    public JsonElement? DatabaseSpecific { get; init; }
}

public sealed record OsvPackage
{
    /// <summary><c>Debian:12</c>, <c>Alpine:v3.18</c>, <c>npm</c>, <c>NuGet</c>, <c>PyPI</c>, <c>Go</c>, …</summary>
    [JsonPropertyName("ecosystem")]
    public required string Ecosystem { get; init; }

    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("purl")]
    public string? Purl { get; init; }
}

public sealed record OsvRange
{
    /// <summary><c>ECOSYSTEM</c>, <c>SEMVER</c> or <c>GIT</c>.</summary>
    [JsonPropertyName("type")]
    public required string Type { get; init; }

    [JsonPropertyName("repo")]
    public string? Repo { get; init; }

    [JsonPropertyName("events")]
    public IReadOnlyList<OsvEvent> Events { get; init; } = [];
}

/// <summary>Exactly one of the four is set.</summary>
public sealed record OsvEvent
{
    [JsonPropertyName("introduced")]
    public string? Introduced { get; init; }

    [JsonPropertyName("fixed")]
    public string? Fixed { get; init; }

    [JsonPropertyName("last_affected")]
    public string? LastAffected { get; init; }

    [JsonPropertyName("limit")]
    public string? Limit { get; init; }
}

public sealed record OsvReference
{
    [JsonPropertyName("type")]
    public string? Type { get; init; }

    [JsonPropertyName("url")]
    public required string Url { get; init; }
}

public static class OsvJson
{
    /// <exception cref="JsonException">The text is not an OSV record.</exception>
    public static OsvAdvisory Parse(ReadOnlySpan<byte> utf8Json) =>
        JsonSerializer.Deserialize(utf8Json, OsvJsonContext.Default.OsvAdvisory) ?? throw new JsonException("an OSV record is a JSON object, not null");

    public static byte[] Serialize(OsvAdvisory advisory) =>
        JsonSerializer.SerializeToUtf8Bytes(advisory, OsvJsonContext.Default.OsvAdvisory);
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, AllowTrailingCommas = true, ReadCommentHandling = JsonCommentHandling.Skip)]
[JsonSerializable(typeof(OsvAdvisory))]
internal sealed partial class OsvJsonContext : JsonSerializerContext;
