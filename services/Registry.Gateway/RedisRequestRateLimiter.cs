using Registry.Security.Limits;
using StackExchange.Redis;

namespace Registry.Gateway;

/// <summary>
/// Request windows in Redis, shared by every gateway instance: one counter per key and minute, expiring after the
/// window. Redis unreachable: the request goes on (rates are a protection, not a source of truth; DESIGN.md section 2).
/// </summary>
internal sealed partial class RedisRequestRateLimiter(IConnectionMultiplexer redis, ILogger<RedisRequestRateLimiter> logger) : IRequestRateLimiter
{
    private static readonly TimeSpan KeyLifetime = TimeSpan.FromMinutes(2);

    public async ValueTask<TimeSpan?> TryAcquireAsync(string key, int limitPerMinute, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var redisKey = new RedisKey($"ratelimit:{key}:{RateWindows.MinuteOf(now)}");
        long count;
        try
        {
            var database = redis.GetDatabase();
            count = await database.StringIncrementAsync(redisKey);
            if (count == 1)
            {
                await database.KeyExpireAsync(redisKey, KeyLifetime, CommandFlags.FireAndForget);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogRedisUnavailable(logger, ex);
            return null;
        }

        return count > limitPerMinute ? RateWindows.UntilNext(now) : null;
    }

    [LoggerMessage(1, LogLevel.Warning, "Request rates cannot be counted: Redis does not answer; requests are let through")]
    private static partial void LogRedisUnavailable(ILogger logger, Exception exception);
}
