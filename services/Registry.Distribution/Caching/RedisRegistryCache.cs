using StackExchange.Redis;

namespace Registry.Distribution.Caching;

/// <summary>
/// The platform's shared cache. Any Redis failure degrades to a miss: the request goes to storage, never fails,
/// and a flushed or restarted Redis costs only speed.
/// </summary>
internal sealed partial class RedisRegistryCache(IConnectionMultiplexer redis, ILogger<RedisRegistryCache> logger) : IRegistryCache
{
    private const string Prefix = "registry:";

    public async ValueTask<byte[]?> GetAsync(string key)
    {
        try
        {
            var value = await redis.GetDatabase().StringGetAsync(Prefix + key);
            return value.IsNull ? null : (byte[]?)value;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            LogCacheUnavailable(ex, "get");
            return null;
        }
    }

    public ValueTask SetAsync(string key, byte[] value, TimeSpan timeToLive) => WriteAsync(key, value, timeToLive, When.Always);

    public ValueTask AddAsync(string key, byte[] value, TimeSpan timeToLive) => WriteAsync(key, value, timeToLive, When.NotExists);

    public async ValueTask RemoveAsync(string key)
    {
        try
        {
            await redis.GetDatabase().KeyDeleteAsync(Prefix + key);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            LogCacheUnavailable(ex, "remove");
        }
    }

    private async ValueTask WriteAsync(string key, byte[] value, TimeSpan timeToLive, When when)
    {
        try
        {
            await redis.GetDatabase().StringSetAsync(Prefix + key, value, timeToLive, when);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            LogCacheUnavailable(ex, "set");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis cache unavailable for {Operation}; serving from storage")]
    private partial void LogCacheUnavailable(Exception exception, string operation);
}
