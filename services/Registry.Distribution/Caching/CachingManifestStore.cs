using System.Text;
using System.Text.Json;
using Registry.Distribution.Core;
using Registry.Oci;

namespace Registry.Distribution.Caching;

/// <summary>Caches tag → digest, digest → descriptor and small manifest bodies, invalidated by every write path.</summary>
internal sealed class CachingManifestStore(IManifestStore inner, IRegistryCache cache) : IManifestStore
{
    /// <summary>Manifest bodies up to this size are cached; larger ones are rare and read from storage.</summary>
    private const int MaxCachedContent = 64 * 1024;

    public async Task<ManifestDescriptor?> ResolveAsync(RepositoryPath repository, Reference reference, CancellationToken cancellationToken)
    {
        string digest;
        if (reference.Tag is { } tag)
        {
            var tagKey = CacheKeys.Tag(repository, tag);
            var cachedDigest = await cache.GetAsync(tagKey);
            if (cachedDigest is { Length: 0 })
            {
                return null;
            }

            if (cachedDigest is null)
            {
                var resolved = await inner.ResolveAsync(repository, reference, cancellationToken);
                await cache.AddAsync(tagKey, resolved is null ? [] : Encoding.ASCII.GetBytes(resolved.Digest), resolved is null ? CacheKeys.Absent : CacheKeys.Mutable);
                if (resolved is not null)
                {
                    await cache.AddAsync(CacheKeys.Manifest(repository, resolved.Digest), Encode(resolved), CacheKeys.Immutable);
                }

                return resolved;
            }

            digest = Encoding.ASCII.GetString(cachedDigest);
        }
        else
        {
            digest = reference.Digest!.Value.ToString();
        }

        var key = CacheKeys.Manifest(repository, digest);
        if (await cache.GetAsync(key) is { } cached)
        {
            return cached.Length == 0 ? null : JsonSerializer.Deserialize(cached, DistributionJson.Default.ManifestDescriptor);
        }

        var descriptor = await inner.ResolveAsync(repository, Reference.Parse(digest), cancellationToken);
        await cache.AddAsync(key, Encode(descriptor), descriptor is null ? CacheKeys.Absent : CacheKeys.Immutable);
        return descriptor;
    }

    public async Task<ReadOnlyMemory<byte>?> ReadContentAsync(RepositoryPath repository, ManifestDescriptor manifest, CancellationToken cancellationToken)
    {
        var key = CacheKeys.Content(repository, manifest.Digest);
        if (await cache.GetAsync(key) is { Length: > 0 } cached)
        {
            return cached;
        }

        var content = await inner.ReadContentAsync(repository, manifest, cancellationToken);
        if (content is { Length: > 0 and <= MaxCachedContent } body)
        {
            await cache.AddAsync(key, body.ToArray(), CacheKeys.Immutable);
        }

        return content;
    }

    public async Task<ManifestDescriptor> PutAsync(
        RepositoryPath repository,
        Reference reference,
        ReadOnlyMemory<byte> content,
        string? contentType,
        IReadOnlyList<string> extraTags,
        CancellationToken cancellationToken)
    {
        var tags = extraTags.Prepend(reference.Tag).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        foreach (var tag in tags)
        {
            await cache.RemoveAsync(CacheKeys.Tag(repository, tag));
        }

        var descriptor = await inner.PutAsync(repository, reference, content, contentType, extraTags, cancellationToken);

        // Invalidate again rather than set: a concurrent writer may have moved the tag after this write, and setting
        // what this request wrote would then cache a loser of the race. The next read fills the key from storage.
        await cache.RemoveAsync(CacheKeys.Manifest(repository, descriptor.Digest));
        foreach (var tag in tags)
        {
            await cache.RemoveAsync(CacheKeys.Tag(repository, tag));
        }

        return descriptor;
    }

    public async Task<ManifestDeletion?> DeleteAsync(RepositoryPath repository, Reference reference, CancellationToken cancellationToken)
    {
        if (reference.Tag is { } tag)
        {
            await cache.RemoveAsync(CacheKeys.Tag(repository, tag));
        }
        else
        {
            await cache.RemoveAsync(CacheKeys.Manifest(repository, reference.ToString()));
        }

        var deletion = await inner.DeleteAsync(repository, reference, cancellationToken);

        // Removed, not marked absent: a push racing this delete may already have re-created the tag or manifest.
        foreach (var removed in deletion?.Tags ?? [])
        {
            await cache.RemoveAsync(CacheKeys.Tag(repository, removed));
        }

        if (deletion?.Manifest is { } manifest)
        {
            await cache.RemoveAsync(CacheKeys.Manifest(repository, manifest.Digest));
        }

        return deletion;
    }

    public Task<Page<string>?> ListTagsAsync(RepositoryPath repository, int? limit, string? last, CancellationToken cancellationToken) =>
        inner.ListTagsAsync(repository, limit, last, cancellationToken);

    public Task<IReadOnlyList<Descriptor>> ListReferrersAsync(RepositoryPath repository, Digest subject, CancellationToken cancellationToken) =>
        inner.ListReferrersAsync(repository, subject, cancellationToken);

    public Task<Page<string>> ListRepositoriesAsync(string registry, int? limit, string? last, CancellationToken cancellationToken) =>
        inner.ListRepositoriesAsync(registry, limit, last, cancellationToken);

    private static byte[] Encode(ManifestDescriptor? descriptor) =>
        descriptor is null ? [] : JsonSerializer.SerializeToUtf8Bytes(descriptor, DistributionJson.Default.ManifestDescriptor);
}
