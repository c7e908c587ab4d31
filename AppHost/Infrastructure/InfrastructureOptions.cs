namespace Registry.AppHost.Infrastructure;

/// <summary>Where Redis, RabbitMQ and Azurite come from when the platform runs.</summary>
public enum InfrastructureMode
{
    /// <summary>Containers when a runtime is up and already holds the images (no pull is attempted), else local executables.</summary>
    Auto,
    Containers,
    Executables,
}

internal sealed record InfrastructureImages(string Redis, string RabbitMQ, string Azurite);

/// <summary>The resources every service connects to, by the names declared once here.</summary>
public sealed record RegistryInfrastructure(
    IResourceBuilder<IResourceWithConnectionString> Blobs,
    IResourceBuilder<IResourceWithConnectionString> Cache,
    IResourceBuilder<IResourceWithConnectionString> Messaging,
    InfrastructureMode Mode);

public static class ResourceNames
{
    /// <summary>Matches <c>StorageOptions.BlobConnectionName</c> in the services.</summary>
    public const string Blobs = "blobs";

    /// <summary>Matches <c>DistributionExtensions.CacheConnectionName</c>.</summary>
    public const string Cache = "cache";

    public const string Messaging = "messaging";
}
