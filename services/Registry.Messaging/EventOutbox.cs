using System.Collections.Concurrent;
using System.Threading.Channels;
using Registry.Contracts;
using Registry.Storage;

namespace Registry.Messaging;

/// <summary>Where a service puts the events of a write before it acknowledges the write (DESIGN.md principle 3).</summary>
public interface IEventOutbox
{
    /// <summary>Returns once the event is durable in storage; the relay publishes it to the bus soon after, or later.</summary>
    Task AddAsync(IRegistryEvent registryEvent, CancellationToken cancellationToken);
}

/// <summary>
/// The outbox in the platform's storage partition: one small object per event, deleted once the bus has the event.
/// Entries written here are handed to <see cref="OutboxRelay"/> at once; entries it could not publish, and those left by
/// an instance that stopped, are found again by its sweep.
/// </summary>
public sealed class EventOutbox(IStorageDriverFactory storage) : IEventOutbox
{
    private readonly Channel<OutboxEntry> _ready = Channel.CreateUnbounded<OutboxEntry>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly ConcurrentDictionary<string, byte> _claimed = new(StringComparer.Ordinal);

    internal ChannelReader<OutboxEntry> Ready => _ready.Reader;

    public async Task AddAsync(IRegistryEvent registryEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registryEvent);
        var path = StoragePaths.OutboxEntry(registryEvent.OccurredAt, registryEvent.EventId);
        await storage.ForPlatform().WriteAsync(path, RegistryEventJson.Serialize(registryEvent), StorageCondition.None, cancellationToken);
        _claimed.TryAdd(path, 0);
        _ready.Writer.TryWrite(new OutboxEntry(path, registryEvent));
    }

    /// <summary>Whether this instance is working on the entry (so a sweep leaves it alone); claims it when not.</summary>
    internal bool TryClaim(string path) => _claimed.TryAdd(path, 0);

    internal void Release(string path) => _claimed.TryRemove(path, out _);

    internal void Complete() => _ready.Writer.TryComplete();
}

internal sealed record OutboxEntry(string Path, IRegistryEvent Event);
