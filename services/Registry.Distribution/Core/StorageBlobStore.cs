using System.Text;
using Registry.Oci;
using Registry.Storage;

namespace Registry.Distribution.Core;

internal sealed class StorageBlobStore(IStorageDriverFactory storage) : IBlobStore
{
    public async Task<BlobDescriptor?> StatAsync(RepositoryPath repository, Digest digest, CancellationToken cancellationToken)
    {
        var driver = storage.ForRegistry(repository.Registry);
        if (await driver.GetInfoAsync(StoragePaths.LayerLink(repository.Name, digest), cancellationToken) is null)
        {
            return null;
        }

        var data = await driver.GetInfoAsync(StoragePaths.BlobData(digest), cancellationToken);
        return data is null ? null : new BlobDescriptor(digest, data.Size);
    }

    public Task<Stream> OpenReadAsync(RepositoryPath repository, BlobDescriptor blob, long offset, long? length, CancellationToken cancellationToken) =>
        storage.ForRegistry(repository.Registry).OpenReadAsync(StoragePaths.BlobData(blob.Digest), offset, length, cancellationToken);

    public Uri? ReadUrl(RepositoryPath repository, BlobDescriptor blob, TimeSpan lifetime) =>
        storage.ForRegistry(repository.Registry) is IReadUrlSource source ? source.ReadUrl(StoragePaths.BlobData(blob.Digest), lifetime) : null;

    public Task<bool> DeleteAsync(RepositoryPath repository, Digest digest, CancellationToken cancellationToken) =>
        storage.ForRegistry(repository.Registry).DeleteAsync(StoragePaths.LayerLink(repository.Name, digest), cancellationToken);

    public async Task<BlobDescriptor?> MountAsync(RepositoryPath repository, Digest digest, RepositoryPath? from, CancellationToken cancellationToken)
    {
        BlobDescriptor? blob;
        if (from is not null)
        {
            blob = await StatAsync(from, digest, cancellationToken);
        }
        else
        {
            var data = await storage.ForRegistry(repository.Registry).GetInfoAsync(StoragePaths.BlobData(digest), cancellationToken);
            blob = data is null ? null : new BlobDescriptor(digest, data.Size);
        }

        if (blob is not null)
        {
            await LinkAsync(repository, blob, cancellationToken);
        }

        return blob;
    }

    public async Task LinkAsync(RepositoryPath repository, BlobDescriptor blob, CancellationToken cancellationToken) =>
        await storage.ForRegistry(repository.Registry).WriteAsync(
            StoragePaths.LayerLink(repository.Name, blob.Digest),
            Encoding.ASCII.GetBytes(blob.Digest.ToString()),
            cancellationToken: cancellationToken);
}
