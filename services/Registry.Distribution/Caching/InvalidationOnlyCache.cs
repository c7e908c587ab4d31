namespace Registry.Distribution.Caching;

/// <summary>
/// A cache that is never read nor filled, only invalidated: for replication, which reads a region's storage (the truth,
/// which it has often just written) and must still drop what the region's instances cached of what it changes. Asking
/// the shared cache first would cost a round trip per read, and a fill no reader in this process uses.
/// </summary>
internal sealed class InvalidationOnlyCache(IRegistryCache inner) : IRegistryCache
{
    public ValueTask<CacheLookup> GetAsync(string key) => ValueTask.FromResult(CacheLookup.Unavailable);

    public ValueTask AddAsync(string key, byte[] value, TimeSpan timeToLive, long generation) => ValueTask.CompletedTask;

    public ValueTask InvalidateAsync(string key) => inner.InvalidateAsync(key);
}
