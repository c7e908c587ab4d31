using System.Buffers;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Sas;

namespace Registry.Storage.AzureBlob;

/// <summary>
/// Stores objects as blobs of one container (one registry/region). Small objects are block blobs written in one
/// request (atomic, with ETag conditions); appendable objects (upload data) are append blobs extended block by block
/// with an append-position condition, so several instances can serve the same upload without a lock.
/// </summary>
public sealed class AzureBlobStorageDriver(BlobContainerClient container) : IStorageDriver, IReadUrlSource
{
    /// <summary>The size of one appended block: the input is read into a pooled buffer of this size, never whole.</summary>
    public const int AppendBlockSize = 4 * 1024 * 1024;

    private const int DeleteParallelism = 8;

    private volatile bool _containerExists;

    public BlobContainerClient Container { get; } = container;

    /// <summary>Clock skew between this host and storage that a fresh URL tolerates.</summary>
    private static readonly TimeSpan ReadUrlSkew = TimeSpan.FromMinutes(5);

    public Uri? ReadUrl(string path, TimeSpan lifetime)
    {
        var blob = Blob(path);
        if (!blob.CanGenerateSasUri)
        {
            return null;
        }

        var now = DateTimeOffset.UtcNow;
        var sas = new BlobSasBuilder(BlobSasPermissions.Read, now + lifetime)
        {
            BlobContainerName = blob.BlobContainerName,
            BlobName = blob.Name,
            Resource = "b",
            StartsOn = now - ReadUrlSkew,
        };
        return blob.GenerateSasUri(sas);
    }

    public async Task<StorageObjectInfo?> GetInfoAsync(string path, CancellationToken cancellationToken = default)
    {
        var blob = Blob(path);
        try
        {
            var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            return new StorageObjectInfo(properties.ContentLength, properties.ETag.ToString(), properties.LastModified);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    public async Task<StorageObject?> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        var blob = Blob(path);
        try
        {
            // One GET: content and ETag belong to the same version.
            var result = (await blob.DownloadContentAsync(cancellationToken)).Value;
            return new StorageObject(result.Content.ToMemory(), result.Details.ETag.ToString(), result.Details.LastModified);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    public async Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (length is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "length must not be negative");
        }

        var blob = Blob(path);
        if (length == 0)
        {
            // HttpRange treats a zero length as "to the end"; an empty range needs no download.
            return await GetInfoAsync(path, cancellationToken) is null ? throw new StorageNotFoundException(path) : new MemoryStream([], writable: false);
        }

        try
        {
            var options = new BlobDownloadOptions { Range = offset == 0 && length is null ? default : new HttpRange(offset, length) };
            var result = await blob.DownloadStreamingAsync(options, cancellationToken);
            return result.Value.Content;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw new StorageNotFoundException(path);
        }
        catch (RequestFailedException ex) when (ex.Status == 416)
        {
            // The offset is at or past the end (as a file read there would be): nothing to read.
            return await GetInfoAsync(path, cancellationToken) is null ? throw new StorageNotFoundException(path) : new MemoryStream([], writable: false);
        }
    }

    public async Task<string> WriteAsync(string path, ReadOnlyMemory<byte> content, StorageCondition condition = default, CancellationToken cancellationToken = default)
    {
        var blob = Container.GetBlockBlobClient(StoragePathGuard.Check(path));
        var conditions = condition.IfNotExists
            ? new BlobRequestConditions { IfNoneMatch = ETag.All }
            : condition.IfMatch is { } etag ? new BlobRequestConditions { IfMatch = new ETag(etag) } : null;

        await EnsureContainerAsync(cancellationToken);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                // Content is small (links, upload state): one Put Blob, which replaces the whole blob atomically.
                using var stream = new BinaryData(content).ToStream();
                var response = await blob.UploadAsync(stream, new BlobUploadOptions { Conditions = conditions }, cancellationToken);
                return response.Value.ETag.ToString();
            }
            catch (RequestFailedException ex) when (ex.Status == 412 || ex.ErrorCode == BlobErrorCode.BlobAlreadyExists ||
                                                    (ex.Status == 404 && condition.IfMatch is not null && ex.ErrorCode != BlobErrorCode.ContainerNotFound))
            {
                throw new StoragePreconditionFailedException(path);
            }
            catch (RequestFailedException ex) when (ex.ErrorCode == BlobErrorCode.ContainerNotFound && attempt == 0)
            {
                // The container was removed behind our back since we cached that it exists.
                _containerExists = false;
                await EnsureContainerAsync(cancellationToken);
            }
        }
    }

    public async Task<long> AppendAsync(string path, Stream content, long expectedOffset, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedOffset);
        var blob = Container.GetAppendBlobClient(StoragePathGuard.Check(path));
        await EnsureContainerAsync(cancellationToken);
        if (expectedOffset == 0)
        {
            // Existing with length 0 is fine; existing with content fails on the first block's position condition.
            await blob.CreateIfNotExistsAsync(new AppendBlobCreateOptions(), cancellationToken);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(AppendBlockSize);
        try
        {
            var offset = expectedOffset;
            var appended = false;
            while (true)
            {
                var count = await content.ReadAtLeastAsync(buffer.AsMemory(0, AppendBlockSize), AppendBlockSize, throwOnEndOfStream: false, cancellationToken);
                if (count == 0)
                {
                    break;
                }

                await AppendBlockAsync(blob, path, buffer, count, offset, cancellationToken);
                offset += count;
                appended = true;
                if (count < AppendBlockSize)
                {
                    break;
                }
            }

            if (!appended)
            {
                // Nothing was sent, so no position condition was checked: check the length now.
                var info = await GetInfoAsync(path, cancellationToken);
                if (info is null || info.Size != expectedOffset)
                {
                    throw new StoragePreconditionFailedException(path);
                }
            }

            return offset;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public async Task MoveAsync(string source, string destination, CancellationToken cancellationToken = default)
    {
        var from = Blob(source);
        var to = Blob(destination);
        await EnsureContainerAsync(cancellationToken);

        BlobProperties sourceProperties;
        try
        {
            sourceProperties = (await from.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw new StorageNotFoundException(source);
        }

        if (!await SameContentAsync(sourceProperties, to, cancellationToken))
        {
            // Server-side copy of exactly the version looked at; no SAS needed within one account with shared key.
            var operation = await to.StartCopyFromUriAsync(
                from.Uri,
                new BlobCopyFromUriOptions { SourceConditions = new BlobRequestConditions { IfMatch = sourceProperties.ETag } },
                cancellationToken);
            await operation.WaitForCompletionAsync(cancellationToken);
            var copied = (await to.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            if (copied.CopyStatus != CopyStatus.Success || copied.ContentLength != sourceProperties.ContentLength)
            {
                throw new IOException($"copying storage object '{source}' to '{destination}' did not complete ({copied.CopyStatus}: {copied.CopyStatusDescription})");
            }
        }

        await from.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
    }

    public async Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        var response = await Blob(path).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
        return response.Value;
    }

    public async Task DeletePrefixAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var full = StoragePathGuard.Check(prefix) + "/";
        try
        {
            var names = Container.GetBlobsAsync(new GetBlobsOptions { Prefix = full }, cancellationToken);
            await Parallel.ForEachAsync(
                names,
                new ParallelOptions { MaxDegreeOfParallelism = DeleteParallelism, CancellationToken = cancellationToken },
                async (item, token) => await Container.GetBlobClient(item.Name).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: token));
        }
        catch (RequestFailedException ex) when (ex.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
        }
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var full = StoragePathGuard.Check(prefix) + "/";
        var items = Container.GetBlobsByHierarchyAsync(BlobTraits.None, BlobStates.None, "/", full, cancellationToken);
        await using var enumerator = items.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await enumerator.MoveNextAsync())
                {
                    yield break;
                }
            }
            catch (RequestFailedException ex) when (ex.ErrorCode == BlobErrorCode.ContainerNotFound)
            {
                yield break;
            }

            var item = enumerator.Current;
            var name = item.IsPrefix ? item.Prefix : item.Blob.Name;
            name = name[full.Length..].TrimEnd('/');
            if (name.Length > 0)
            {
                yield return name;
            }
        }
    }

    private BlobClient Blob(string path) => Container.GetBlobClient(StoragePathGuard.Check(path));

    private async Task EnsureContainerAsync(CancellationToken cancellationToken)
    {
        if (_containerExists)
        {
            return;
        }

        await Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        _containerExists = true;
    }

    private async Task AppendBlockAsync(AppendBlobClient blob, string path, byte[] buffer, int count, long offset, CancellationToken cancellationToken)
    {
        try
        {
            using var block = new MemoryStream(buffer, 0, count, writable: false);
            await blob.AppendBlockAsync(
                block,
                new AppendBlobAppendBlockOptions { Conditions = new AppendBlobRequestConditions { IfAppendPositionEqual = offset } },
                cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // A retried request whose first attempt did land also fails the position condition: that block is ours.
            if (ex.Status == 412 && await BlockIsAlreadyThereAsync(blob, buffer, count, offset, cancellationToken))
            {
                return;
            }

            throw new StoragePreconditionFailedException(path);
        }
    }

    private static async Task<bool> BlockIsAlreadyThereAsync(AppendBlobClient blob, byte[] buffer, int count, long offset, CancellationToken cancellationToken)
    {
        var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
        if (properties.ContentLength != offset + count)
        {
            return false;
        }

        var stored = await blob.DownloadContentAsync(
            new BlobDownloadOptions { Range = new HttpRange(offset, count), Conditions = new BlobRequestConditions { IfMatch = properties.ETag } },
            cancellationToken);
        return stored.Value.Content.ToMemory().Span.SequenceEqual(buffer.AsSpan(0, count));
    }

    /// <summary>
    /// Moves target content-addressed objects: a destination already holding as many bytes (and the same MD5 when both
    /// blobs have one) is taken to hold the same content, so the move only removes the source.
    /// </summary>
    private static async Task<bool> SameContentAsync(BlobProperties source, BlobClient destination, CancellationToken cancellationToken)
    {
        try
        {
            var existing = (await destination.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            if (existing.ContentLength != source.ContentLength)
            {
                return false;
            }

            return source.ContentHash is not { Length: > 0 } || existing.ContentHash is not { Length: > 0 } ||
                   source.ContentHash.AsSpan().SequenceEqual(existing.ContentHash);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return false;
        }
    }
}
