using System.Collections.Concurrent;

namespace Registry.Distribution.Caching;

/// <summary>The single-process cache: bounded, expiring, with the same generation rules as the Redis cache.</summary>
internal sealed class MemoryRegistryCache(TimeProvider time) : IRegistryCache
{
    private const int MaxEntries = 100_000;

    /// <summary>How long an invalidation is remembered: longer than any storage read a filler could be in.</summary>
    private static readonly TimeSpan GenerationLifetime = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public ValueTask<CacheLookup> GetAsync(string key)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            return ValueTask.FromResult(new CacheLookup(null, 0));
        }

        if (entry.ExpiresAt <= time.GetTimestamp())
        {
            // An expired invalidation marker resets the generation, as the Redis generation key's TTL does.
            _entries.TryRemove(KeyValuePair.Create(key, entry));
            return ValueTask.FromResult(new CacheLookup(null, 0));
        }

        return ValueTask.FromResult(new CacheLookup(entry.Value, entry.Generation));
    }

    public ValueTask AddAsync(string key, byte[] value, TimeSpan timeToLive, long generation)
    {
        if (generation < 0)
        {
            return ValueTask.CompletedTask;
        }

        TrimIfFull();
        var now = time.GetTimestamp();
        var fresh = new Entry(value, generation, Expiry(timeToLive));
        _entries.AddOrUpdate(
            key,
            _ => generation == 0 ? fresh : new Entry(null, 0, now),
            (_, existing) => existing.Generation == generation && (existing.Value is null || existing.ExpiresAt <= now) ? fresh : existing);
        return ValueTask.CompletedTask;
    }

    public ValueTask InvalidateAsync(string key)
    {
        var marker = Expiry(GenerationLifetime);
        _entries.AddOrUpdate(key, _ => new Entry(null, 1, marker), (_, existing) => new Entry(null, existing.Generation + 1, marker));
        return ValueTask.CompletedTask;
    }

    private long Expiry(TimeSpan timeToLive) => time.GetTimestamp() + (long)(timeToLive.TotalSeconds * time.TimestampFrequency);

    private void TrimIfFull()
    {
        if (_entries.Count < MaxEntries)
        {
            return;
        }

        // Dropping an entry resets its generation to 0, so a filler that saw a generation > 0 is refused: safe.
        foreach (var key in _entries.Keys.Take(MaxEntries / 4))
        {
            _entries.TryRemove(key, out _);
        }
    }

    /// <param name="Value">Null for an invalidation marker that only carries the generation.</param>
    private sealed record Entry(byte[]? Value, long Generation, long ExpiresAt);
}
