using Registry.Contracts;
using Registry.Webhooks.Model;

namespace Registry.Webhooks.Delivery;

/// <summary>
/// ACR's regional webhooks: a webhook whose location is one of the deployment's regions hears what happens in that
/// region — the pushes made there, and (<see cref="ReplicaSynced"/>) content pushed elsewhere once it has landed
/// there. A webhook with no location, or one naming no region of this deployment, hears every change where it is made.
/// </summary>
internal sealed class WebhookRegions(IEnumerable<string> regions)
{
    private readonly HashSet<string> _regions = regions.ToHashSet(StringComparer.OrdinalIgnoreCase);

    public bool Hears(string? location, IRegistryEvent registryEvent)
    {
        var regional = location is not null && _regions.Contains(location);
        return registryEvent is ReplicaSynced
            ? regional && string.Equals(location, registryEvent.Region, StringComparison.OrdinalIgnoreCase)
            : !regional || string.Equals(location, registryEvent.Region, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>
/// Turns one registry event into deliveries: the registry's enabled webhooks whose actions and scope match, stored as
/// one batch (named by the event id, so a redelivered message finds the first fan-out and adds nothing) and handed to
/// the dispatcher. The message is acknowledged once the batch is stored: from then on recovery owns it.
/// </summary>
internal sealed class WebhookFanout(WebhookStore store, WebhookDispatcher dispatcher, WebhookRegions regions, TimeProvider time)
{
    public async Task FanOutAsync(IRegistryEvent registryEvent, CancellationToken cancellationToken)
    {
        var webhookEvent = WebhookEvent.From(registryEvent);
        var webhooks = (await store.ListAsync(registryEvent.Registry, cancellationToken))
            .Where(webhook => webhook.IsEnabled
                && webhook.Actions.Contains(webhookEvent.Action, StringComparer.Ordinal)
                && WebhookScope.Matches(webhook.Scope, registryEvent.Repository, webhookEvent.Tags)
                && regions.Hears(webhook.Location, registryEvent))
            .ToList();
        if (webhooks.Count == 0)
        {
            return;
        }

        var batch = new DeliveryBatch
        {
            Id = registryEvent.EventId,
            Event = webhookEvent,
            Deliveries = webhooks.Select(webhook => new BatchDelivery(webhook.Name, DeliveryIds.For(registryEvent.EventId, registryEvent.OccurredAt, webhook.Name))).ToList(),
            CreatedAt = time.GetUtcNow(),
        };
        if (await store.CreateBatchAsync(batch, cancellationToken))
        {
            dispatcher.Start(batch);
        }
    }
}
