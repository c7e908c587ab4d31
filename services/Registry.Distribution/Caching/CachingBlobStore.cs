using System.Globalization;
using System.Text;
using Registry.Distribution.Core;
using Registry.Oci;

namespace Registry.Distribution.Caching;

/// <summary>
/// Caches "is this blob linked in this repository, and how big is it" — the question every push and pull asks first.
/// Every write path invalidates after writing storage (see <see cref="IRegistryCache"/> for why that is enough).
/// </summary>
internal sealed class CachingBlobStore(IBlobStore inner, IRegistryCache cache) : IBlobStore
{
    public async Task<BlobDescriptor?> StatAsync(RepositoryPath repository, Digest digest, CancellationToken cancellationToken)
    {
        var key = CacheKeys.Blob(repository, digest);
        var cached = await cache.GetAsync(key);
        if (cached.Value is { } value)
        {
            return value.Length == 0 ? null : new BlobDescriptor(digest, long.Parse(Encoding.ASCII.GetString(value), CultureInfo.InvariantCulture));
        }

        var blob = await inner.StatAsync(repository, digest, cancellationToken);
        await cache.AddAsync(key, Encode(blob), blob is null ? CacheKeys.Absent : CacheKeys.Mutable, cached.Generation);
        return blob;
    }

    public Task<Stream> OpenReadAsync(RepositoryPath repository, BlobDescriptor blob, long offset, long? length, CancellationToken cancellationToken) =>
        inner.OpenReadAsync(repository, blob, offset, length, cancellationToken);

    public async Task<bool> DeleteAsync(RepositoryPath repository, Digest digest, CancellationToken cancellationToken)
    {
        try
        {
            return await inner.DeleteAsync(repository, digest, cancellationToken);
        }
        finally
        {
            await cache.InvalidateAsync(CacheKeys.Blob(repository, digest));
        }
    }

    public async Task<BlobDescriptor?> MountAsync(RepositoryPath repository, Digest digest, RepositoryPath? from, CancellationToken cancellationToken)
    {
        try
        {
            return await inner.MountAsync(repository, digest, from, cancellationToken);
        }
        finally
        {
            await cache.InvalidateAsync(CacheKeys.Blob(repository, digest));
        }
    }

    public Uri? ReadUrl(RepositoryPath repository, BlobDescriptor blob, TimeSpan lifetime) => inner.ReadUrl(repository, blob, lifetime);

    public async Task LinkAsync(RepositoryPath repository, BlobDescriptor blob, CancellationToken cancellationToken)
    {
        try
        {
            await inner.LinkAsync(repository, blob, cancellationToken);
        }
        finally
        {
            await cache.InvalidateAsync(CacheKeys.Blob(repository, blob.Digest));
        }
    }

    private static byte[] Encode(BlobDescriptor? blob) =>
        blob is null ? [] : Encoding.ASCII.GetBytes(blob.Size.ToString(CultureInfo.InvariantCulture));
}
