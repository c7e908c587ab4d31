using System.Collections.Concurrent;

namespace Registry.Distribution.Caching;

/// <summary>The single-process cache: bounded, expiring, with the same add-if-absent semantics as Redis.</summary>
internal sealed class MemoryRegistryCache(TimeProvider time) : IRegistryCache
{
    private const int MaxEntries = 100_000;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public ValueTask<byte[]?> GetAsync(string key)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            if (entry.ExpiresAt > time.GetTimestamp())
            {
                return ValueTask.FromResult<byte[]?>(entry.Value);
            }

            _entries.TryRemove(KeyValuePair.Create(key, entry));
        }

        return ValueTask.FromResult<byte[]?>(null);
    }

    public ValueTask SetAsync(string key, byte[] value, TimeSpan timeToLive)
    {
        TrimIfFull();
        _entries[key] = new Entry(value, Expiry(timeToLive));
        return ValueTask.CompletedTask;
    }

    public ValueTask AddAsync(string key, byte[] value, TimeSpan timeToLive)
    {
        TrimIfFull();
        var now = time.GetTimestamp();
        var fresh = new Entry(value, Expiry(timeToLive));
        _entries.AddOrUpdate(key, fresh, (_, existing) => existing.ExpiresAt > now ? existing : fresh);
        return ValueTask.CompletedTask;
    }

    public ValueTask RemoveAsync(string key)
    {
        _entries.TryRemove(key, out _);
        return ValueTask.CompletedTask;
    }

    private long Expiry(TimeSpan timeToLive) => time.GetTimestamp() + (long)(timeToLive.TotalSeconds * time.TimestampFrequency);

    private void TrimIfFull()
    {
        if (_entries.Count < MaxEntries)
        {
            return;
        }

        foreach (var key in _entries.Keys.Take(MaxEntries / 4))
        {
            _entries.TryRemove(key, out _);
        }
    }

    private sealed record Entry(byte[] Value, long ExpiresAt);
}
