using MassTransit;
using Microsoft.Extensions.Options;
using Registry.Contracts;

namespace Registry.Replication.Geo;

/// <summary>
/// Replicates every push, tag delete, manifest delete, repository delete and attributes (lock) change of a replicated
/// registry to its other regions. Any instance can take any change (each reaches every region's storage); redeliveries are harmless (what a
/// region holds already is not copied again, tags converge by rule).
/// </summary>
internal sealed class ReplicationConsumer(ReplicaStore replicas, Replicator replicator) :
    IConsumer<ManifestPushed>, IConsumer<TagDeleted>, IConsumer<ManifestDeleted>, IConsumer<RepositoryDeleted>, IConsumer<RepositoryAttributesChanged>
{
    public async Task Consume(ConsumeContext<ManifestPushed> context)
    {
        if (await TargetsAsync(context.Message, context.CancellationToken) is { Count: > 0 } targets)
        {
            await replicator.ReplicatePushAsync(context.Message, targets, context.CancellationToken);
        }
    }

    public async Task Consume(ConsumeContext<TagDeleted> context)
    {
        if (await TargetsAsync(context.Message, context.CancellationToken) is { Count: > 0 } targets)
        {
            await replicator.ReplicateTagDeleteAsync(context.Message, targets, context.CancellationToken);
        }
    }

    public async Task Consume(ConsumeContext<ManifestDeleted> context)
    {
        if (await TargetsAsync(context.Message, context.CancellationToken) is { Count: > 0 } targets)
        {
            await replicator.ReplicateManifestDeleteAsync(context.Message, targets, context.CancellationToken);
        }
    }

    public async Task Consume(ConsumeContext<RepositoryDeleted> context)
    {
        if (await TargetsAsync(context.Message, context.CancellationToken) is { Count: > 0 } targets)
        {
            await replicator.ReplicateRepositoryDeleteAsync(context.Message, targets, context.CancellationToken);
        }
    }

    public async Task Consume(ConsumeContext<RepositoryAttributesChanged> context)
    {
        if (await TargetsAsync(context.Message, context.CancellationToken) is { Count: > 0 } targets)
        {
            await replicator.ReplicateAttributesAsync(context.Message, targets, context.CancellationToken);
        }
    }

    private async Task<IReadOnlyList<string>> TargetsAsync(IRegistryEvent change, CancellationToken cancellationToken)
    {
        var regions = await replicas.RegionsOfAsync(change.Registry, cancellationToken);
        return regions.Contains(change.Region, StringComparer.Ordinal) ? regions.Where(r => r != change.Region).ToList() : [];
    }
}

/// <summary>
/// Its own queue (<c>replication-events</c>), apart from webhooks' and the scanner's. A region that does not answer is
/// retried a few times; past that the reconciler, which compares that region again every <c>Replication:RetryInterval</c>
/// until it succeeds, brings it up to date.
/// </summary>
internal sealed class ReplicationConsumerDefinition : ConsumerDefinition<ReplicationConsumer>
{
    public ReplicationConsumerDefinition(IOptions<ReplicationOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        EndpointName = "replication-events";
        ConcurrentMessageLimit = options.Value.ParallelEvents;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<ReplicationConsumer> consumerConfigurator, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        endpointConfigurator.UseMessageRetry(retry => retry.Intervals(250, 1000, 5000, 15000));
    }
}
