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

    /// <summary>These attributes with the given ones changed (null leaves one as it is).</summary>
    public ChangeableAttributes With(AttributesChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return new()
        {
            DeleteEnabled = change.DeleteEnabled ?? DeleteEnabled,
            WriteEnabled = change.WriteEnabled ?? WriteEnabled,
            ReadEnabled = change.ReadEnabled ?? ReadEnabled,
            ListEnabled = change.ListEnabled ?? ListEnabled,
        };
    }
}

/// <summary>A PATCH of changeable attributes (ACR's body); <see cref="ImmutableTags"/> applies to a repository only.</summary>
public sealed record AttributesChange
{
    [JsonPropertyName("deleteEnabled")]
    public bool? DeleteEnabled { get; init; }

    [JsonPropertyName("writeEnabled")]
    public bool? WriteEnabled { get; init; }

    [JsonPropertyName("readEnabled")]
    public bool? ReadEnabled { get; init; }

    [JsonPropertyName("listEnabled")]
    public bool? ListEnabled { get; init; }

    [JsonPropertyName("immutableTags")]
    public bool? ImmutableTags { get; init; }
}

/// <summary>
/// What is stored of a repository, a tag or a manifest beside its content: its changeable attributes and when it was
/// first pushed. Repositories also hold their own immutable-tags setting and the tags hidden from listings (so a tag list
/// needs one read, not one per tag).
/// </summary>
public sealed record MetadataDocument
{
    public static MetadataDocument Default { get; } = new();

    [JsonPropertyName("changeableAttributes")]
    public ChangeableAttributes ChangeableAttributes { get; init; } = ChangeableAttributes.Default;

    [JsonPropertyName("createdTime")]
    public DateTimeOffset? CreatedTime { get; init; }

    /// <summary>When the attributes were last changed; between regions the latest change wins.</summary>
    [JsonPropertyName("lastUpdateTime")]
    public DateTimeOffset? LastUpdateTime { get; init; }

    [JsonPropertyName("immutableTags")]
    public bool ImmutableTags { get; init; }

    [JsonPropertyName("unlistedTags")]
    public IReadOnlyList<string> UnlistedTags { get; init; } = [];
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

/// <summary>What a request does to a repository's content, for the lock that applies.</summary>
public enum ContentAccess
{
    Read,
    Write,
    Delete,
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

    /// <summary>The repository's stored metadata (defaults when none is stored).</summary>
    Task<MetadataDocument> GetRepositoryAsync(RepositoryPath repository, CancellationToken cancellationToken);

    Task<MetadataDocument> GetTagAsync(RepositoryPath repository, string tag, CancellationToken cancellationToken);

    Task<MetadataDocument> GetManifestAsync(RepositoryPath repository, Digest manifest, CancellationToken cancellationToken);

    /// <summary>Whether the repository's tags are immutable: by the registry's policy or the repository's own setting.</summary>
    Task<bool> TagsImmutableAsync(RepositoryPath repository, CancellationToken cancellationToken);

    /// <summary>
    /// Why pushing <paramref name="digest"/> with <paramref name="tags"/> into the repository must be refused (a write lock,
    /// or an immutable tag that would move), or null when it may go on.
    /// </summary>
    Task<string?> WriteRefusalAsync(RepositoryPath repository, Digest digest, IReadOnlyCollection<(string Tag, string? Current)> tags, CancellationToken cancellationToken);

    /// <summary>
    /// Why the whole repository must not be deleted: a delete or write lock on it, on one of its <paramref name="tags"/> or
    /// on one of its manifests, or immutable tags (it has tags). Null when it may be.
    /// </summary>
    Task<string?> RepositoryDeleteRefusalAsync(RepositoryPath repository, IReadOnlyCollection<string> tags, CancellationToken cancellationToken);

    /// <summary>Why untagging <paramref name="tag"/> must be refused (a lock on the repository or the tag, or an immutable tag), or null.</summary>
    Task<string?> UntagRefusalAsync(RepositoryPath repository, string tag, CancellationToken cancellationToken);

    /// <summary>Why reading, writing (uploading, mounting) or deleting blobs of the repository must be refused by its own locks, or null.</summary>
    Task<string?> BlobRefusalAsync(RepositoryPath repository, ContentAccess access, CancellationToken cancellationToken);

    /// <summary>Why reading the manifest (asked for by <paramref name="tag"/>, or by digest when null) must be refused, or null.</summary>
    Task<string?> ReadRefusalAsync(RepositoryPath repository, string? tag, Digest manifest, CancellationToken cancellationToken);

    Task<MetadataDocument> UpdateRepositoryAsync(RepositoryPath repository, AttributesChange change, CancellationToken cancellationToken);

    Task<MetadataDocument> UpdateTagAsync(RepositoryPath repository, string tag, AttributesChange change, CancellationToken cancellationToken);

    Task<MetadataDocument> UpdateManifestAsync(RepositoryPath repository, Digest manifest, AttributesChange change, CancellationToken cancellationToken);

    /// <summary>Records when the repository, the manifest and each tag were first pushed (existing records stay).</summary>
    Task RecordPushAsync(RepositoryPath repository, Digest manifest, IReadOnlyCollection<string> tags, CancellationToken cancellationToken);

    /// <summary>Forgets the metadata of deleted tags and (when given) a deleted manifest, so a later push starts afresh.</summary>
    Task ForgetAsync(RepositoryPath repository, Digest? manifest, IReadOnlyCollection<string> tags, CancellationToken cancellationToken);

    /// <summary>Forgets everything stored of a deleted repository (attributes, tags, manifests, pulls).</summary>
    Task ForgetRepositoryAsync(RepositoryPath repository, CancellationToken cancellationToken);

    /// <summary>Counts one pull of the manifest (by <paramref name="tag"/> when it was asked for by tag); flushed to storage in the background.</summary>
    void RecordPull(RepositoryPath repository, string? tag, Digest manifest);
}
