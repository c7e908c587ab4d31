using System.Text;
using System.Text.Json;
using Registry.Distribution.Core;
using Registry.Oci;
using Registry.Storage;

namespace Registry.Distribution.Cleanup;

/// <summary>
/// A manifest a repository holds, with when its revision link was last written (its push time) and when it last lost a
/// tag, if it ever did.
/// </summary>
internal sealed record StoredManifest(ManifestDescriptor Descriptor, DateTimeOffset PushedAt, DateTimeOffset? UntaggedAt = null)
{
    public string Digest => Descriptor.Digest;

    /// <summary>Since when a manifest without tags has been without them: its last untagging, or its push if never tagged.</summary>
    public DateTimeOffset UntaggedSince => UntaggedAt is { } untagged && untagged > PushedAt ? untagged : PushedAt;
}

/// <summary>A tag, the manifest it points at, and when its link was last written (its last update).</summary>
internal sealed record StoredTag(string Name, string Digest, DateTimeOffset UpdatedAt);

/// <summary>What one repository holds in storage, read at one time: the clean-up passes and the usage figures work on it.</summary>
internal sealed record RepositoryContent(
    string Name,
    IReadOnlyList<StoredManifest> Manifests,
    IReadOnlyList<StoredTag> Tags,
    IReadOnlyDictionary<string, DateTimeOffset> LayerLinks,
    IReadOnlyList<SoftDeletedManifest> Deleted)
{
    public ILookup<string, StoredTag> TagsByDigest => Tags.ToLookup(tag => tag.Digest, StringComparer.Ordinal);
}

/// <summary>What a manifest refers to: blobs (config, layers) with their sizes, child manifests, subject.</summary>
internal sealed record ManifestReferences(IReadOnlyList<BlobDescriptor> Blobs, IReadOnlyList<string> Children, string? Subject)
{
    public static ManifestReferences None { get; } = new([], [], null);
}

/// <summary>Reads a registry's content straight from storage (never a cache): repositories, manifests, tags, links, soft deletes.</summary>
internal sealed class RegistryContentReader(IStorageDriver driver)
{
    private static readonly string[] Algorithms = [Digest.Sha256, Digest.Sha512];

    private readonly Dictionary<string, ManifestReferences> _references = new(StringComparer.Ordinal);

    public IStorageDriver Driver => driver;

    /// <summary>Every repository holding manifests, layer links or soft-deleted manifests, in ordinal order.</summary>
    public async Task<List<string>> ListRepositoriesAsync(CancellationToken cancellationToken)
    {
        var repositories = new List<string>();
        await CollectAsync(string.Empty, repositories, cancellationToken);
        repositories.Sort(StringComparer.Ordinal);
        return repositories;
    }

    public async Task<RepositoryContent> ReadAsync(string repository, CancellationToken cancellationToken)
    {
        var manifests = new List<StoredManifest>();
        var layers = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var algorithm in Algorithms)
        {
            var untagged = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
            await foreach (var hex in driver.ListAsync(StoragePaths.ManifestsUntagged(repository, algorithm), cancellationToken))
            {
                if (Digest.TryParse($"{algorithm}:{hex}", out var digest)
                    && await driver.GetInfoAsync(StoragePaths.ManifestUntagged(repository, digest), cancellationToken) is { } marker)
                {
                    untagged[hex] = marker.LastModified;
                }
            }

            await foreach (var hex in driver.ListAsync(StoragePaths.ManifestRevisions(repository, algorithm), cancellationToken))
            {
                if (Digest.TryParse($"{algorithm}:{hex}", out var digest)
                    && await driver.ReadAsync(StoragePaths.ManifestRevision(repository, digest), cancellationToken) is { } link
                    && JsonSerializer.Deserialize(link.Content.Span, DistributionJson.Default.ManifestDescriptor) is { } descriptor)
                {
                    manifests.Add(new StoredManifest(descriptor, link.LastModified, untagged.TryGetValue(hex, out var at) ? at : null));
                }
            }

            await foreach (var hex in driver.ListAsync(StoragePaths.LayerLinks(repository, algorithm), cancellationToken))
            {
                if (Digest.TryParse($"{algorithm}:{hex}", out var digest)
                    && await driver.GetInfoAsync(StoragePaths.LayerLink(repository, digest), cancellationToken) is { } info)
                {
                    layers[digest.ToString()] = info.LastModified;
                }
            }
        }

        var tags = new List<StoredTag>();
        await foreach (var name in driver.ListAsync(StoragePaths.Tags(repository), cancellationToken))
        {
            if (OciGrammar.IsTag(name)
                && await driver.ReadAsync(StoragePaths.TagLink(repository, name), cancellationToken) is { } link
                && Digest.TryParse(Encoding.ASCII.GetString(link.Content.Span), out var digest))
            {
                tags.Add(new StoredTag(name, digest.ToString(), link.LastModified));
            }
        }

        manifests.Sort((a, b) => string.CompareOrdinal(a.Digest, b.Digest));
        tags.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new RepositoryContent(repository, manifests, tags, layers, await SoftDeleteRecords.ListAsync(driver, repository, cancellationToken));
    }

    /// <summary>What the manifest stored under <paramref name="digest"/> refers to (read once per reader); none when it cannot be read.</summary>
    public async Task<ManifestReferences> ReferencesAsync(string digest, string? mediaType, CancellationToken cancellationToken)
    {
        if (_references.TryGetValue(digest, out var known))
        {
            return known;
        }

        var references = ManifestReferences.None;
        if (Digest.TryParse(digest, out var parsed) && await driver.ReadAsync(StoragePaths.BlobData(parsed), cancellationToken) is { } content)
        {
            try
            {
                var manifest = ManifestParser.Parse(content.Content.Span, mediaType);
                references = new ManifestReferences(
                    [.. manifest.RequiredBlobs.Select(blob => new BlobDescriptor(Digest.Parse(blob.Digest), blob.Size))],
                    [.. manifest.Manifests.Select(child => child.Digest)],
                    manifest.Subject?.Digest);
            }
            catch (OciException)
            {
                // Not a manifest this registry can parse any more: only its own blob is referenced.
            }
        }

        _references[digest] = references;
        return references;
    }

    private async Task CollectAsync(string prefix, List<string> repositories, CancellationToken cancellationToken)
    {
        var folder = prefix.Length == 0 ? StoragePaths.RepositoriesRoot : $"{StoragePaths.RepositoriesRoot}/{prefix}";
        var children = new List<string>();
        await foreach (var child in driver.ListAsync(folder, cancellationToken))
        {
            children.Add(child);
        }

        if (prefix.Length > 0 && children.Any(child => child is StoragePaths.ManifestsDirectory or StoragePaths.LayersDirectory or StoragePaths.SoftDeletedDirectory))
        {
            repositories.Add(prefix);
        }

        foreach (var child in children.Where(c => !c.StartsWith('_')))
        {
            await CollectAsync(prefix.Length == 0 ? child : $"{prefix}/{child}", repositories, cancellationToken);
        }
    }
}
