using Microsoft.Extensions.Options;
using Registry.Storage;

namespace Registry.Distribution.Cleanup;

/// <summary>
/// Uploads nobody finished (a push cut off, a client gone) are deleted once nothing has been written to them for
/// <see cref="CleanupOptions.UploadExpiry"/> — Distribution's upload purging, a week by default. Part of the full pass.
/// </summary>
internal sealed partial class UploadExpiry(IStorageDriverFactory storage, IOptions<CleanupOptions> options, TimeProvider time, ILogger<UploadExpiry> logger)
{
    public async Task<int> RunAsync(string registry, CancellationToken cancellationToken)
    {
        var driver = storage.ForRegistry(registry);
        var cutoff = time.GetUtcNow() - options.Value.UploadExpiry;
        var uploads = new List<string>();
        await foreach (var child in driver.ListAsync(StoragePaths.UploadsRoot, cancellationToken))
        {
            if (StoragePaths.IsUploadId(child))
            {
                uploads.Add(child);
            }
        }

        var deleted = 0;
        foreach (var upload in uploads)
        {
            // The later of the two writes ages the upload. With neither the upload is still being created: it stays.
            var info = await driver.GetInfoAsync(StoragePaths.UploadInfo(upload), cancellationToken);
            var data = await driver.GetInfoAsync(StoragePaths.UploadData(upload), cancellationToken);
            if (new[] { info?.LastModified, data?.LastModified }.Max() is not { } lastWritten)
            {
                continue;
            }

            if (lastWritten < cutoff)
            {
                await driver.DeletePrefixAsync(StoragePaths.Upload(upload), cancellationToken);
                deleted++;
            }
        }

        if (deleted > 0)
        {
            LogExpired(logger, registry, deleted, options.Value.UploadExpiry);
        }

        return deleted;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} uploads of {Registry} left unfinished for more than {Expiry}")]
    private static partial void LogExpired(ILogger logger, string registry, int count, TimeSpan expiry);
}
