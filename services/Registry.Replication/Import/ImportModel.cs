using System.Text.Json;
using System.Text.Json.Serialization;

namespace Registry.Replication.Import;

/// <summary>ACR's <c>ImportImageParameters</c>.</summary>
internal sealed record ImportRequest
{
    public ImportSource? Source { get; init; }

    public IReadOnlyList<string>? TargetTags { get; init; }

    public IReadOnlyList<string>? UntaggedTargetRepositories { get; init; }

    public string? Mode { get; init; }
}

internal sealed record ImportSource
{
    public string? RegistryUri { get; init; }

    public string? SourceImage { get; init; }

    public ImportCredentials? Credentials { get; init; }

    /// <summary>ACR's way to name a registry by its Azure resource id: not meaningful here, refused with a hint.</summary>
    public string? ResourceId { get; init; }
}

internal sealed record ImportCredentials
{
    public string? Username { get; init; }

    public string? Password { get; init; }
}

internal static class ImportModes
{
    public const string NoForce = "NoForce";
    public const string Force = "Force";
}

internal static class ImportStatus
{
    public const string Running = "Running";
    public const string Succeeded = "Succeeded";
    public const string Failed = "Failed";
}

/// <summary>The source as the operation shows it: never the credentials.</summary>
internal sealed record ImportSourceView(string RegistryUri, string SourceImage);

internal sealed record ImportProgress
{
    public int Manifests { get; init; }

    public int ManifestsTotal { get; init; }

    public int BlobsCopied { get; init; }

    public int BlobsExisting { get; init; }

    public long BytesCopied { get; init; }
}

internal sealed record ImportError(string Code, string Message);

/// <summary>An import as stored in the registry's partition and served by <c>GET …/import/operations/{id}</c>.</summary>
internal sealed record ImportOperation
{
    public required Guid Id { get; init; }

    public required string Status { get; init; }

    public required ImportSourceView Source { get; init; }

    public required IReadOnlyList<string> TargetTags { get; init; }

    public required IReadOnlyList<string> UntaggedTargetRepositories { get; init; }

    public required string Mode { get; init; }

    public required string Digest { get; init; }

    public required string MediaType { get; init; }

    public ImportProgress Progress { get; init; } = new();

    public ImportError? Error { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Written while the operation runs; a running operation not updated for long belongs to a stopped instance.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ImportOperation))]
[JsonSerializable(typeof(ImportRequest))]
internal sealed partial class ImportJson : JsonSerializerContext;
