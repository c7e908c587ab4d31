using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Registry.Storage;

namespace Registry.Messaging;

/// <summary>
/// Publishes outbox entries to the bus and deletes each once published: new entries at once, and every
/// <see cref="OutboxOptions.SweepInterval"/> whatever is left (the bus was down, an instance stopped before publishing).
/// Publishing twice is possible (an instance stops between publish and delete); consumers deduplicate on the event id,
/// which is also the message id.
/// </summary>
public sealed partial class OutboxRelay(
    EventOutbox outbox,
    IBus bus,
    IStorageDriverFactory storage,
    IOptions<OutboxOptions> options,
    TimeProvider time,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    private const int Publishers = 4;

    private long _busDownUntilTicks;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Publishers).Select(_ => PublishReadyAsync(stoppingToken)).Append(SweepAsync(stoppingToken)));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        outbox.Complete();
        await base.StopAsync(cancellationToken);
    }

    private async Task PublishReadyAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var entry in outbox.Ready.ReadAllAsync(stoppingToken))
            {
                // While the bus is known to be down, leave entries to the sweep rather than wait out a timeout for each.
                if (time.GetUtcNow().UtcTicks >= Interlocked.Read(ref _busDownUntilTicks))
                {
                    await TryPublishAsync(entry, stoppingToken);
                }

                outbox.Release(entry.Path);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task SweepAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, time);
        try
        {
            do
            {
                try
                {
                    await SweepOnceAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogSweepFailed(logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Publishes what is left, oldest first; stops at the first failure (the bus is down: the next sweep tries again).</summary>
    internal async Task SweepOnceAsync(CancellationToken cancellationToken)
    {
        var driver = storage.ForPlatform();
        var names = new List<string>();
        await foreach (var name in driver.ListAsync(StoragePaths.OutboxRoot, cancellationToken))
        {
            names.Add(name);
        }

        names.Sort(StringComparer.Ordinal);
        var youngest = time.GetUtcNow().UtcTicks - options.Value.ClaimAge.Ticks;
        foreach (var name in names)
        {
            if (!long.TryParse(name.AsSpan(0, Math.Min(19, name.Length)), out var ticks) || ticks > youngest)
            {
                continue;
            }

            var path = $"{StoragePaths.OutboxRoot}/{name}";
            if (!outbox.TryClaim(path))
            {
                continue;
            }

            try
            {
                if (await driver.ReadAsync(path, cancellationToken) is not { } stored)
                {
                    continue; // published and deleted by another instance meanwhile
                }

                Contracts.IRegistryEvent registryEvent;
                try
                {
                    registryEvent = RegistryEventJson.Deserialize(stored.Content.Span);
                }
                catch (JsonException ex)
                {
                    LogUnreadableEntry(logger, path, ex);
                    continue;
                }

                if (!await TryPublishAsync(new OutboxEntry(path, registryEvent), cancellationToken))
                {
                    return;
                }
            }
            finally
            {
                outbox.Release(path);
            }
        }
    }

    private async Task<bool> TryPublishAsync(OutboxEntry entry, CancellationToken stoppingToken)
    {
        var registryEvent = entry.Event;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(options.Value.PublishTimeout);
            await bus.Publish(
                registryEvent,
                registryEvent.GetType(),
                Pipe.Execute<PublishContext>(context => context.MessageId = registryEvent.EventId),
                timeout.Token);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            Interlocked.Exchange(ref _busDownUntilTicks, (time.GetUtcNow() + options.Value.SweepInterval).UtcTicks);
            LogPublishFailed(logger, registryEvent.EventId, registryEvent.GetType().Name, ex.Message);
            return false;
        }

        Interlocked.Exchange(ref _busDownUntilTicks, 0);
        try
        {
            await storage.ForPlatform().DeleteAsync(entry.Path, CancellationToken.None);
        }
        catch (Exception ex)
        {
            // Published but still stored: the sweep publishes it again and consumers drop the duplicate by event id.
            LogDeleteFailed(logger, entry.Path, ex);
        }

        LogPublished(logger, registryEvent.EventId, registryEvent.GetType().Name);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Published {EventType} {EventId} from the outbox")]
    private static partial void LogPublished(ILogger logger, Guid eventId, string eventType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{EventType} {EventId} is not on the bus yet ({Reason}); it stays in the outbox and is retried")]
    private static partial void LogPublishFailed(ILogger logger, Guid eventId, string eventType, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox entry {Path} cannot be read and is left in place")]
    private static partial void LogUnreadableEntry(ILogger logger, string path, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox entry {Path} was published but could not be deleted; the sweep publishes it again")]
    private static partial void LogDeleteFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox sweep failed; trying again at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
