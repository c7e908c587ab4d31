using Registry.Storage;

namespace Registry.Distribution.Core;

/// <summary>
/// The fence between garbage collection's sweep and manifest pushes in one registry, so a push in flight never loses a
/// blob. The collector raises it before its last read of the registry and lowers it after the sweep. A push writes its
/// manifest link, then looks at the fence: down, and the collector's last read (later) sees the manifest; up, and the
/// push waits for the sweep to end and checks its blobs are still stored before it is acknowledged.
/// A fence left by a crashed collector counts as down after <see cref="Lifetime"/> (by the storage's own clock).
/// </summary>
public static class SweepFence
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    public static Task RaiseAsync(IStorageDriver driver, CancellationToken cancellationToken) =>
        driver.WriteAsync(StoragePaths.GarbageCollectionSweep, "{}"u8.ToArray(), cancellationToken: cancellationToken);

    public static Task LowerAsync(IStorageDriver driver, CancellationToken cancellationToken) =>
        driver.DeleteAsync(StoragePaths.GarbageCollectionSweep, cancellationToken);

    /// <summary>Waits while a sweep is under way; true when there was one (the caller checks its blobs again).</summary>
    public static async Task<bool> WaitWhileRaisedAsync(IStorageDriver driver, CancellationToken cancellationToken)
    {
        var waited = false;
        while (await driver.GetInfoAsync(StoragePaths.GarbageCollectionSweep, cancellationToken) is { } fence && fence.LastModified + Lifetime > DateTimeOffset.UtcNow)
        {
            waited = true;
            await Task.Delay(PollInterval, cancellationToken);
        }

        return waited;
    }
}
