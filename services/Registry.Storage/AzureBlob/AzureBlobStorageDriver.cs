using Azure.Storage.Blobs;

namespace Registry.Storage.AzureBlob;

// PLACEHOLDER: being implemented by the storage helper.
public sealed class AzureBlobStorageDriver(BlobContainerClient container) : IStorageDriver
{
    public BlobContainerClient Container { get; } = container;

    public Task<StorageObjectInfo?> GetInfoAsync(string path, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<StorageObject?> ReadAsync(string path, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<string> WriteAsync(string path, ReadOnlyMemory<byte> content, StorageCondition condition = default, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<long> AppendAsync(string path, Stream content, long expectedOffset, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task MoveAsync(string source, string destination, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task DeletePrefixAsync(string prefix, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken = default) => throw new NotImplementedException();
}
