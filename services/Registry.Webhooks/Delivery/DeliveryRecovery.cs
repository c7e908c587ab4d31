using Microsoft.Extensions.Options;
using Registry.Webhooks.Model;

namespace Registry.Webhooks.Delivery;

/// <summary>
/// Resumes deliveries nobody is working on: at start every batch written before this instance started (a previous run
/// stopped mid-flight), and later any batch untouched for longer than the longest retry wait (an instance that died).
/// Deliveries already finished are skipped; the others continue with their attempt count.
/// </summary>
internal sealed partial class DeliveryRecovery(
    WebhookStore store, WebhookDispatcher dispatcher, IOptions<WebhooksOptions> options, TimeProvider time, ILogger<DeliveryRecovery> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var startedAt = time.GetUtcNow();
        using var timer = new PeriodicTimer(options.Value.RecoveryInterval, time);
        try
        {
            do
            {
                try
                {
                    await RecoverAsync(startedAt, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogRecoveryFailed(logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal async Task RecoverAsync(DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        var abandonedBefore = time.GetUtcNow() - (options.Value.MaxRetryDelay + (2 * options.Value.Timeout) + options.Value.RecoveryInterval);
        var candidates = new List<Guid>();
        await foreach (var (id, lastModified) in store.ListBatchesAsync(cancellationToken))
        {
            if (!dispatcher.IsWorkingOn(id) && (lastModified < startedAt || lastModified < abandonedBefore))
            {
                candidates.Add(id);
            }
        }

        foreach (var id in candidates)
        {
            if (await store.ReadBatchAsync(id, cancellationToken) is not { } batch)
            {
                continue;
            }

            var progress = new Dictionary<string, DeliveryRecord>(StringComparer.Ordinal);
            foreach (var delivery in batch.Deliveries)
            {
                if (await store.FindDeliveryAsync(batch.Event.Registry, delivery.Webhook, delivery.DeliveryId, cancellationToken) is { } record)
                {
                    progress[delivery.DeliveryId] = record;
                }
            }

            var unfinished = batch.Deliveries.Count(delivery => progress.GetValueOrDefault(delivery.DeliveryId) is not { IsFinished: true });
            LogResuming(logger, id, unfinished);
            dispatcher.Start(batch, progress);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Resuming webhook batch {BatchId}: {Deliveries} unfinished deliveries")]
    private static partial void LogResuming(ILogger logger, Guid batchId, int deliveries);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking for unfinished webhook deliveries failed; trying again at the next interval")]
    private static partial void LogRecoveryFailed(ILogger logger, Exception exception);
}
