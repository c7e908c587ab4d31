using Registry.Distribution.Core;
using Registry.Oci;

namespace Registry.Distribution.Metadata;

/// <summary>
/// Applies the repository locks and immutable tags (ADR 0013) to every write through the registered manifest store
/// (the <c>/v2</c> API, the ACR repository API, import, clean-up), records when tags and manifests were first pushed,
/// forgets the metadata of what was deleted, and hides unlisted tags and repositories from listings. Refusals are
/// 403 <c>DENIED</c> naming the lock. Geo-replication writes the other regions through their own stores
/// (<see cref="RegionContentStores"/>), not through this one: a replica follows what its home region accepted.
/// Reads are checked by the <c>/v2</c> handlers, so the ACR API can still show a read-locked item's metadata.
/// </summary>
internal sealed class LockingManifestStore(IManifestStore inner, IRepositoryMetadata metadata) : IManifestStore
{
    public Task<ManifestDescriptor?> ResolveAsync(RepositoryPath repository, Reference reference, CancellationToken cancellationToken) =>
        inner.ResolveAsync(repository, reference, cancellationToken);

    public Task<ReadOnlyMemory<byte>?> ReadContentAsync(RepositoryPath repository, ManifestDescriptor manifest, CancellationToken cancellationToken) =>
        inner.ReadContentAsync(repository, manifest, cancellationToken);

    public Task<IReadOnlyList<Descriptor>> ListReferrersAsync(RepositoryPath repository, Digest subject, CancellationToken cancellationToken) =>
        inner.ListReferrersAsync(repository, subject, cancellationToken);

    public async Task<ManifestDescriptor> PutAsync(
        RepositoryPath repository, Reference reference, ReadOnlyMemory<byte> content, string? contentType, IReadOnlyList<string> extraTags, CancellationToken cancellationToken)
    {
        var digest = Digest.Compute(reference.Digest?.Algorithm ?? Digest.Sha256, content.Span);
        var tags = extraTags.Prepend(reference.Tag).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        var current = new List<(string Tag, string? Current)>(tags.Count);
        foreach (var tag in tags)
        {
            current.Add((tag, (await inner.ResolveAsync(repository, Reference.Parse(tag), cancellationToken))?.Digest));
        }

        Refuse(await metadata.WriteRefusalAsync(repository, digest, current, cancellationToken));
        var descriptor = await inner.PutAsync(repository, reference, content, contentType, extraTags, cancellationToken);
        await metadata.RecordPushAsync(repository, Digest.Parse(descriptor.Digest), tags, cancellationToken);
        return descriptor;
    }

    public async Task<ManifestDeletion?> DeleteAsync(RepositoryPath repository, Reference reference, CancellationToken cancellationToken)
    {
        var manifest = await inner.ResolveAsync(repository, reference, cancellationToken);
        if (manifest is null)
        {
            return null;
        }

        var digest = Digest.Parse(manifest.Digest);
        if (reference.Tag is { } tag)
        {
            Refuse(await metadata.UntagRefusalAsync(repository, tag, cancellationToken));
        }
        else
        {
            Refuse(await metadata.DeleteRefusalAsync(repository, digest, await TagsOfAsync(repository, manifest.Digest, cancellationToken), cancellationToken));
        }

        var deletion = await inner.DeleteAsync(repository, reference, cancellationToken);
        if (deletion is not null)
        {
            await metadata.ForgetAsync(repository, reference.Tag is null ? digest : null, deletion.Tags, cancellationToken);
        }

        return deletion;
    }

    public async Task<RepositoryDeletion?> DeleteRepositoryAsync(RepositoryPath repository, CancellationToken cancellationToken)
    {
        if (await inner.ListTagsAsync(repository, null, null, cancellationToken) is { } tags)
        {
            Refuse(await metadata.RepositoryDeleteRefusalAsync(repository, tags.Items, cancellationToken));
        }

        var deletion = await inner.DeleteRepositoryAsync(repository, cancellationToken);
        if (deletion is not null)
        {
            await metadata.ForgetRepositoryAsync(repository, cancellationToken);
        }

        return deletion;
    }

    /// <summary>Tags whose <c>listEnabled</c> is false are left out; paging applies to what is listed.</summary>
    public async Task<Page<string>?> ListTagsAsync(RepositoryPath repository, int? limit, string? last, CancellationToken cancellationToken)
    {
        var unlisted = (await metadata.GetRepositoryAsync(repository, cancellationToken)).UnlistedTags;
        if (unlisted.Count == 0)
        {
            return await inner.ListTagsAsync(repository, limit, last, cancellationToken);
        }

        var all = await inner.ListTagsAsync(repository, null, null, cancellationToken);
        return all is null ? null : StorageManifestStore.Paginate([.. all.Items.Except(unlisted, StringComparer.Ordinal)], limit, last);
    }

    /// <summary>Repositories whose <c>listEnabled</c> is false are left out of the catalog.</summary>
    public async Task<Page<string>> ListRepositoriesAsync(string registry, int? limit, string? last, CancellationToken cancellationToken)
    {
        var all = await inner.ListRepositoriesAsync(registry, null, null, cancellationToken);
        var listed = new List<string>(all.Items.Count);
        foreach (var name in all.Items)
        {
            if ((await metadata.GetRepositoryAttributesAsync(new RepositoryPath(registry, name), cancellationToken)).ListEnabled)
            {
                listed.Add(name);
            }
        }

        return StorageManifestStore.Paginate(listed, limit, last);
    }

    /// <summary>Every tag of the repository pointing at <paramref name="digest"/>.</summary>
    internal static async Task<List<string>> TagsOfAsync(IManifestStore manifests, RepositoryPath repository, string digest, CancellationToken cancellationToken)
    {
        var result = new List<string>();
        var tags = await manifests.ListTagsAsync(repository, null, null, cancellationToken);
        foreach (var tag in tags?.Items ?? [])
        {
            if ((await manifests.ResolveAsync(repository, Reference.Parse(tag), cancellationToken))?.Digest == digest)
            {
                result.Add(tag);
            }
        }

        return result;
    }

    private Task<List<string>> TagsOfAsync(RepositoryPath repository, string digest, CancellationToken cancellationToken) =>
        TagsOfAsync(inner, repository, digest, cancellationToken);

    private static void Refuse(string? refusal)
    {
        if (refusal is not null)
        {
            throw new OciException(OciErrorCode.Denied, refusal);
        }
    }
}
