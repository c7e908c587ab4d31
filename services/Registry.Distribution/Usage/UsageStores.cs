using Microsoft.Extensions.Options;
using Registry.Distribution.Core;
using Registry.Oci;

namespace Registry.Distribution.Usage;

/// <summary>
/// The tier's storage quota: a push (upload start, manifest put) is refused with 403 <c>DENIED</c> once the registry's
/// deduplicated bytes reach <c>Tiers:&lt;tier&gt;:MaxStorageGiB</c>. Checked against the usage summary, which trails the
/// latest pushes by the recompute delay: a soft limit, as ACR's.
/// </summary>
internal sealed class StorageQuota(UsageService usage, IRegistryDirectory registries, IOptions<Registry.Security.Limits.TierOptions> tiers)
{
    public async Task EnsureAllowsPushAsync(RepositoryPath repository, CancellationToken cancellationToken)
    {
        var tier = (await registries.FindIfAnsweringAsync(repository.Registry, cancellationToken))?.Tier ?? RegistryTier.Premium;
        var limit = tiers.Value.For(tier).MaxStorageBytes;
        var used = await usage.DedupedBytesAsync(repository.Registry, cancellationToken);
        if (used >= limit)
        {
            throw new OciException(
                OciErrorCode.Denied,
                $"storage quota exceeded: registry '{repository.Registry}' ({tier}) uses {used} of {limit} bytes",
                new { tier = tier.ToString(), usedBytes = used, maxBytes = limit });
        }
    }
}

/// <summary>The usage decorator of the manifest store: checks the quota before a push, marks the repository changed after any write.</summary>
internal sealed class UsageManifestStore(IManifestStore inner, UsageService usage, StorageQuota quota) : ManifestStoreDecorator(inner)
{
    public override async Task<ManifestDescriptor> PutAsync(
        RepositoryPath repository, Reference reference, ReadOnlyMemory<byte> content, string? contentType, IReadOnlyList<string> extraTags, CancellationToken cancellationToken)
    {
        await quota.EnsureAllowsPushAsync(repository, cancellationToken);
        try
        {
            return await Inner.PutAsync(repository, reference, content, contentType, extraTags, cancellationToken);
        }
        finally
        {
            usage.MarkChanged(repository);
        }
    }

    public override async Task<ManifestDeletion?> DeleteAsync(RepositoryPath repository, Reference reference, CancellationToken cancellationToken)
    {
        try
        {
            return await Inner.DeleteAsync(repository, reference, cancellationToken);
        }
        finally
        {
            usage.MarkChanged(repository);
        }
    }

    public override async Task<RepositoryDeletion?> DeleteRepositoryAsync(RepositoryPath repository, CancellationToken cancellationToken)
    {
        try
        {
            return await Inner.DeleteRepositoryAsync(repository, cancellationToken);
        }
        finally
        {
            usage.MarkChanged(repository);
        }
    }
}

/// <summary>The quota decorator of the upload store: a new upload is refused once the registry is over its quota.</summary>
internal sealed class QuotaUploadStore(IUploadStore inner, StorageQuota quota) : IUploadStore
{
    public async Task<UploadStatus> StartAsync(RepositoryPath repository, CancellationToken cancellationToken)
    {
        await quota.EnsureAllowsPushAsync(repository, cancellationToken);
        return await inner.StartAsync(repository, cancellationToken);
    }

    public Task<UploadStatus?> GetAsync(RepositoryPath repository, string uploadId, CancellationToken cancellationToken) =>
        inner.GetAsync(repository, uploadId, cancellationToken);

    public Task<UploadStatus> AppendAsync(RepositoryPath repository, string uploadId, Stream body, long? expectedStart, CancellationToken cancellationToken) =>
        inner.AppendAsync(repository, uploadId, body, expectedStart, cancellationToken);

    public Task<BlobDescriptor> CompleteAsync(RepositoryPath repository, string uploadId, Digest digest, CancellationToken cancellationToken) =>
        inner.CompleteAsync(repository, uploadId, digest, cancellationToken);

    public Task<bool> CancelAsync(RepositoryPath repository, string uploadId, CancellationToken cancellationToken) =>
        inner.CancelAsync(repository, uploadId, cancellationToken);
}
