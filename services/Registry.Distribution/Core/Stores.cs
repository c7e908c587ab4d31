using Registry.Oci;

namespace Registry.Distribution.Core;

/// <summary>Blobs as a repository sees them: reachable only through the repository's link.</summary>
public interface IBlobStore
{
    Task<BlobDescriptor?> StatAsync(RepositoryPath repository, Digest digest, CancellationToken cancellationToken);

    Task<Stream> OpenReadAsync(RepositoryPath repository, BlobDescriptor blob, long offset, long? length, CancellationToken cancellationToken);

    /// <summary>Removes the repository's link; the content stays for other repositories until garbage collection.</summary>
    Task<bool> DeleteAsync(RepositoryPath repository, Digest digest, CancellationToken cancellationToken);

    /// <summary>Links an existing blob into <paramref name="repository"/>: from <paramref name="from"/> when given, else from anywhere in the registry.</summary>
    Task<BlobDescriptor?> MountAsync(RepositoryPath repository, Digest digest, RepositoryPath? from, CancellationToken cancellationToken);

    /// <summary>Links a blob that is known to be in the registry's content store.</summary>
    Task LinkAsync(RepositoryPath repository, BlobDescriptor blob, CancellationToken cancellationToken);

    /// <summary>A time-limited URL that reads the blob's bytes straight from storage; null when the storage has none.</summary>
    Uri? ReadUrl(RepositoryPath repository, BlobDescriptor blob, TimeSpan lifetime);
}

public interface IUploadStore
{
    Task<UploadStatus> StartAsync(RepositoryPath repository, CancellationToken cancellationToken);

    Task<UploadStatus?> GetAsync(RepositoryPath repository, string uploadId, CancellationToken cancellationToken);

    /// <summary>Appends a chunk; <paramref name="expectedStart"/> (from Content-Range) must equal the current size.</summary>
    Task<UploadStatus> AppendAsync(RepositoryPath repository, string uploadId, Stream body, long? expectedStart, CancellationToken cancellationToken);

    /// <summary>Verifies the content against <paramref name="digest"/> and commits it as a blob linked into the repository.</summary>
    Task<BlobDescriptor> CompleteAsync(RepositoryPath repository, string uploadId, Digest digest, CancellationToken cancellationToken);

    Task<bool> CancelAsync(RepositoryPath repository, string uploadId, CancellationToken cancellationToken);
}

public interface IManifestStore
{
    /// <summary>Tag → digest, or the digest itself; null when the repository does not hold it.</summary>
    Task<ManifestDescriptor?> ResolveAsync(RepositoryPath repository, Reference reference, CancellationToken cancellationToken);

    /// <summary>The manifest's bytes exactly as pushed.</summary>
    Task<ReadOnlyMemory<byte>?> ReadContentAsync(RepositoryPath repository, ManifestDescriptor manifest, CancellationToken cancellationToken);

    Task<ManifestDescriptor> PutAsync(RepositoryPath repository, Reference reference, ReadOnlyMemory<byte> content, string? contentType, IReadOnlyList<string> extraTags, CancellationToken cancellationToken);

    /// <summary>By digest: removes the manifest, its tags and its referrer link. By tag: removes the tag only, and names the manifest it pointed at. Null when nothing was there.</summary>
    Task<ManifestDeletion?> DeleteAsync(RepositoryPath repository, Reference reference, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the repository (ACR's repository delete): its manifests, tags, layer links and referrers; blobs stay in the
    /// registry for other repositories until garbage collection. Null when the repository does not exist.
    /// </summary>
    Task<RepositoryDeletion?> DeleteRepositoryAsync(RepositoryPath repository, CancellationToken cancellationToken);

    /// <summary>Null when the repository does not exist.</summary>
    Task<Page<string>?> ListTagsAsync(RepositoryPath repository, int? limit, string? last, CancellationToken cancellationToken);

    Task<IReadOnlyList<Descriptor>> ListReferrersAsync(RepositoryPath repository, Digest subject, CancellationToken cancellationToken);

    Task<Page<string>> ListRepositoriesAsync(string registry, int? limit, string? last, CancellationToken cancellationToken);
}
