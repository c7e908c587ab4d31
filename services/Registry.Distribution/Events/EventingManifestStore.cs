using Microsoft.Extensions.Options;
using Registry.Contracts;
using Registry.Distribution.Apis;
using Registry.Distribution.Core;
using Registry.Messaging;
using Registry.Oci;

namespace Registry.Distribution.Events;

/// <summary>
/// Raises the registry's events around the manifest store (DESIGN.md §6, §8): after a push or delete is in storage and
/// before it is acknowledged, its events are put in the durable outbox. A write whose events cannot be stored fails, so
/// an acknowledged write never goes without its events.
/// </summary>
internal sealed class EventingManifestStore(
    IManifestStore inner, IEventOutbox outbox, IHttpContextAccessor requests, IOptions<DistributionOptions> options, TimeProvider time) : IManifestStore
{
    public Task<ManifestDescriptor?> ResolveAsync(RepositoryPath repository, Reference reference, CancellationToken cancellationToken) =>
        inner.ResolveAsync(repository, reference, cancellationToken);

    public Task<ReadOnlyMemory<byte>?> ReadContentAsync(RepositoryPath repository, ManifestDescriptor manifest, CancellationToken cancellationToken) =>
        inner.ReadContentAsync(repository, manifest, cancellationToken);

    public Task<Page<string>?> ListTagsAsync(RepositoryPath repository, int? limit, string? last, CancellationToken cancellationToken) =>
        inner.ListTagsAsync(repository, limit, last, cancellationToken);

    public Task<IReadOnlyList<Descriptor>> ListReferrersAsync(RepositoryPath repository, Digest subject, CancellationToken cancellationToken) =>
        inner.ListReferrersAsync(repository, subject, cancellationToken);

    public Task<Page<string>> ListRepositoriesAsync(string registry, int? limit, string? last, CancellationToken cancellationToken) =>
        inner.ListRepositoriesAsync(registry, limit, last, cancellationToken);

    public async Task<ManifestDescriptor> PutAsync(
        RepositoryPath repository, Reference reference, ReadOnlyMemory<byte> content, string? contentType, IReadOnlyList<string> extraTags, CancellationToken cancellationToken)
    {
        var manifest = await inner.PutAsync(repository, reference, content, contentType, extraTags, cancellationToken);
        var origin = Origin();
        var tags = extraTags.Prepend(reference.Tag).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        foreach (var tag in tags.Count == 0 ? [null] : tags.Cast<string?>())
        {
            await outbox.AddAsync(new ManifestPushed
            {
                EventId = Guid.NewGuid(),
                Registry = repository.Registry,
                Region = options.Value.Region,
                Repository = repository.Name,
                Tag = tag,
                Digest = manifest.Digest,
                MediaType = manifest.MediaType,
                ArtifactType = manifest.ArtifactType,
                Size = manifest.Size,
                Subject = manifest.Subject,
                OccurredAt = origin.At,
                Actor = origin.Actor,
                Request = origin.Request,
                Source = EventSources.ThisProcess,
            }, cancellationToken);

            if (IsHelmChart(manifest))
            {
                await outbox.AddAsync(new ChartPushed
                {
                    EventId = Guid.NewGuid(),
                    Registry = repository.Registry,
                    Region = options.Value.Region,
                    Repository = repository.Name,
                    Tag = tag,
                    Digest = manifest.Digest,
                    MediaType = manifest.MediaType,
                    Size = manifest.Size,
                    ChartName = ChartName(repository),
                    ChartVersion = tag,
                    OccurredAt = origin.At,
                    Actor = origin.Actor,
                    Request = origin.Request,
                    Source = EventSources.ThisProcess,
                }, cancellationToken);
            }
        }

        return manifest;
    }

    public async Task<ManifestDeletion?> DeleteAsync(RepositoryPath repository, Reference reference, CancellationToken cancellationToken)
    {
        var deletion = await inner.DeleteAsync(repository, reference, cancellationToken);
        if (deletion is null)
        {
            return null;
        }

        var origin = Origin();
        if (reference.Tag is { } tag)
        {
            await outbox.AddAsync(new TagDeleted
            {
                EventId = Guid.NewGuid(),
                Registry = repository.Registry,
                Region = options.Value.Region,
                Repository = repository.Name,
                Tag = tag,
                Digest = deletion.Manifest?.Digest,
                MediaType = deletion.Manifest?.MediaType,
                OccurredAt = origin.At,
                Actor = origin.Actor,
                Request = origin.Request,
                Source = EventSources.ThisProcess,
            }, cancellationToken);
            return deletion;
        }

        var digest = deletion.Manifest?.Digest ?? reference.Digest?.ToString() ?? string.Empty;
        await outbox.AddAsync(new ManifestDeleted
        {
            EventId = Guid.NewGuid(),
            Registry = repository.Registry,
            Region = options.Value.Region,
            Repository = repository.Name,
            Digest = digest,
            MediaType = deletion.Manifest?.MediaType,
            ArtifactType = deletion.Manifest?.ArtifactType,
            Tags = deletion.Tags,
            OccurredAt = origin.At,
            Actor = origin.Actor,
            Request = origin.Request,
            Source = EventSources.ThisProcess,
        }, cancellationToken);

        if (deletion.Manifest is { } manifest && IsHelmChart(manifest))
        {
            await outbox.AddAsync(new ChartDeleted
            {
                EventId = Guid.NewGuid(),
                Registry = repository.Registry,
                Region = options.Value.Region,
                Repository = repository.Name,
                Digest = digest,
                MediaType = manifest.MediaType,
                ChartName = ChartName(repository),
                Tags = deletion.Tags,
                OccurredAt = origin.At,
                Actor = origin.Actor,
                Request = origin.Request,
                Source = EventSources.ThisProcess,
            }, cancellationToken);
        }

        return deletion;
    }

    public async Task<RepositoryDeletion?> DeleteRepositoryAsync(RepositoryPath repository, CancellationToken cancellationToken)
    {
        var deletion = await inner.DeleteRepositoryAsync(repository, cancellationToken);
        if (deletion is not null)
        {
            var origin = Origin();
            await outbox.AddAsync(new RepositoryDeleted
            {
                EventId = Guid.NewGuid(),
                Registry = repository.Registry,
                Region = options.Value.Region,
                Repository = repository.Name,
                OccurredAt = origin.At,
                Actor = origin.Actor,
                Request = origin.Request,
                Source = EventSources.ThisProcess,
            }, cancellationToken);
        }

        return deletion;
    }

    private static bool IsHelmChart(ManifestDescriptor manifest) =>
        string.Equals(manifest.ArtifactType, MediaTypes.HelmChartConfig, StringComparison.Ordinal);

    private static string ChartName(RepositoryPath repository) => repository.Name[(repository.Name.LastIndexOf('/') + 1)..];

    /// <summary>Who asked, through which request, and when (one time for every event of one write).</summary>
    private (DateTimeOffset At, string? Actor, RequestInfo? Request) Origin()
    {
        var at = time.GetUtcNow();
        var origin = EventOrigin.Current ?? (requests.HttpContext is { } context ? EventOrigin.Of(context) : null);
        return (at, origin?.Actor, origin?.Request);
    }
}
