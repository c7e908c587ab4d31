using System.Text.Json;
using Registry.Storage;

namespace Registry.Replication.Import;

/// <summary>Import operations, one object each in the registry's partition (any instance can answer for any operation).</summary>
internal sealed class ImportOperationStore(IStorageDriverFactory storage)
{
    public Task SaveAsync(string registry, ImportOperation operation, CancellationToken cancellationToken) =>
        storage.ForRegistry(registry).WriteAsync(
            StoragePaths.ImportOperation(operation.Id),
            JsonSerializer.SerializeToUtf8Bytes(operation, ImportJson.Default.ImportOperation),
            cancellationToken: cancellationToken);

    public async Task<ImportOperation?> FindAsync(string registry, Guid id, CancellationToken cancellationToken)
    {
        var stored = await storage.ForRegistry(registry).ReadAsync(StoragePaths.ImportOperation(id), cancellationToken);
        return stored is null ? null : JsonSerializer.Deserialize(stored.Content.Span, ImportJson.Default.ImportOperation);
    }
}
