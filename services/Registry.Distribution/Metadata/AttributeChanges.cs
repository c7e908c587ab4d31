using Microsoft.Extensions.Options;
using Registry.Contracts;
using Registry.Distribution.Core;
using Registry.Distribution.Events;
using Registry.Messaging;
using Registry.Oci;

namespace Registry.Distribution.Metadata;

/// <summary>
/// Announces a change of changeable attributes through the outbox, so replication brings the other regions of the registry
/// to it (a lock set in one region holds in all of them).
/// </summary>
internal sealed class AttributeChanges(IEventOutbox outbox, IOptions<DistributionOptions> options, TimeProvider time)
{
    public Task AnnounceAsync(HttpContext context, RepositoryPath repository, string? tag, Digest? manifest)
    {
        var origin = EventOrigin.Of(context);
        return outbox.AddAsync(new RepositoryAttributesChanged
        {
            EventId = Guid.NewGuid(),
            Registry = repository.Registry,
            Region = options.Value.Region,
            Repository = repository.Name,
            Tag = tag,
            Digest = manifest?.ToString(),
            OccurredAt = time.GetUtcNow(),
            Actor = origin.Actor,
            Request = origin.Request,
            Source = EventSources.ThisProcess,
        }, context.RequestAborted);
    }
}
