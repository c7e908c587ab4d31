using System.Text.Json;
using System.Text.Json.Serialization;

namespace Registry.Replication.Geo;

/// <summary>One region a registry lives in (ACR's <c>replications</c> resource). The home region has one too.</summary>
internal sealed record ReplicaRecord
{
    public required string Name { get; init; }

    public required string Location { get; init; }

    public bool IsHome { get; init; }

    public bool RegionEndpointEnabled { get; init; } = true;

    public string ZoneRedundancy { get; init; } = "Disabled";

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>
/// The newest change of one tag a region has applied: which digest (or a delete), when it was acknowledged and in
/// which region. Concurrent changes converge on the greatest (time, region); <see cref="TagEtag"/> is the tag link as
/// replication last left it (null while a write is in progress), so a local push replication has not seen yet is left alone.
/// </summary>
internal sealed record TagMarker(string? Digest, DateTimeOffset At, string Region, bool Deleted, string? TagEtag) : IComparable<TagMarker>
{
    public int CompareTo(TagMarker? other) =>
        other is null ? 1 : At != other.At ? At.CompareTo(other.At) : string.CompareOrdinal(Region, other.Region);

    public bool Supersedes(TagMarker other) => CompareTo(other) > 0;
}

/// <summary>A blob copy into a region in progress: the upload receiving it, so a copy cut off resumes from what landed.</summary>
internal sealed record BlobCopy(string Repository, string UploadId, DateTimeOffset StartedAt);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ReplicaRecord))]
[JsonSerializable(typeof(TagMarker))]
[JsonSerializable(typeof(BlobCopy))]
[JsonSerializable(typeof(InstanceStatus))]
internal sealed partial class GeoJson : JsonSerializerContext;
