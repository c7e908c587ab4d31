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

        redis.ConnectionFailed += (_, failure) =>
        {
            if (failure.ConnectionType == ConnectionType.Subscription)
            {
                cache.SetListening(false);
                LogNotListening(logger, failure.FailureType);
            }
        };
        redis.ConnectionRestored += (_, restored) =>
        {
            if (restored.ConnectionType == ConnectionType.Subscription)
            {
                cache.SetListening(true);
            }
        };

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(CacheInvalidations.Channel), (_, message) => Invalidate(message));
                cache.SetListening(true);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the cache invalidations ({Failure}); manifest reads go to distribution until they are back")]
    private static partial void LogNotListening(ILogger logger, ConnectionFailureType failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not subscribe to the cache invalidations; manifest reads go to distribution meanwhile")]
    private static partial void LogSubscribeFailed(ILogger logger, Exception exception);
}
