using System.Collections.Concurrent;
using System.Text.Json;
using Registry.Storage;
using Registry.Webhooks.Model;

namespace Registry.Webhooks.Delivery;

/// <summary>
/// Webhooks, their health and their delivery history, in each registry's own storage partition; pending batches in
/// the platform partition. The list of a registry's webhooks is remembered for <see cref="CacheLifetime"/>: another
/// instance's change is seen within that time, this instance's at once.
/// </summary>
internal sealed class WebhookStore(IStorageDriverFactory storage, TimeProvider time)
{
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, (Task<IReadOnlyList<WebhookRecord>> Load, DateTimeOffset Expires)> _cache = new(StringComparer.Ordinal);
    private readonly Lock _reloading = new();

    /// <summary>
    /// The registry's webhooks, by name. Every delivery asks, so a reload is shared: one read of storage per registry
    /// per <see cref="CacheLifetime"/>, however many deliveries are in flight.
    /// </summary>
    public Task<IReadOnlyList<WebhookRecord>> ListAsync(string registry, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(registry, out var cached) && cached.Expires > now && !cached.Load.IsFaulted)
        {
            return cached.Load.WaitAsync(cancellationToken);
        }

        lock (_reloading)
        {
            if (!_cache.TryGetValue(registry, out cached) || cached.Expires <= now || cached.Load.IsFaulted)
            {
                cached = (LoadAsync(registry), now + CacheLifetime);
                _cache[registry] = cached;
            }
        }

        return cached.Load.WaitAsync(cancellationToken);
    }

    private async Task<IReadOnlyList<WebhookRecord>> LoadAsync(string registry)
    {
        await Task.Yield();
        var driver = storage.ForRegistry(registry);
        var webhooks = new List<WebhookRecord>();
        await foreach (var name in driver.ListAsync(StoragePaths.WebhooksRoot, CancellationToken.None))
        {
            if (name.EndsWith(".json", StringComparison.Ordinal) && StoragePaths.IsWebhookName(name[..^5])
                && await ReadAsync<WebhookRecord>(driver, StoragePaths.Webhook(name[..^5]), CancellationToken.None) is { } webhook)
            {
                webhooks.Add(webhook.Value);
            }
        }

        webhooks.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return webhooks;
    }

    public async Task<WebhookRecord?> FindAsync(string registry, string name, CancellationToken cancellationToken) =>
        (await ListAsync(registry, cancellationToken)).FirstOrDefault(webhook => webhook.Name == name);

    /// <returns>False when a webhook of that name exists already.</returns>
    public async Task<bool> CreateAsync(string registry, WebhookRecord webhook, CancellationToken cancellationToken)
    {
        try
        {
            await storage.ForRegistry(registry).WriteAsync(StoragePaths.Webhook(webhook.Name), Serialize(webhook), StorageCondition.NotExists, cancellationToken);
            return true;
        }
        catch (StoragePreconditionFailedException)
        {
            return false;
        }
        finally
        {
            _cache.TryRemove(registry, out _);
        }
    }

    /// <summary>Read, change, write only if nobody wrote meanwhile (else again). Null when the webhook does not exist.</summary>
    public async Task<WebhookRecord?> UpdateAsync(string registry, string name, Func<WebhookRecord, WebhookRecord> change, CancellationToken cancellationToken)
    {
        var driver = storage.ForRegistry(registry);
        try
        {
            while (true)
            {
                if (await ReadAsync<WebhookRecord>(driver, StoragePaths.Webhook(name), cancellationToken) is not { } current)
                {
                    return null;
                }

                var updated = change(current.Value);
                try
                {
                    await driver.WriteAsync(StoragePaths.Webhook(name), Serialize(updated), StorageCondition.Matches(current.ETag), cancellationToken);
                    return updated;
                }
                catch (StoragePreconditionFailedException)
                {
                    // Changed by someone else between read and write: read again.
                }
            }
        }
        finally
        {
            _cache.TryRemove(registry, out _);
        }
    }

    /// <summary>The webhook, its health and its history.</summary>
    public async Task<bool> DeleteAsync(string registry, string name, CancellationToken cancellationToken)
    {
        var driver = storage.ForRegistry(registry);
        var deleted = await driver.DeleteAsync(StoragePaths.Webhook(name), cancellationToken);
        _cache.TryRemove(registry, out _);
        await driver.DeleteAsync(StoragePaths.WebhookHealth(name), cancellationToken);
        await driver.DeletePrefixAsync(StoragePaths.WebhookDeliveries(name), cancellationToken);
        return deleted;
    }

    public async Task<WebhookHealth> GetHealthAsync(string registry, string name, CancellationToken cancellationToken) =>
        (await ReadAsync<WebhookHealth>(storage.ForRegistry(registry), StoragePaths.WebhookHealth(name), cancellationToken))?.Value ?? WebhookHealth.Unknown;

    public Task SaveHealthAsync(string registry, string name, WebhookHealth health, CancellationToken cancellationToken) =>
        storage.ForRegistry(registry).WriteAsync(StoragePaths.WebhookHealth(name), Serialize(health), StorageCondition.None, cancellationToken);

    // ---- history ----

    public Task SaveDeliveryAsync(string registry, DeliveryRecord delivery, CancellationToken cancellationToken) =>
        storage.ForRegistry(registry).WriteAsync(StoragePaths.WebhookDelivery(delivery.Webhook, delivery.Id), Serialize(delivery), StorageCondition.None, cancellationToken);

    public async Task<DeliveryRecord?> FindDeliveryAsync(string registry, string webhook, string deliveryId, CancellationToken cancellationToken) =>
        StoragePaths.IsDeliveryId(deliveryId)
            ? (await ReadAsync<DeliveryRecord>(storage.ForRegistry(registry), StoragePaths.WebhookDelivery(webhook, deliveryId), cancellationToken))?.Value
            : null;

    /// <summary>Delivery ids, newest first.</summary>
    public async Task<List<string>> ListDeliveryIdsAsync(string registry, string webhook, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        await foreach (var name in storage.ForRegistry(registry).ListAsync(StoragePaths.WebhookDeliveries(webhook), cancellationToken))
        {
            if (name.EndsWith(".json", StringComparison.Ordinal) && StoragePaths.IsDeliveryId(name[..^5]))
            {
                ids.Add(name[..^5]);
            }
        }

        ids.Sort(StringComparer.Ordinal);
        return ids;
    }

    /// <summary>Keeps the newest <paramref name="keep"/> deliveries of a webhook.</summary>
    public async Task TrimHistoryAsync(string registry, string webhook, int keep, CancellationToken cancellationToken)
    {
        var ids = await ListDeliveryIdsAsync(registry, webhook, cancellationToken);
        var driver = storage.ForRegistry(registry);
        foreach (var id in ids.Skip(keep))
        {
            await driver.DeleteAsync(StoragePaths.WebhookDelivery(webhook, id), cancellationToken);
        }
    }

    // ---- pending batches ----

    /// <returns>False when the batch exists already (the event was fanned out before).</returns>
    public async Task<bool> CreateBatchAsync(DeliveryBatch batch, CancellationToken cancellationToken)
    {
        try
        {
            await storage.ForPlatform().WriteAsync(StoragePaths.PendingDeliveries(batch.Id), Serialize(batch), StorageCondition.NotExists, cancellationToken);
            return true;
        }
        catch (StoragePreconditionFailedException)
        {
            return false;
        }
    }

    /// <summary>Rewrites the batch as it is: its modification time tells recovery that an instance is still working on it.</summary>
    public Task TouchBatchAsync(DeliveryBatch batch, CancellationToken cancellationToken) =>
        storage.ForPlatform().WriteAsync(StoragePaths.PendingDeliveries(batch.Id), Serialize(batch), StorageCondition.None, cancellationToken);

    public Task DeleteBatchAsync(Guid batchId, CancellationToken cancellationToken) =>
        storage.ForPlatform().DeleteAsync(StoragePaths.PendingDeliveries(batchId), cancellationToken);

    public async IAsyncEnumerable<(Guid Id, DateTimeOffset LastModified)> ListBatchesAsync(
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var driver = storage.ForPlatform();
        await foreach (var name in driver.ListAsync(StoragePaths.PendingDeliveriesRoot, cancellationToken))
        {
            if (name.EndsWith(".json", StringComparison.Ordinal) && Guid.TryParseExact(name[..^5], "N", out var id)
                && await driver.GetInfoAsync(StoragePaths.PendingDeliveries(id), cancellationToken) is { } info)
            {
                yield return (id, info.LastModified);
            }
        }
    }

    public async Task<DeliveryBatch?> ReadBatchAsync(Guid batchId, CancellationToken cancellationToken) =>
        (await ReadAsync<DeliveryBatch>(storage.ForPlatform(), StoragePaths.PendingDeliveries(batchId), cancellationToken))?.Value;

    private static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, WebhookJson.Options);

    private static async Task<(T Value, string ETag)?> ReadAsync<T>(IStorageDriver driver, string path, CancellationToken cancellationToken)
    {
        if (await driver.ReadAsync(path, cancellationToken) is not { } stored)
        {
            return null;
        }

        return (JsonSerializer.Deserialize<T>(stored.Content.Span, WebhookJson.Options)
            ?? throw new JsonException($"empty document at {path}"), stored.ETag);
    }
}
