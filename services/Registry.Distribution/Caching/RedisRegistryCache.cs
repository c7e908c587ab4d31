using Registry.Security;
using StackExchange.Redis;

namespace Registry.Distribution.Caching;

/// <summary>
/// The platform's shared cache. Value and generation live in two keys with one hash tag (same cluster slot); the
/// conditional fill and the invalidation are Lua scripts, so each is atomic. Any Redis failure degrades to a miss
/// that fills nothing: the request goes to storage, and a flushed or restarted Redis costs only speed. Each invalidation
/// is also published on <see cref="CacheInvalidations.Channel"/>, for the gateway's manifest answers (ADR 0019).
/// </summary>
internal sealed partial class RedisRegistryCache : IRegistryCache
{
    private readonly IConnectionMultiplexer _redis;
    private readonly ILogger<RedisRegistryCache> _logger;

    /// <summary>Invalidations that could not reach Redis; replayed when the connection is restored.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _missedInvalidations = new(StringComparer.Ordinal);

    public RedisRegistryCache(IConnectionMultiplexer redis, ILogger<RedisRegistryCache> logger)
    {
        _redis = redis;
        _logger = logger;
        _redis.ConnectionRestored += (_, _) => _ = ReplayMissedInvalidationsAsync();
    }

    private const long GenerationLifetimeMilliseconds = 10 * 60 * 1000;

    private const string AddScript = """
        local generation = redis.call('GET', KEYS[2]) or '0'
        if generation == ARGV[2] then
          return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3], 'NX')
        end
        return false
        """;

    private const string InvalidateScript = """
        redis.call('INCR', KEYS[2])
        redis.call('PEXPIRE', KEYS[2], ARGV[1])
        redis.call('PUBLISH', ARGV[2], ARGV[3])
        return redis.call('DEL', KEYS[1])
        """;

    public async ValueTask<CacheLookup> GetAsync(string key)
    {
        // While disconnected every call would wait for its timeout: answer "unavailable" at once instead.
        if (!_redis.IsConnected || !_missedInvalidations.IsEmpty)
        {
            return CacheLookup.Unavailable;
        }

        try
        {
            var values = await _redis.GetDatabase().StringGetAsync([ValueKey(key), GenerationKey(key)]);
            var generation = values[1].IsNull ? 0 : (long)values[1];
            return new CacheLookup(values[0].IsNull ? null : (byte[]?)values[0], generation);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            LogCacheUnavailable(ex, "get");
            return CacheLookup.Unavailable;
        }
    }

    public async ValueTask AddAsync(string key, byte[] value, TimeSpan timeToLive, long generation)
    {
        if (generation < 0 || !_redis.IsConnected)
        {
            return;
        }

        try
        {
            await _redis.GetDatabase().ScriptEvaluateAsync(
                AddScript,
                [ValueKey(key), GenerationKey(key)],
                [value, generation, (long)timeToLive.TotalMilliseconds]);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            LogCacheUnavailable(ex, "add");
        }
    }

    public async ValueTask InvalidateAsync(string key)
    {
        if (!_redis.IsConnected || !await TryInvalidateAsync(key))
        {
            // Redis may come back with its data (a partition rather than a restart): this key must not be served.
            _missedInvalidations.TryAdd(key, 0);
        }
    }

    private async Task<bool> TryInvalidateAsync(string key)
    {
        try
        {
            await _redis.GetDatabase().ScriptEvaluateAsync(InvalidateScript, [ValueKey(key), GenerationKey(key)], [GenerationLifetimeMilliseconds, CacheInvalidations.Channel, key]);
            return true;
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            LogCacheUnavailable(ex, "invalidate");
            return false;
        }
    }

    private async Task ReplayMissedInvalidationsAsync()
    {
        foreach (var key in _missedInvalidations.Keys)
        {
            if (!await TryInvalidateAsync(key))
            {
                return;
            }

            _missedInvalidations.TryRemove(key, out _);
        }

        LogInvalidationsReplayed();
    }

    private static RedisKey ValueKey(string key) => $"registry:{{{key}}}";

    private static RedisKey GenerationKey(string key) => $"registry:{{{key}}}:gen";

    private static bool IsUnavailable(Exception exception) => exception is RedisException or TimeoutException or ObjectDisposedException;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis cache unavailable for {Operation}; serving from storage")]
    private partial void LogCacheUnavailable(Exception exception, string operation);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis connection restored; invalidations missed during the outage replayed")]
    private partial void LogInvalidationsReplayed();
}
