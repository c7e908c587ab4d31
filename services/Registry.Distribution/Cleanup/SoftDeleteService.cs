using Registry.Distribution.Core;
using Registry.Oci;
using Registry.Storage;

namespace Registry.Distribution.Cleanup;

/// <summary>What a restore put back.</summary>
internal sealed record RestoredManifest(string Repository, string Digest, IReadOnlyList<string> Tags);

/// <summary>Lists, restores and expires soft-deleted manifests.</summary>
internal sealed class SoftDeleteService(IStorageDriverFactory storage, IManifestStore manifests, IBlobStore blobs, TimeProvider time)
{
    public async Task<List<SoftDeletedManifest>> ListAsync(string registry, string? repository, CancellationToken cancellationToken)
    {
        var driver = storage.ForRegistry(registry);
        var repositories = repository is not null ? [repository] : await new RegistryContentReader(driver).ListRepositoriesAsync(cancellationToken);
        var records = new List<SoftDeletedManifest>();
        foreach (var name in repositories)
        {
            records.AddRange(await SoftDeleteRecords.ListAsync(driver, name, cancellationToken));
        }

        return records;
    }

    /// <summary>
    /// Puts the manifest back through the full store (so a push event is raised and caches are invalidated): its layer
    /// links, its index children (restored first when they were soft-deleted too), the manifest with its referrer link
    /// and its tags. A tag that now points at another manifest is a conflict unless <paramref name="force"/> moves it back.
    /// </summary>
    public async Task<RestoredManifest> RestoreAsync(RepositoryPath repository, string? digest, string? tag, bool force, CancellationToken cancellationToken)
    {
        var driver = storage.ForRegistry(repository.Registry);
        SoftDeletedManifest? record;
        if (digest is not null)
        {
            record = Digest.TryParse(digest, out var parsed)
                ? await SoftDeleteRecords.ReadAsync(driver, repository.Name, parsed, cancellationToken)
                : throw ManagementException.Invalid($"'{digest}' is not a digest");
        }
        else if (tag is not null && OciGrammar.IsTag(tag))
        {
            record = (await SoftDeleteRecords.ListAsync(driver, repository.Name, cancellationToken))
                .Where(candidate => candidate.Tags.Contains(tag, StringComparer.Ordinal))
                .MaxBy(candidate => candidate.DeletedAt);
        }
        else
        {
            throw ManagementException.Invalid("give the digest of the deleted manifest, or a tag it had");
        }

        if (record is null)
        {
            throw ManagementException.NotFound($"soft-deleted manifest {digest ?? tag} of repository '{repository.Name}'");
        }

        return await RestoreAsync(driver, repository, record, force, cancellationToken);
    }

    /// <summary>Removes the records whose time is up; their blobs go at the next garbage collection. Returns how many went.</summary>
    public async Task<List<SoftDeletedManifest>> ExpireAsync(string registry, CancellationToken cancellationToken)
    {
        var driver = storage.ForRegistry(registry);
        var now = time.GetUtcNow();
        var expired = new List<SoftDeletedManifest>();
        foreach (var record in await ListAsync(registry, null, cancellationToken))
        {
            if (record.ExpiresAt <= now && await SoftDeleteRecords.DeleteAsync(driver, record.Repository, record.Digest, cancellationToken))
            {
                expired.Add(record);
            }
        }

        return expired;
    }

    private async Task<RestoredManifest> RestoreAsync(IStorageDriver driver, RepositoryPath repository, SoftDeletedManifest record, bool force, CancellationToken cancellationToken)
    {
        var digest = Digest.Parse(record.Digest);
        var content = await driver.ReadAsync(StoragePaths.BlobData(digest), cancellationToken)
            ?? throw ManagementException.Conflict($"the content of {record.Digest} is no longer stored");

        foreach (var tag in record.Tags)
        {
            if (await manifests.ResolveAsync(repository, Reference.Parse(tag), cancellationToken) is { } current && current.Digest != record.Digest && !force)
            {
                throw ManagementException.Conflict($"tag '{tag}' of repository '{repository.Name}' now points at {current.Digest}; restore with force to move it back");
            }
        }

        var manifest = ManifestParser.Parse(content.Content.Span, record.MediaType);
        foreach (var required in manifest.RequiredBlobs)
        {
            var blob = Digest.Parse(required.Digest);
            if (await blobs.StatAsync(repository, blob, cancellationToken) is null)
            {
                var data = await driver.GetInfoAsync(StoragePaths.BlobData(blob), cancellationToken)
                    ?? throw ManagementException.Conflict($"blob {blob} of {record.Digest} is no longer stored");
                await blobs.LinkAsync(repository, new BlobDescriptor(blob, data.Size), cancellationToken);
            }
        }

        foreach (var child in manifest.Manifests)
        {
            if (await manifests.ResolveAsync(repository, Reference.Parse(child.Digest), cancellationToken) is null
                && await SoftDeleteRecords.ReadAsync(driver, repository.Name, Digest.Parse(child.Digest), cancellationToken) is { } deletedChild)
            {
                await RestoreAsync(driver, repository, deletedChild, force, cancellationToken);
            }
        }

        try
        {
            await manifests.PutAsync(repository, Reference.Parse(record.Digest), content.Content, record.MediaType, record.Tags, cancellationToken);
        }
        catch (OciException ex)
        {
            throw ManagementException.Conflict($"{record.Digest} could not be restored: {ex.Message}");
        }

        await SoftDeleteRecords.DeleteAsync(driver, repository.Name, record.Digest, cancellationToken);
        return new RestoredManifest(repository.Name, record.Digest, record.Tags);
    }
}
