using System.Buffers;
using System.Text.Json;
using Registry.Oci;
using Registry.Storage;

namespace Registry.Distribution.Core;

/// <summary>
/// Upload sessions live in storage (<c>uploads/&lt;id&gt;</c>), so any instance can take the next PATCH or the PUT.
/// </summary>
internal sealed class StorageUploadStore(
    IStorageDriverFactory storage,
    IBlobStore blobs,
    UploadHashCache hashes,
    TimeProvider time) : IUploadStore
{
    public async Task<UploadStatus> StartAsync(RepositoryPath repository, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid().ToString("N");
        var info = new UploadInfo(repository.Name, time.GetUtcNow());
        await storage.ForRegistry(repository.Registry).WriteAsync(
            StoragePaths.UploadInfo(id),
            JsonSerializer.SerializeToUtf8Bytes(info, DistributionJson.Default.UploadInfo),
            StorageCondition.NotExists,
            cancellationToken);
        hashes.Put(id, Digest.CreateHash(Digest.Sha256), 0);
        return new UploadStatus(id, repository, 0);
    }

    public async Task<UploadStatus?> GetAsync(RepositoryPath repository, string uploadId, CancellationToken cancellationToken)
    {
        if (!StoragePaths.IsUploadId(uploadId))
        {
            return null;
        }

        var driver = storage.ForRegistry(repository.Registry);
        var stored = await driver.ReadAsync(StoragePaths.UploadInfo(uploadId), cancellationToken);
        if (stored is null)
        {
            return null;
        }

        var info = JsonSerializer.Deserialize(stored.Content.Span, DistributionJson.Default.UploadInfo);
        if (info?.Repository != repository.Name)
        {
            return null;
        }

        var data = await driver.GetInfoAsync(StoragePaths.UploadData(uploadId), cancellationToken);
        return new UploadStatus(uploadId, repository, data?.Size ?? 0);
    }

    public async Task<UploadStatus> AppendAsync(RepositoryPath repository, string uploadId, Stream body, long? expectedStart, CancellationToken cancellationToken)
    {
        var status = await GetAsync(repository, uploadId, cancellationToken) ?? throw UploadUnknown(uploadId);
        if (expectedStart is { } start && start != status.Size)
        {
            throw OutOfOrder(status);
        }

        var hash = hashes.Take(uploadId, status.Size) ?? (status.Size == 0 ? Digest.CreateHash(Digest.Sha256) : null);
        var hashing = hash is null ? null : new HashingReadStream(body, hash);
        long size;
        try
        {
            size = await storage.ForRegistry(repository.Registry)
                .AppendAsync(StoragePaths.UploadData(uploadId), hashing ?? body, status.Size, cancellationToken);
        }
        catch (StoragePreconditionFailedException)
        {
            hash?.Dispose();
            throw OutOfOrder(await GetAsync(repository, uploadId, cancellationToken) ?? status);
        }
        catch
        {
            hash?.Dispose();
            throw;
        }

        if (hash is not null && status.Size + hashing!.BytesRead == size)
        {
            hashes.Put(uploadId, hash, size);
        }
        else
        {
            hash?.Dispose();
        }

        return status with { Size = size };
    }

    public async Task<BlobDescriptor> CompleteAsync(RepositoryPath repository, string uploadId, Digest digest, CancellationToken cancellationToken)
    {
        var status = await GetAsync(repository, uploadId, cancellationToken) ?? throw UploadUnknown(uploadId);
        var driver = storage.ForRegistry(repository.Registry);
        var actual = await ComputeDigestAsync(driver, status, digest.Algorithm, cancellationToken);
        if (actual != digest)
        {
            await CancelAsync(repository, uploadId, cancellationToken);
            throw new OciException(
                OciErrorCode.DigestInvalid,
                $"provided digest {digest} does not match the uploaded content ({actual})",
                new { expected = digest.ToString(), actual = actual.ToString() });
        }

        var blobPath = StoragePaths.BlobData(digest);
        if (await driver.GetInfoAsync(blobPath, cancellationToken) is null)
        {
            if (status.Size == 0)
            {
                await driver.WriteAsync(blobPath, ReadOnlyMemory<byte>.Empty, cancellationToken: cancellationToken);
            }
            else
            {
                await driver.MoveAsync(StoragePaths.UploadData(uploadId), blobPath, cancellationToken);
            }
        }

        var blob = new BlobDescriptor(digest, status.Size);
        await blobs.LinkAsync(repository, blob, cancellationToken);
        await driver.DeletePrefixAsync(StoragePaths.Upload(uploadId), cancellationToken);
        return blob;
    }

    public async Task<bool> CancelAsync(RepositoryPath repository, string uploadId, CancellationToken cancellationToken)
    {
        if (await GetAsync(repository, uploadId, cancellationToken) is null)
        {
            return false;
        }

        hashes.Drop(uploadId);
        await storage.ForRegistry(repository.Registry).DeletePrefixAsync(StoragePaths.Upload(uploadId), cancellationToken);
        return true;
    }

    private async Task<Digest> ComputeDigestAsync(IStorageDriver driver, UploadStatus status, string algorithm, CancellationToken cancellationToken)
    {
        var streamed = hashes.Take(status.Id, status.Size);
        if (streamed is not null && algorithm == Digest.Sha256)
        {
            using (streamed)
            {
                return Digest.FromHash(algorithm, streamed.GetHashAndReset());
            }
        }

        streamed?.Dispose();
        using var hash = Digest.CreateHash(algorithm);
        if (status.Size > 0)
        {
            await using var data = await driver.OpenReadAsync(StoragePaths.UploadData(status.Id), cancellationToken: cancellationToken);
            var buffer = ArrayPool<byte>.Shared.Rent(1024 * 1024);
            try
            {
                int read;
                while ((read = await data.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        return Digest.FromHash(algorithm, hash.GetHashAndReset());
    }

    private static OciException UploadUnknown(string uploadId) =>
        new(OciErrorCode.BlobUploadUnknown, "upload session not found; it was completed, cancelled or never started", uploadId);

    private static OciException OutOfOrder(UploadStatus status) =>
        new(OciErrorCode.RangeInvalid, $"chunk does not start at the upload's current offset {status.Size}", new { offset = status.Size })
        {
            Headers = UploadHeaders.For(status),
        };
}

internal sealed record UploadInfo(string Repository, DateTimeOffset StartedAt);

internal static class UploadHeaders
{
    /// <summary>Location, Range and Docker-Upload-UUID as the spec gives them for an upload in progress.</summary>
    public static Dictionary<string, string> For(UploadStatus status) => new()
    {
        ["Location"] = $"/v2/{status.Repository.Name}/blobs/uploads/{status.Id}",
        ["Range"] = $"0-{Math.Max(status.Size - 1, 0)}",
        ["Docker-Upload-UUID"] = status.Id,
    };
}
