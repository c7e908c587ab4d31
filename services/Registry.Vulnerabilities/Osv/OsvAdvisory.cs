using System.Text.Json;
using System.Text.Json.Serialization;

namespace Registry.Vulnerabilities.Osv;

/// <summary>One advisory in the OSV schema (1.x), as osv.dev and the distributions publish them. A list given as JSON <c>null</c> reads as empty.</summary>
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
    public IReadOnlyList<string> Aliases { get => _aliases; init => _aliases = value ?? []; }

    private readonly IReadOnlyList<string> _aliases = [];

    [JsonPropertyName("upstream")]
    public IReadOnlyList<string> Upstream { get => _upstream; init => _upstream = value ?? []; }

    private readonly IReadOnlyList<string> _upstream = [];

    [JsonPropertyName("related")]
    public IReadOnlyList<string> Related { get => _related; init => _related = value ?? []; }

    private readonly IReadOnlyList<string> _related = [];

    [JsonPropertyName("summary")]
    public string? Summary { get; init; }

    [JsonPropertyName("details")]
    public string? Details { get; init; }

    [JsonPropertyName("severity")]
    public IReadOnlyList<OsvSeverity> Severity { get => _severity; init => _severity = value ?? []; }

    private readonly IReadOnlyList<OsvSeverity> _severity = [];

    [JsonPropertyName("affected")]
    public IReadOnlyList<OsvAffected> Affected { get => _affected; init => _affected = value ?? []; }

    private readonly IReadOnlyList<OsvAffected> _affected = [];

    [JsonPropertyName("references")]
    public IReadOnlyList<OsvReference> References { get => _references; init => _references = value ?? []; }

    private readonly IReadOnlyList<OsvReference> _references = [];

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
    public IReadOnlyList<OsvSeverity> Severity { get => _severity; init => _severity = value ?? []; }

    private readonly IReadOnlyList<OsvSeverity> _severity = [];

    [JsonPropertyName("ranges")]
    public IReadOnlyList<OsvRange> Ranges { get => _ranges; init => _ranges = value ?? []; }

    private readonly IReadOnlyList<OsvRange> _ranges = [];

    [JsonPropertyName("versions")]
    public IReadOnlyList<string> Versions { get => _versions; init => _versions = value ?? []; }

    private readonly IReadOnlyList<string> _versions = [];

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
    public IReadOnlyList<OsvEvent> Events { get => _events; init => _events = value ?? []; }

    private readonly IReadOnlyList<OsvEvent> _events = [];
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

    /// <summary>One record or a JSON array of records (as some feeds publish them).</summary>
    /// <exception cref="JsonException">The text is neither.</exception>
    public static IReadOnlyList<OsvAdvisory> ParseMany(ReadOnlySpan<byte> utf8Json)
    {
        var trimmed = utf8Json.TrimStart(" \t\r\n\uFEFF"u8);
        if (trimmed.Length > 0 && trimmed[0] == (byte)'[')
        {
            var many = JsonSerializer.Deserialize(trimmed, OsvJsonContext.Default.ListOsvAdvisory) ?? throw new JsonException("an OSV array may not be null");
            return many;
        }

        return [Parse(trimmed)];
    }

    public static byte[] Serialize(OsvAdvisory advisory) =>
        JsonSerializer.SerializeToUtf8Bytes(advisory, OsvJsonContext.Default.OsvAdvisory);
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, AllowTrailingCommas = true, ReadCommentHandling = JsonCommentHandling.Skip)]
[JsonSerializable(typeof(OsvAdvisory))]
[JsonSerializable(typeof(List<OsvAdvisory>))]
internal sealed partial class OsvJsonContext : JsonSerializerContext;
