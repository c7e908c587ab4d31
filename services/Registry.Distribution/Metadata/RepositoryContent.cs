using System.Text;
using System.Text.Json;
using Registry.Distribution.Core;
using Registry.Oci;
using Registry.Storage;

namespace Registry.Distribution.Metadata;

/// <summary>A tag as stored: the digest its link names and when the link was last written.</summary>
internal sealed record TagEntry(string Name, string Digest, DateTimeOffset LastUpdated);

/// <summary>A manifest of a repository as its revision link records it, and when the link was last written.</summary>
internal sealed record ManifestEntry(ManifestDescriptor Descriptor, DateTimeOffset LastUpdated);

/// <summary>
/// Reads what a repository holds, with the times storage keeps, for the ACR repository API (read-only: every change goes
/// through <see cref="IManifestStore"/>).
/// </summary>
internal static class RepositoryContent
{
    public static async Task<bool> ExistsAsync(IStorageDriver driver, RepositoryPath repository, CancellationToken cancellationToken)
    {
        await foreach (var child in driver.ListAsync(StoragePaths.Repository(repository.Name), cancellationToken))
        {
            if (child == StoragePaths.ManifestsDirectory)
            {
                return true;
            }
        }

        return false;
    }

    public static async Task<List<TagEntry>> TagsAsync(IStorageDriver driver, RepositoryPath repository, CancellationToken cancellationToken)
    {
        var tags = new List<TagEntry>();
        await foreach (var name in driver.ListAsync(StoragePaths.Tags(repository.Name), cancellationToken))
        {
            if (OciGrammar.IsTag(name) && await TagAsync(driver, repository, name, cancellationToken) is { } tag)
            {
                tags.Add(tag);
            }
        }

        return tags;
    }

    public static async Task<TagEntry?> TagAsync(IStorageDriver driver, RepositoryPath repository, string tag, CancellationToken cancellationToken)
    {
        var link = await driver.ReadAsync(StoragePaths.TagLink(repository.Name, tag), cancellationToken);
        return link is not null && Digest.TryParse(Encoding.ASCII.GetString(link.Content.Span), out var digest)
            ? new TagEntry(tag, digest.ToString(), link.LastModified)
            : null;
    }

    public static async Task<List<ManifestEntry>> ManifestsAsync(IStorageDriver driver, RepositoryPath repository, CancellationToken cancellationToken)
    {
        var manifests = new List<ManifestEntry>();
        foreach (var algorithm in new[] { Digest.Sha256, Digest.Sha512 })
        {
            await foreach (var hex in driver.ListAsync(StoragePaths.ManifestRevisions(repository.Name, algorithm), cancellationToken))
            {
                if (Digest.TryParse($"{algorithm}:{hex}", out var digest) && await ManifestAsync(driver, repository, digest, cancellationToken) is { } manifest)
                {
                    manifests.Add(manifest);
                }
            }
        }

        return manifests;
    }

    public static async Task<ManifestEntry?> ManifestAsync(IStorageDriver driver, RepositoryPath repository, Digest digest, CancellationToken cancellationToken)
    {
        var link = await driver.ReadAsync(StoragePaths.ManifestRevision(repository.Name, digest), cancellationToken);
        return link is not null && JsonSerializer.Deserialize(link.Content.Span, DistributionJson.Default.ManifestDescriptor) is { } descriptor
            ? new ManifestEntry(descriptor, link.LastModified)
            : null;
    }
}
