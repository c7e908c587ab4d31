using System.Text;
using System.Text.Json;
using Registry.Distribution.Core;
using Registry.Oci;

namespace Registry.Distribution.Caching;

/// <summary>
/// Caches tag → digest, digest → descriptor and small manifest bodies. Every write path invalidates the keys it
/// touched after writing storage (see <see cref="IRegistryCache"/> for why that is enough).
/// </summary>
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
            var cachedTag = await cache.GetAsync(tagKey);
            if (cachedTag.Value is null)
            {
                var resolved = await inner.ResolveAsync(repository, reference, cancellationToken);
                await cache.AddAsync(
                    tagKey,
                    resolved is null ? [] : Encoding.ASCII.GetBytes(resolved.Digest),
                    resolved is null ? CacheKeys.Absent : CacheKeys.Mutable,
                    cachedTag.Generation);
                return resolved;
            }

            if (cachedTag.Value.Length == 0)
            {
                return null;
            }

            digest = Encoding.ASCII.GetString(cachedTag.Value);
        }
        else
        {
            digest = reference.Digest!.Value.ToString();
        }

        var key = CacheKeys.Manifest(repository, digest);
        var cached = await cache.GetAsync(key);
        if (cached.Value is { } value)
        {
            return value.Length == 0 ? null : JsonSerializer.Deserialize(value, DistributionJson.Default.ManifestDescriptor);
        }

        var descriptor = await inner.ResolveAsync(repository, Reference.Parse(digest), cancellationToken);
        await cache.AddAsync(key, Encode(descriptor), descriptor is null ? CacheKeys.Absent : CacheKeys.Immutable, cached.Generation);
        return descriptor;
    }

    public async Task<ReadOnlyMemory<byte>?> ReadContentAsync(RepositoryPath repository, ManifestDescriptor manifest, CancellationToken cancellationToken)
    {
        // Content addressed by digest never changes; whether the repository holds it was settled by ResolveAsync.
        var key = CacheKeys.Content(repository, manifest.Digest);
        var cached = await cache.GetAsync(key);
        if (cached.Value is { Length: > 0 } value)
        {
            return value;
        }

        var content = await inner.ReadContentAsync(repository, manifest, cancellationToken);
        if (content is { Length: > 0 and <= MaxCachedContent } body)
        {
            await cache.AddAsync(key, body.ToArray(), CacheKeys.Immutable, cached.Generation);
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
        var digest = reference.Digest?.ToString();
        try
        {
            var descriptor = await inner.PutAsync(repository, reference, content, contentType, extraTags, cancellationToken);
            digest = descriptor.Digest;
            return descriptor;
        }
        finally
        {
            if (digest is not null)
            {
                await cache.InvalidateAsync(CacheKeys.Manifest(repository, digest));
            }

            foreach (var tag in tags)
            {
                await cache.InvalidateAsync(CacheKeys.Tag(repository, tag));
            }
        }
    }

    public async Task<ManifestDeletion?> DeleteAsync(RepositoryPath repository, Reference reference, CancellationToken cancellationToken)
    {
        ManifestDeletion? deletion = null;
        try
        {
            deletion = await inner.DeleteAsync(repository, reference, cancellationToken);
            return deletion;
        }
        finally
        {
            var keys = (deletion?.Tags ?? []).Select(tag => CacheKeys.Tag(repository, tag))
                .Append(reference.Tag is { } tag ? CacheKeys.Tag(repository, tag) : CacheKeys.Manifest(repository, reference.ToString()));
            foreach (var key in keys.Distinct(StringComparer.Ordinal))
            {
                await cache.InvalidateAsync(key);
            }
        }
    }

    public async Task<RepositoryDeletion?> DeleteRepositoryAsync(RepositoryPath repository, CancellationToken cancellationToken)
    {
        var deletion = await inner.DeleteRepositoryAsync(repository, cancellationToken);
        if (deletion is not null)
        {
            var keys = deletion.Tags.Select(tag => CacheKeys.Tag(repository, tag))
                .Concat(deletion.Manifests.Select(digest => CacheKeys.Manifest(repository, digest)))
                .Concat(deletion.Layers.Select(digest => CacheKeys.Blob(repository, Digest.Parse(digest))));
            foreach (var key in keys)
            {
                await cache.InvalidateAsync(key);
            }
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
