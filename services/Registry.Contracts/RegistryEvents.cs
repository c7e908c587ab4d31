namespace Registry.Contracts;

/// <summary>
/// What every registry event carries (DESIGN.md §6): which registry, region and repository, when, who and through
/// which request. <see cref="EventId"/> is unique per event and stable across redeliveries, so consumers deduplicate on it.
/// </summary>
public interface IRegistryEvent
{
    Guid EventId { get; }

    string Registry { get; }

    string Region { get; }

    string Repository { get; }

    DateTimeOffset OccurredAt { get; }

    /// <summary>The identity that made the request: a user, token or service principal name; null when anonymous.</summary>
    string? Actor { get; }

    RequestInfo? Request { get; }

    /// <summary>The service instance that made the change.</summary>
    SourceInfo? Source { get; }
}

/// <summary>The client request that caused an event, as the registry saw it behind the gateway.</summary>
public sealed record RequestInfo
{
    public required string Id { get; init; }

    /// <summary>The host the client addressed (the registry's login server, with port when not the default).</summary>
    public required string Host { get; init; }

    public required string Method { get; init; }

    public string? UserAgent { get; init; }

    public string? ClientAddress { get; init; }
}

/// <summary>Which service instance raised an event: its network address and a per-process id.</summary>
public sealed record SourceInfo
{
    public required string Address { get; init; }

    public required string InstanceId { get; init; }
}

/// <summary>A manifest (image, index or artifact) was stored, by tag or by digest.</summary>
public sealed record ManifestPushed : IRegistryEvent
{
    public required Guid EventId { get; init; }

    public required string Registry { get; init; }

    public required string Region { get; init; }

    public required string Repository { get; init; }

    /// <summary>The tag pushed, or null for a push by digest.</summary>
    public string? Tag { get; init; }

    public required string Digest { get; init; }

    public required string MediaType { get; init; }

    public string? ArtifactType { get; init; }

    public required long Size { get; init; }

    /// <summary>The digest of the manifest this one refers to (OCI 1.1 referrers), when it has a subject.</summary>
    public string? Subject { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    public string? Actor { get; init; }

    public RequestInfo? Request { get; init; }

    public SourceInfo? Source { get; init; }
}

/// <summary>A manifest was deleted by digest (with every tag that pointed at it).</summary>
public sealed record ManifestDeleted : IRegistryEvent
{
    public required Guid EventId { get; init; }

    public required string Registry { get; init; }

    public required string Region { get; init; }

    public required string Repository { get; init; }

    public required string Digest { get; init; }

    public string? MediaType { get; init; }

    public string? ArtifactType { get; init; }

    /// <summary>The tags that pointed at the manifest and went with it.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    public required DateTimeOffset OccurredAt { get; init; }

    public string? Actor { get; init; }

    public RequestInfo? Request { get; init; }

    public SourceInfo? Source { get; init; }
}

/// <summary>A tag was deleted; the manifest it pointed at stays.</summary>
public sealed record TagDeleted : IRegistryEvent
{
    public required Guid EventId { get; init; }

    public required string Registry { get; init; }

    public required string Region { get; init; }

    public required string Repository { get; init; }

    public required string Tag { get; init; }

    public string? Digest { get; init; }

    public string? MediaType { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    public string? Actor { get; init; }

    public RequestInfo? Request { get; init; }

    public SourceInfo? Source { get; init; }
}

/// <summary>
/// The changeable attributes (ACR's locks: delete, write, read, list; immutable tags) of a repository, of one of its tags
/// (<see cref="Tag"/>) or of one of its manifests (<see cref="Digest"/>) were changed.
/// </summary>
public sealed record RepositoryAttributesChanged : IRegistryEvent
{
    public required Guid EventId { get; init; }

    public required string Registry { get; init; }

    public required string Region { get; init; }

    public required string Repository { get; init; }

    public string? Tag { get; init; }

    public string? Digest { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    public string? Actor { get; init; }

    public RequestInfo? Request { get; init; }

    public SourceInfo? Source { get; init; }
}

/// <summary>A whole repository was deleted: its manifests, tags and links.</summary>
public sealed record RepositoryDeleted : IRegistryEvent
{
    public required Guid EventId { get; init; }

    public required string Registry { get; init; }

    public required string Region { get; init; }

    public required string Repository { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    public string? Actor { get; init; }

    public RequestInfo? Request { get; init; }

    public SourceInfo? Source { get; init; }
}

/// <summary>A Helm chart (an OCI artifact whose config is Helm's) was pushed; raised besides <see cref="ManifestPushed"/>.</summary>
public sealed record ChartPushed : IRegistryEvent
{
    public required Guid EventId { get; init; }

    public required string Registry { get; init; }

    public required string Region { get; init; }

    public required string Repository { get; init; }

    public string? Tag { get; init; }

    public required string Digest { get; init; }

    public required string MediaType { get; init; }

    public required long Size { get; init; }

    /// <summary>The chart's name: the last segment of the repository, as helm pushes <c>oci://host/path/&lt;name&gt;:&lt;version&gt;</c>.</summary>
    public required string ChartName { get; init; }

    /// <summary>The chart's version: the tag helm pushed.</summary>
    public string? ChartVersion { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    public string? Actor { get; init; }

    public RequestInfo? Request { get; init; }

    public SourceInfo? Source { get; init; }
}

/// <summary>A Helm chart's manifest was deleted; raised besides <see cref="ManifestDeleted"/>.</summary>
public sealed record ChartDeleted : IRegistryEvent
{
    public required Guid EventId { get; init; }

    public required string Registry { get; init; }

    public required string Region { get; init; }

    public required string Repository { get; init; }

    public required string Digest { get; init; }

    public string? MediaType { get; init; }

    public required string ChartName { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    public required DateTimeOffset OccurredAt { get; init; }

    public string? Actor { get; init; }

    public RequestInfo? Request { get; init; }

    public SourceInfo? Source { get; init; }
}

/// <summary>
/// An image (one platform's manifest) was scanned: its vulnerability totals by severity, the vulnerability database
/// version used, and the digests of the SBOM and report attached to it as OCI referrers.
/// </summary>
public sealed record ScanCompleted : IRegistryEvent
{
    public required Guid EventId { get; init; }

    public required string Registry { get; init; }

    public required string Region { get; init; }

    public required string Repository { get; init; }

    public required string Digest { get; init; }

    public required string MediaType { get; init; }

    public required int Critical { get; init; }

    public required int High { get; init; }

    public required int Medium { get; init; }

    public required int Low { get; init; }

    public required int Unknown { get; init; }

    public required string DatabaseVersion { get; init; }

    public string? SbomDigest { get; init; }

    public string? ReportDigest { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    public string? Actor { get; init; }

    public RequestInfo? Request { get; init; }

    public SourceInfo? Source { get; init; }
}

/// <summary>A pushed image was put in quarantine: pulls are refused (but to quarantine readers) until its scan passes.</summary>
public sealed record ImageQuarantined : IRegistryEvent
{
    public required Guid EventId { get; init; }

    public required string Registry { get; init; }

    public required string Region { get; init; }

    public required string Repository { get; init; }

    public string? Tag { get; init; }

    public required string Digest { get; init; }

    public required string MediaType { get; init; }

    public required long Size { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    public string? Actor { get; init; }

    public RequestInfo? Request { get; init; }

    public SourceInfo? Source { get; init; }
}

/// <summary>
/// A manifest pushed in another region (and its blobs, and its tag) has landed in <see cref="Region"/> and can be pulled
/// there: what regional webhooks announce.
/// </summary>
public sealed record ReplicaSynced : IRegistryEvent
{
    public required Guid EventId { get; init; }

    public required string Registry { get; init; }

    /// <summary>The region the content reached.</summary>
    public required string Region { get; init; }

    /// <summary>The region it was pushed to.</summary>
    public required string SourceRegion { get; init; }

    public required string Repository { get; init; }

    public string? Tag { get; init; }

    public required string Digest { get; init; }

    public required string MediaType { get; init; }

    public required long Size { get; init; }

    /// <summary>When the push was acknowledged in the source region: with <see cref="OccurredAt"/>, the replication lag.</summary>
    public required DateTimeOffset PushedAt { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    public string? Actor { get; init; }

    public RequestInfo? Request { get; init; }

    public SourceInfo? Source { get; init; }
}
