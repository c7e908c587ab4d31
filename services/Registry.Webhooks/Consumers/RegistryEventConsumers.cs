using MassTransit;
using Registry.Contracts;
using Registry.Webhooks.Delivery;

namespace Registry.Webhooks.Consumers;

internal sealed class ManifestPushedConsumer(WebhookFanout fanout) : IConsumer<ManifestPushed>
{
    public Task Consume(ConsumeContext<ManifestPushed> context) => fanout.FanOutAsync(context.Message, context.CancellationToken);
}

internal sealed class ManifestDeletedConsumer(WebhookFanout fanout) : IConsumer<ManifestDeleted>
{
    public Task Consume(ConsumeContext<ManifestDeleted> context) => fanout.FanOutAsync(context.Message, context.CancellationToken);
}

internal sealed class TagDeletedConsumer(WebhookFanout fanout) : IConsumer<TagDeleted>
{
    public Task Consume(ConsumeContext<TagDeleted> context) => fanout.FanOutAsync(context.Message, context.CancellationToken);
}

internal sealed class RepositoryDeletedConsumer(WebhookFanout fanout) : IConsumer<RepositoryDeleted>
{
    public Task Consume(ConsumeContext<RepositoryDeleted> context) => fanout.FanOutAsync(context.Message, context.CancellationToken);
}

internal sealed class ChartPushedConsumer(WebhookFanout fanout) : IConsumer<ChartPushed>
{
    public Task Consume(ConsumeContext<ChartPushed> context) => fanout.FanOutAsync(context.Message, context.CancellationToken);
}

internal sealed class ImageQuarantinedConsumer(WebhookFanout fanout) : IConsumer<ImageQuarantined>
{
    public Task Consume(ConsumeContext<ImageQuarantined> context) => fanout.FanOutAsync(context.Message, context.CancellationToken);
}

internal sealed class ChartDeletedConsumer(WebhookFanout fanout) : IConsumer<ChartDeleted>
{
    public Task Consume(ConsumeContext<ChartDeleted> context) => fanout.FanOutAsync(context.Message, context.CancellationToken);
}

/// <summary>Content pushed elsewhere landed in a region: the "push" of that region's regional webhooks.</summary>
internal sealed class ReplicaSyncedConsumer(WebhookFanout fanout) : IConsumer<ReplicaSynced>
{
    public Task Consume(ConsumeContext<ReplicaSynced> context) => fanout.FanOutAsync(context.Message, context.CancellationToken);
}

/// <summary>
/// Retries for the webhooks service's consumers: storing a batch can fail for a moment (storage busy); the message is
/// retried in place, then left in the error queue rather than dropped.
/// </summary>
internal sealed class WebhookConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<TConsumer> consumerConfigurator, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        endpointConfigurator.UseMessageRetry(retry => retry.Intervals(100, 500, 1000, 5000, 15000, 30000));
    }
}
