namespace Registry.Distribution.Caching;

/// <summary>
/// Hot-path lookups (tag → digest, manifest descriptors, blob links). Storage stays the truth: writers remove a key
/// before writing storage and again after (setting what they wrote could cache the loser of a concurrent write);
/// readers only ever add a key that is absent, so a slow reader cannot overwrite a newer value with the one it read
/// earlier. An empty value records "known absent".
/// </summary>
public interface IRegistryCache
{
    /// <summary>Null on a miss (or when the cache is unreachable).</summary>
    ValueTask<byte[]?> GetAsync(string key);

    /// <summary>Authoritative value after a write to storage.</summary>
    ValueTask SetAsync(string key, byte[] value, TimeSpan timeToLive);

    /// <summary>Value read from storage; never replaces a present key.</summary>
    ValueTask AddAsync(string key, byte[] value, TimeSpan timeToLive);

    ValueTask RemoveAsync(string key);
}
