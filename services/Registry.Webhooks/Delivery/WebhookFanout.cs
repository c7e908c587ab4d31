using Registry.Contracts;
using Registry.Webhooks.Model;

namespace Registry.Webhooks.Delivery;

/// <summary>
/// Turns one registry event into deliveries: the registry's enabled webhooks whose actions and scope match, stored as
/// one batch (named by the event id, so a redelivered message finds the first fan-out and adds nothing) and handed to
/// the dispatcher. The message is acknowledged once the batch is stored: from then on recovery owns it.
/// </summary>
internal sealed class WebhookFanout(WebhookStore store, WebhookDispatcher dispatcher, TimeProvider time)
{
    public async Task FanOutAsync(IRegistryEvent registryEvent, CancellationToken cancellationToken)
    {
        var webhookEvent = WebhookEvent.From(registryEvent);
        var webhooks = (await store.ListAsync(registryEvent.Registry, cancellationToken))
            .Where(webhook => webhook.IsEnabled
                && webhook.Actions.Contains(webhookEvent.Action, StringComparer.Ordinal)
                && WebhookScope.Matches(webhook.Scope, registryEvent.Repository, webhookEvent.Tags))
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
