namespace Registry.Distribution.Caching;

/// <summary>
/// Hot-path lookups (tag → digest, manifest descriptors, blob links). Storage stays the truth (ADR 0004):
/// every key has a generation; a writer invalidates the key after writing storage, which removes the value and
/// bumps the generation; a reader that missed fills the key only if its generation is still the one it saw before
/// reading storage. So neither a slow reader nor the loser of two racing writers can leave a stale value behind.
/// An empty value records "known absent".
/// </summary>
public interface IRegistryCache
{
    /// <summary>The value (null on a miss) and the key's generation to hand back to <see cref="AddAsync"/>.</summary>
    ValueTask<CacheLookup> GetAsync(string key);

    /// <summary>Fills a missed key with what storage said, unless it was invalidated since <paramref name="generation"/>.</summary>
    ValueTask AddAsync(string key, byte[] value, TimeSpan timeToLive, long generation);

    /// <summary>Removes the value and bumps the generation; call after the storage write.</summary>
    ValueTask InvalidateAsync(string key);
}

/// <param name="Value">Null on a miss.</param>
/// <param name="Generation">Negative when the cache could not be asked: then nothing may be filled.</param>
public readonly record struct CacheLookup(byte[]? Value, long Generation)
{
    public static CacheLookup Unavailable => new(null, -1);
}
