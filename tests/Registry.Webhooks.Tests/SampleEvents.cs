using Registry.Contracts;

namespace Registry.Webhooks.Tests;

/// <summary>One registry event of every type, with every optional field set, for the payload and serialization tests.</summary>
internal static class SampleEvents
{
    public const string Registry = "contoso";
    public const string ManifestMediaType = "application/vnd.oci.image.manifest.v1+json";
    public const string Digest = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    public static readonly DateTimeOffset At = new(2025, 3, 14, 15, 9, 26, 535, TimeSpan.Zero);

    public static readonly RequestInfo Request = new()
    {
        Id = "req-42",
        Host = "contoso.example.com",
        Method = "PUT",
        UserAgent = "docker/27.0 go/go1.22",
        ClientAddress = "203.0.113.7",
    };

    public static readonly SourceInfo Source = new() { Address = "dist-1", InstanceId = "b1946ac92492d2347c6235b4d2611184" };

    public static ManifestPushed Pushed(string? tag = "v1") => new()
    {
        EventId = Guid.Parse("11111111-2222-3333-4444-555555555555"),
        Registry = Registry,
        Region = "westeurope",
        Repository = "samples/hello",
        Tag = tag,
        Digest = Digest,
        MediaType = ManifestMediaType,
        ArtifactType = "application/vnd.oci.image.config.v1+json",
        Size = 1234,
        Subject = "sha256:" + new string('a', 64),
        OccurredAt = At,
        Actor = "admin",
        Request = Request,
        Source = Source,
    };

    public static ManifestDeleted Deleted() => new()
    {
        EventId = Guid.Parse("22222222-2222-3333-4444-555555555555"),
        Registry = Registry,
        Region = "westeurope",
        Repository = "samples/hello",
        Digest = Digest,
        MediaType = ManifestMediaType,
        ArtifactType = "application/vnd.oci.image.config.v1+json",
        Tags = ["v1", "latest"],
        OccurredAt = At,
        Actor = "admin",
        Request = Request with { Method = "DELETE" },
        Source = Source,
    };

    public static TagDeleted Untagged() => new()
    {
        EventId = Guid.Parse("33333333-2222-3333-4444-555555555555"),
        Registry = Registry,
        Region = "westeurope",
        Repository = "samples/hello",
        Tag = "v1",
        Digest = Digest,
        MediaType = ManifestMediaType,
        OccurredAt = At,
        Actor = "admin",
        Request = Request with { Method = "DELETE" },
        Source = Source,
    };

    public static RepositoryDeleted RepositoryDeleted() => new()
    {
        EventId = Guid.Parse("44444444-2222-3333-4444-555555555555"),
        Registry = Registry,
        Region = "westeurope",
        Repository = "samples/hello",
        OccurredAt = At,
        Actor = "admin",
        Request = Request with { Method = "DELETE" },
        Source = Source,
    };

    public static ChartPushed ChartPushed() => new()
    {
        EventId = Guid.Parse("55555555-2222-3333-4444-555555555555"),
        Registry = Registry,
        Region = "westeurope",
        Repository = "charts/mychart",
        Tag = "0.1.0",
        Digest = Digest,
        MediaType = ManifestMediaType,
        Size = 987,
        ChartName = "mychart",
        ChartVersion = "0.1.0",
        OccurredAt = At,
        Actor = "admin",
        Request = Request,
        Source = Source,
    };

    public static ChartDeleted ChartDeleted() => new()
    {
        EventId = Guid.Parse("66666666-2222-3333-4444-555555555555"),
        Registry = Registry,
        Region = "westeurope",
        Repository = "charts/mychart",
        Digest = Digest,
        MediaType = ManifestMediaType,
        ChartName = "mychart",
        Tags = ["0.1.0"],
        OccurredAt = At,
        Actor = "admin",
        Request = Request with { Method = "DELETE" },
        Source = Source,
    };

    /// <summary>One of each type.</summary>
    public static ScanCompleted Scanned() => new()
    {
        EventId = Guid.Parse("77777777-2222-3333-4444-555555555555"),
        Registry = Registry,
        Region = "westeurope",
        Repository = "samples/hello",
        Digest = Digest,
        MediaType = ManifestMediaType,
        Critical = 1,
        High = 2,
        Medium = 3,
        Low = 4,
        Unknown = 5,
        DatabaseVersion = "20250314150926-0123abcd",
        SbomDigest = "sha256:" + new string('b', 64),
        ReportDigest = "sha256:" + new string('c', 64),
        OccurredAt = At,
        Actor = "scanner",
        Request = Request,
        Source = Source,
    };

    public static ImageQuarantined Quarantined() => new()
    {
        EventId = Guid.Parse("88888888-2222-3333-4444-555555555555"),
        Registry = Registry,
        Region = "westeurope",
        Repository = "samples/hello",
        Tag = "v1",
        Digest = Digest,
        MediaType = ManifestMediaType,
        Size = 1234,
        OccurredAt = At,
        Actor = "admin",
        Request = Request,
        Source = Source,
    };

    public static ReplicaSynced Synced() => new()
    {
        EventId = Guid.Parse("99999999-2222-3333-4444-555555555555"),
        Registry = Registry,
        Region = "eastus",
        SourceRegion = "westeurope",
        Repository = "samples/hello",
        Tag = "v1",
        Digest = Digest,
        MediaType = ManifestMediaType,
        Size = 1234,
        PushedAt = At,
        OccurredAt = At.AddSeconds(1),
        Actor = "admin",
        Request = Request,
        Source = Source,
    };

    public static RepositoryAttributesChanged AttributesChanged() => new()
    {
        EventId = Guid.Parse("aaaaaaaa-2222-3333-4444-555555555555"),
        Registry = Registry,
        Region = "eastus",
        Repository = "samples/hello",
        Tag = "v1",
        OccurredAt = At,
        Actor = "admin",
        Request = Request,
        Source = Source,
    };

    public static IReadOnlyList<IRegistryEvent> All() =>
        [Pushed(), Deleted(), Untagged(), RepositoryDeleted(), ChartPushed(), ChartDeleted(), Scanned(), Quarantined(), Synced(), AttributesChanged()];
}
