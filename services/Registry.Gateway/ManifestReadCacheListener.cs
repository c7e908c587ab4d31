using Registry.Security;
using StackExchange.Redis;

namespace Registry.Gateway;

/// <summary>
/// Hears every cache invalidation of the platform (<see cref="CacheInvalidations.Channel"/>) and drops the kept manifest
/// answers of the repository it names. The kept answers are used only while the subscription is up: losing it drops them
/// all, and the gateway forwards every read until it is back.
/// </summary>
internal sealed partial class ManifestReadCacheListener(
    IConnectionMultiplexer redis, ManifestReadCache cache, ILogger<ManifestReadCacheListener> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!cache.IsEnabled)
        {
            return;
        }

        var channel = RedisChannel.Literal(CacheInvalidations.Channel);
        var subscriber = redis.GetSubscriber();
        var subscribed = false;
        redis.ConnectionFailed += (_, failure) =>
        {
            // Any connection: with RESP3 the subscription shares the interactive one.
            cache.SetListening(false);
            LogNotListening(logger, failure.ConnectionType, failure.FailureType);
        };
        redis.ConnectionRestored += (_, _) => cache.SetListening(Volatile.Read(ref subscribed) && subscriber.IsConnected(channel));

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await subscriber.SubscribeAsync(channel, (_, message) => Invalidate(message));
                Volatile.Write(ref subscribed, true);
                cache.SetListening(subscriber.IsConnected(channel));
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LogSubscribeFailed(logger, ex);
                await Task.Delay(RetryDelay, stoppingToken);
            }
        }
    }

    private void Invalidate(RedisValue message)
    {
        if (CacheInvalidations.TryParseManifestKey(message.ToString(), out var registry, out var repository))
        {
            cache.InvalidateRepository(registry, repository);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis {Connection} connection failed ({Failure}): the cache invalidations may be lost, so manifest reads go to distribution until it is back")]
    private static partial void LogNotListening(ILogger logger, ConnectionType connection, ConnectionFailureType failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not subscribe to the cache invalidations; manifest reads go to distribution meanwhile")]
    private static partial void LogSubscribeFailed(ILogger logger, Exception exception);
}
