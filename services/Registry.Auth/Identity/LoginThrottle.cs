using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Registry.Auth.Identity;

/// <summary>Counts failed logins per client address and per identity in a fixed window; past the limit, logins wait.</summary>
internal interface ILoginThrottle
{
    /// <summary>How long the caller must wait, or null when it may try.</summary>
    Task<TimeSpan?> RetryAfterAsync(string client, string? identity);

    Task RecordFailureAsync(string client, string? identity);

    /// <summary>The windows a login counts in, each with its limit: the client's, and the identity's when there is one.</summary>
    static (string Key, int Limit)[] Windows(AuthOptions options, string client, string? identity) => identity is null
        ? [($"c:{client}", options.MaxFailedLoginsPerClient)]
        : [($"c:{client}", options.MaxFailedLoginsPerClient), ($"i:{identity}", options.MaxFailedLoginsPerIdentity)];
}

internal sealed class MemoryLoginThrottle(IOptions<AuthOptions> options, TimeProvider time) : ILoginThrottle
{
    private readonly ConcurrentDictionary<string, (int Count, DateTimeOffset ResetAt)> _windows = new(StringComparer.Ordinal);

    public Task<TimeSpan?> RetryAfterAsync(string client, string? identity)
    {
        var now = time.GetUtcNow();
        TimeSpan? wait = null;
        foreach (var (key, limit) in Keys(client, identity))
        {
            if (_windows.TryGetValue(key, out var window) && window.ResetAt > now && window.Count >= limit)
            {
                wait = Max(wait, window.ResetAt - now);
            }
        }

        return Task.FromResult(wait);
    }

    public Task RecordFailureAsync(string client, string? identity)
    {
        var now = time.GetUtcNow();
        foreach (var (key, _) in Keys(client, identity))
        {
            _windows.AddOrUpdate(
                key,
                _ => (1, now + options.Value.FailedLoginWindow),
                (_, window) => window.ResetAt > now ? (window.Count + 1, window.ResetAt) : (1, now + options.Value.FailedLoginWindow));
        }

        if (_windows.Count > 100_000)
        {
            foreach (var expired in _windows.Where(entry => entry.Value.ResetAt <= now).Select(entry => entry.Key).ToList())
            {
                _windows.TryRemove(expired, out _);
            }
        }

        return Task.CompletedTask;
    }

    private (string, int)[] Keys(string client, string? identity) => ILoginThrottle.Windows(options.Value, client, identity);

    internal static TimeSpan? Max(TimeSpan? a, TimeSpan b) => a is null || b > a ? b : a;
}

/// <summary>The same windows in Redis, so every auth instance counts together; a Redis outage lets logins through (it is only a brake).</summary>
internal sealed class RedisLoginThrottle(IConnectionMultiplexer redis, IOptions<AuthOptions> options) : ILoginThrottle
{
    public async Task<TimeSpan?> RetryAfterAsync(string client, string? identity)
    {
        if (!redis.IsConnected)
        {
            return null;
        }

        var database = redis.GetDatabase();
        TimeSpan? wait = null;
        foreach (var (key, limit) in Keys(client, identity))
        {
            var count = await database.StringGetAsync(key);
            if (count.HasValue && (long)count >= limit && await database.KeyTimeToLiveAsync(key) is { } ttl)
            {
                wait = MemoryLoginThrottle.Max(wait, ttl);
            }
        }

        return wait;
    }

    public async Task RecordFailureAsync(string client, string? identity)
    {
        if (!redis.IsConnected)
        {
            return;
        }

        var database = redis.GetDatabase();
        foreach (var (key, _) in Keys(client, identity))
        {
            if (await database.StringIncrementAsync(key) == 1)
            {
                await database.KeyExpireAsync(key, options.Value.FailedLoginWindow);
            }
        }
    }

    private IEnumerable<(RedisKey, int)> Keys(string client, string? identity) =>
        ILoginThrottle.Windows(options.Value, client, identity).Select(window => ((RedisKey)("auth:failed:" + window.Key), window.Limit));
}
