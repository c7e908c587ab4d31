using Registry.Storage;
using Registry.Storage.FileSystem;
using Registry.Testing;

namespace Registry.Webhooks.Tests;

/// <summary>
/// Pending webhook batches and outbox entries are small objects written and deleted side by side in one folder all the
/// time. With filesystem storage a delete removes the folder once it is empty, which must never fail a write made at the
/// same moment into that folder (a ping answered 500, a push whose event could not be stored).
/// </summary>
public sealed class PendingBatchStorageTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("registry-webhooks-storage-").FullName;

    [Fact]
    public async Task Writes_and_deletes_side_by_side_in_one_folder_all_succeed()
    {
        var driver = new FileSystemStorageDriver(_root, flushToDisk: false);
        var failures = new List<Exception>();

        await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; i < 500; i++)
            {
                var path = StoragePaths.PendingDeliveries(Guid.NewGuid());
                try
                {
                    await driver.WriteAsync(path, new byte[] { 1, 2, 3 }, StorageCondition.NotExists);
                    Assert.True(await driver.DeleteAsync(path));
                }
                catch (Exception ex) when (ex is IOException)
                {
                    lock (failures)
                    {
                        failures.Add(ex);
                    }
                }
            }
        })));

        Assert.True(failures.Count == 0, $"{failures.Count} operations failed, the first: {failures.FirstOrDefault()}");
    }

    public void Dispose() => TestDirectories.TryDelete(_root);
}
