using System.Globalization;
using System.Text;
using Registry.Distribution.Core;
using Registry.Oci;

namespace Registry.Distribution.Caching;

/// <summary>
/// Caches "is this blob linked in this repository, and how big is it" — the question every push and pull asks first.
/// Writers invalidate before and after their storage write (never set), so a racing delete or link cannot leave a stale answer.
/// </summary>
internal sealed class CachingBlobStore(IBlobStore inner, IRegistryCache cache) : IBlobStore
{
    public async Task<BlobDescriptor?> StatAsync(RepositoryPath repository, Digest digest, CancellationToken cancellationToken)
    {
        var key = CacheKeys.Blob(repository, digest);
        if (await cache.GetAsync(key) is { } cached)
        {
            return cached.Length == 0 ? null : new BlobDescriptor(digest, long.Parse(Encoding.ASCII.GetString(cached), CultureInfo.InvariantCulture));
        }

        var blob = await inner.StatAsync(repository, digest, cancellationToken);
        await cache.AddAsync(key, Encode(blob), blob is null ? CacheKeys.Absent : CacheKeys.Mutable);
        return blob;
    }

    public Task<Stream> OpenReadAsync(RepositoryPath repository, BlobDescriptor blob, long offset, long? length, CancellationToken cancellationToken) =>
        inner.OpenReadAsync(repository, blob, offset, length, cancellationToken);

    public async Task<bool> DeleteAsync(RepositoryPath repository, Digest digest, CancellationToken cancellationToken)
    {
        var key = CacheKeys.Blob(repository, digest);
        await cache.RemoveAsync(key);
        var deleted = await inner.DeleteAsync(repository, digest, cancellationToken);
        await cache.RemoveAsync(key);
        return deleted;
    }

    public async Task<BlobDescriptor?> MountAsync(RepositoryPath repository, Digest digest, RepositoryPath? from, CancellationToken cancellationToken)
    {
        var key = CacheKeys.Blob(repository, digest);
        await cache.RemoveAsync(key);
        var blob = await inner.MountAsync(repository, digest, from, cancellationToken);
        await cache.RemoveAsync(key);
        return blob;
    }

    public async Task LinkAsync(RepositoryPath repository, BlobDescriptor blob, CancellationToken cancellationToken)
    {
        var key = CacheKeys.Blob(repository, blob.Digest);
        await cache.RemoveAsync(key);
        await inner.LinkAsync(repository, blob, cancellationToken);
        await cache.RemoveAsync(key);
    }

    private static byte[] Encode(BlobDescriptor? blob) =>
        blob is null ? [] : Encoding.ASCII.GetBytes(blob.Size.ToString(CultureInfo.InvariantCulture));
}
