using System.Collections.Concurrent;

namespace Registry.Security.Limits;

/// <summary>
/// Counts requests in fixed one-minute windows, per key (a registry's reads, its writes, one token's requests). Shared
/// by every front-door instance when it is backed by Redis; in process otherwise.
/// </summary>
public interface IRequestRateLimiter
{
    /// <summary>Counts one request; null when it is within <paramref name="limitPerMinute"/>, else how long until the window ends.</summary>
    ValueTask<TimeSpan?> TryAcquireAsync(string key, int limitPerMinute, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>The limiter of a single process (the single-process host, or a gateway without Redis).</summary>
public sealed class MemoryRequestRateLimiter : IRequestRateLimiter
{
    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);

    public ValueTask<TimeSpan?> TryAcquireAsync(string key, int limitPerMinute, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var minute = RateWindows.MinuteOf(now);
        var window = _windows.AddOrUpdate(key, _ => new Window(minute), (_, current) => current.Minute == minute ? current : new Window(minute));
        var count = Interlocked.Increment(ref window.Count);
        if (_windows.Count > 100_000)
        {
            foreach (var stale in _windows.Where(entry => entry.Value.Minute < minute).Select(entry => entry.Key).ToList())
            {
                _windows.TryRemove(stale, out _);
            }
        }

        return ValueTask.FromResult(count > limitPerMinute ? RateWindows.UntilNext(now) : (TimeSpan?)null);
    }

    private sealed class Window(long minute)
    {
        public readonly long Minute = minute;
        public long Count;
    }
}

public static class RateWindows
{
    public static long MinuteOf(DateTimeOffset now) => now.ToUnixTimeSeconds() / 60;

    public static TimeSpan UntilNext(DateTimeOffset now) => TimeSpan.FromSeconds(60 - (now.ToUnixTimeSeconds() % 60));
}
