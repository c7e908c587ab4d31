using MassTransit;
using Microsoft.Extensions.Options;
using Registry.Contracts;
using Registry.Messaging;
using Registry.Distribution.Core;
using Registry.Oci;
using Registry.Scanner.Scanning;

namespace Registry.Scanner.Consumers;

/// <summary>Scans what was pushed. A manifest already scanned with the loaded database is not scanned again (redelivery, one manifest pushed under several tags).</summary>
internal sealed class ManifestPushedConsumer(
    ImageScanner scanner, ScanStore store, Database.VulnerabilityDatabase database, IEventOutbox outbox, IOptions<ScannerOptions> options) : IConsumer<ManifestPushed>
{
    public async Task Consume(ConsumeContext<ManifestPushed> context)
    {
        var pushed = context.Message;
        if ((pushed.ArtifactType is not null && !ImageScanner.IsImageConfig(pushed.ArtifactType)) || !MediaTypes.IsSupportedManifest(pushed.MediaType))
        {
            return;
        }

        // Quarantine is announced before the scan (the quarantine webhook action), and also when scans run only on
        // demand: the pull gate holds the image until a scan clears it.
        var report = MediaTypes.IsImageManifest(pushed.MediaType)
            ? await store.FindReportAsync(pushed.Registry, Digest.Parse(pushed.Digest), context.CancellationToken)
            : null;
        if (MediaTypes.IsImageManifest(pushed.MediaType)
            && report is null
            && (await store.PolicyAsync(pushed.Registry, context.CancellationToken)).Quarantine)
        {
            await outbox.AddAsync(new ImageQuarantined
            {
                EventId = DeterministicId(pushed.EventId),
                Registry = pushed.Registry,
                Region = pushed.Region,
                Repository = pushed.Repository,
                Tag = pushed.Tag,
                Digest = pushed.Digest,
                MediaType = pushed.MediaType,
                Size = pushed.Size,
                OccurredAt = pushed.OccurredAt,
                Actor = pushed.Actor,
                Request = pushed.Request,
                Source = pushed.Source,
            }, context.CancellationToken);
        }

        if (!options.Value.ScanOnPush)
        {
            return;
        }

        if (report is not null && report.DatabaseVersion == database.Version && report.Repository == pushed.Repository)
        {
            return;
        }

        try
        {
            await scanner.ScanAsync(new RepositoryPath(pushed.Registry, pushed.Repository), Reference.Parse(pushed.Digest), context.CancellationToken);
        }
        catch (OciException ex) when (ex.Error == OciErrorCode.ManifestUnknown)
        {
            // deleted since it was pushed: nothing to scan
        }
    }

    /// <summary>One quarantine event per push even when the push's message is delivered twice (consumers deduplicate on the id).</summary>
    private static Guid DeterministicId(Guid pushEventId)
    {
        var bytes = pushEventId.ToByteArray();
        bytes[0] ^= 0x51;
        return new Guid(bytes);
    }
}

/// <summary>
/// The scanner's queue is its own (<c>scanner-manifest-pushed</c>): the webhooks service consumes the same event type,
/// and a shared queue would split the events between them. Scans that fail for a moment (storage) are retried.
/// </summary>
internal sealed class ManifestPushedConsumerDefinition : ConsumerDefinition<ManifestPushedConsumer>
{
    public ManifestPushedConsumerDefinition()
    {
        EndpointName = "scanner-manifest-pushed";
        ConcurrentMessageLimit = 2;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<ManifestPushedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        // Storage hiccups are worth a few quick retries; an image or layer that is gone, or content that cannot be read
        // as what it claims, fails the same way every time (and a long retry would hold the host's shutdown).
        endpointConfigurator.UseMessageRetry(retry =>
        {
            retry.Ignore<OciException>();
            retry.Ignore<InvalidDataException>();
            retry.Ignore<FormatException>();
            retry.Intervals(500, 2000, 5000);
        });
    }
}
