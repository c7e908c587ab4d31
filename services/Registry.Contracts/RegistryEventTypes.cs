namespace Registry.Contracts;

/// <summary>Every registry event type by its name: how an outbox entry (type name + JSON) becomes a message again.</summary>
public static class RegistryEventTypes
{
    public static IReadOnlyDictionary<string, Type> ByName { get; } = new[]
    {
        typeof(ManifestPushed), typeof(ManifestDeleted), typeof(TagDeleted), typeof(RepositoryDeleted), typeof(ChartPushed), typeof(ChartDeleted), typeof(ScanCompleted), typeof(ImageQuarantined), typeof(ReplicaSynced), typeof(RepositoryAttributesChanged),
    }.ToDictionary(type => type.Name, StringComparer.Ordinal);
}
