using System.Text.Json.Serialization;
using Registry.Oci;

namespace Registry.Distribution.Core;

/// <summary>
/// ACR's changeable attributes of a repository, a tag or a manifest: the locks every writer and every clean-up honours.
/// A manifest or tag can be deleted only when delete and write are enabled on it, on its repository and (for a manifest)
/// on every tag pointing at it.
/// </summary>
public sealed record ChangeableAttributes
{
    public static ChangeableAttributes Default { get; } = new();

    [JsonPropertyName("deleteEnabled")]
    public bool DeleteEnabled { get; init; } = true;

    [JsonPropertyName("writeEnabled")]
    public bool WriteEnabled { get; init; } = true;

    [JsonPropertyName("readEnabled")]
    public bool ReadEnabled { get; init; } = true;

    [JsonPropertyName("listEnabled")]
    public bool ListEnabled { get; init; } = true;
}

/// <summary>How often, and when last, something was pulled.</summary>
public sealed record PullRecord(
    [property: JsonPropertyName("count")] long Count,
    [property: JsonPropertyName("lastPulledAt")] DateTimeOffset? LastPulledAt)
{
    public static PullRecord None { get; } = new(0, null);
}

/// <summary>The pulls of one repository, by tag and by manifest digest.</summary>
public sealed record PullStatistics(
    [property: JsonPropertyName("repository")] PullRecord Repository,
    [property: JsonPropertyName("tags")] IReadOnlyDictionary<string, PullRecord> Tags,
    [property: JsonPropertyName("manifests")] IReadOnlyDictionary<string, PullRecord> Manifests)
{
    public static PullStatistics None { get; } = new(PullRecord.None, new Dictionary<string, PullRecord>(), new Dictionary<string, PullRecord>());
}

/// <summary>Repository metadata beside its content: locks (changeable attributes) and pull statistics.</summary>
public interface IRepositoryMetadata
{
    Task<ChangeableAttributes> GetRepositoryAttributesAsync(RepositoryPath repository, CancellationToken cancellationToken);

    Task<ChangeableAttributes> GetTagAttributesAsync(RepositoryPath repository, string tag, CancellationToken cancellationToken);

    Task<ChangeableAttributes> GetManifestAttributesAsync(RepositoryPath repository, Digest manifest, CancellationToken cancellationToken);

    /// <summary>
    /// Why the manifest (with the tags given, which point at it) must not be deleted — a lock or the registry's immutable
    /// tags policy — or null when it may be.
    /// </summary>
    Task<string?> DeleteRefusalAsync(RepositoryPath repository, Digest manifest, IReadOnlyCollection<string> tags, CancellationToken cancellationToken);

    Task<PullStatistics> GetPullsAsync(RepositoryPath repository, CancellationToken cancellationToken);
}
