namespace Registry.Distribution.Caching;

/// <summary>
/// One region's view of the shared cache: every key carries the region, so regions sharing one Redis never answer
/// from each other's storage (a tag can point elsewhere in a region that has not converged yet).
/// </summary>
internal sealed class RegionScopedCache(IRegistryCache shared, string region) : IRegistryCache
{
    public ValueTask<CacheLookup> GetAsync(string key) => shared.GetAsync(Scoped(key));

    public ValueTask AddAsync(string key, byte[] value, TimeSpan timeToLive, long generation) => shared.AddAsync(Scoped(key), value, timeToLive, generation);

    public ValueTask InvalidateAsync(string key) => shared.InvalidateAsync(Scoped(key));

    private string Scoped(string key) => $"{region}/{key}";
}
