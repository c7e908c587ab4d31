using Registry.Distribution.Caching;
using Registry.Storage;

namespace Registry.Distribution.Core;

/// <summary>The content stores of one region, raising no events (soft delete applies): what replication reads from and writes to.</summary>
public sealed record ContentStores(IBlobStore Blobs, IManifestStore Manifests, IUploadStore Uploads);

public static class RegionContentStores
{
    /// <summary>
    /// The stores over <paramref name="storage"/>: they read storage itself, and a write here invalidates what that
    /// region's distribution instances cached (the region's view of the shared cache).
    /// Needs <see cref="DistributionExtensions.AddDistributionStores"/>.
    /// </summary>
    public static ContentStores Create(IServiceProvider services, IStorageDriverFactory storage, string region)
    {
        var cache = new InvalidationOnlyCache(new RegionScopedCache(services.GetRequiredKeyedService<IRegistryCache>(DistributionExtensions.SharedCache), region));
        var blobs = new CachingBlobStore(new StorageBlobStore(storage), cache);
        var manifests = new CachingManifestStore(DistributionExtensions.SoftDeleting(services, new StorageManifestStore(storage, blobs), storage), cache);
        var uploads = new StorageUploadStore(storage, blobs, services.GetRequiredService<UploadHashCache>(), services.GetRequiredService<TimeProvider>());
        return new ContentStores(blobs, manifests, uploads);
    }
}
