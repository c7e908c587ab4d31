using System.Collections.Concurrent;
using Azure.Storage.Blobs;

namespace Registry.Storage.AzureBlob;

/// <summary>
/// Each registry is its own container, <c>&lt;prefix&gt;&lt;registry&gt;</c>; the platform's partition is <c>&lt;prefix&gt;platform-data</c>,
/// a name no registry can take (registry names have no hyphen).
/// </summary>
public sealed class AzureBlobStorageDriverFactory(BlobServiceClient service, string containerPrefix) : IStorageDriverFactory
{
    private readonly ConcurrentDictionary<string, IStorageDriver> _drivers = new(StringComparer.Ordinal);

    public IStorageDriver ForRegistry(string registry) =>
        _drivers.GetOrAdd(registry, name => new AzureBlobStorageDriver(service.GetBlobContainerClient(containerPrefix + name)));

    public IStorageDriver ForPlatform() => ForRegistry(PlatformContainer);

    /// <summary>The registry's container goes with everything in it; a registry of that name made later gets a new one.</summary>
    public async Task DeleteRegistryAsync(string registry, CancellationToken cancellationToken = default)
    {
        if (!Oci.OciGrammar.IsRegistryName(registry))
        {
            throw new ArgumentException("invalid registry name", nameof(registry));
        }

        _drivers.TryRemove(registry, out _);
        await service.GetBlobContainerClient(containerPrefix + registry).DeleteIfExistsAsync(cancellationToken: cancellationToken);
    }

    private const string PlatformContainer = "platform-data";
}
