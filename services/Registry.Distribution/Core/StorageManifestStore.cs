using System.Text;
using System.Text.Json;
using Registry.Oci;
using Registry.Storage;

namespace Registry.Distribution.Core;

internal sealed class StorageManifestStore(IStorageDriverFactory storage, IBlobStore blobs) : IManifestStore
{
    private const int TagWriteAttempts = 32;

    public async Task<ManifestDescriptor?> ResolveAsync(RepositoryPath repository, Reference reference, CancellationToken cancellationToken)
    {
        var driver = storage.ForRegistry(repository.Registry);
        var digest = reference.Digest ?? await ReadTagAsync(driver, repository, reference.Tag!, cancellationToken);
        if (digest is null)
        {
            return null;
        }

        var link = await driver.ReadAsync(StoragePaths.ManifestRevision(repository.Name, digest.Value), cancellationToken);
        return link is null ? null : JsonSerializer.Deserialize(link.Content.Span, DistributionJson.Default.ManifestDescriptor);
    }

    public async Task<ReadOnlyMemory<byte>?> ReadContentAsync(RepositoryPath repository, ManifestDescriptor manifest, CancellationToken cancellationToken)
    {
        var content = await storage.ForRegistry(repository.Registry)
            .ReadAsync(StoragePaths.BlobData(Digest.Parse(manifest.Digest)), cancellationToken);
        return content?.Content;
    }

    public async Task<ManifestDescriptor> PutAsync(
        RepositoryPath repository,
        Reference reference,
        ReadOnlyMemory<byte> content,
        string? contentType,
        IReadOnlyList<string> extraTags,
        CancellationToken cancellationToken)
    {
        var digest = Digest.Compute(reference.Digest?.Algorithm ?? Digest.Sha256, content.Span);
        if (reference.Digest is { } expected && expected != digest)
        {
            throw new OciException(
                OciErrorCode.DigestInvalid,
                $"manifest digest {digest} does not match the reference {expected}",
                new { expected = expected.ToString(), actual = digest.ToString() });
        }

        var manifest = ManifestParser.Parse(content.Span, contentType);
        await EnsureReferencesExistAsync(repository, manifest, cancellationToken);

        var descriptor = new ManifestDescriptor
        {
            Digest = digest.ToString(),
            MediaType = manifest.MediaType,
            Size = content.Length,
            Subject = manifest.Subject?.Digest,
            ArtifactType = manifest.ArtifactType,
        };

        var driver = storage.ForRegistry(repository.Registry);
        var blobPath = StoragePaths.BlobData(digest);
        if (await driver.GetInfoAsync(blobPath, cancellationToken) is null)
        {
            await driver.WriteAsync(blobPath, content, cancellationToken: cancellationToken);
        }

        await driver.WriteAsync(
            StoragePaths.ManifestRevision(repository.Name, digest),
            JsonSerializer.SerializeToUtf8Bytes(descriptor, DistributionJson.Default.ManifestDescriptor),
            cancellationToken: cancellationToken);

        if (manifest.Subject is { } subject)
        {
            var referrer = new Descriptor
            {
                MediaType = manifest.MediaType,
                Digest = descriptor.Digest,
                Size = descriptor.Size,
                ArtifactType = manifest.ArtifactType,
                Annotations = manifest.Annotations,
            };
            await driver.WriteAsync(
                StoragePaths.ReferrerLink(repository.Name, Digest.Parse(subject.Digest), digest),
                JsonSerializer.SerializeToUtf8Bytes(referrer, DistributionJson.Default.Descriptor),
                cancellationToken: cancellationToken);
        }

        if (await SweepFence.WaitWhileRaisedAsync(driver, cancellationToken))
        {
            await EnsureStillStoredAsync(driver, repository, manifest, digest, cancellationToken);
        }

        foreach (var tag in extraTags.Prepend(reference.Tag).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            await WriteTagAsync(driver, repository, tag, digest, cancellationToken);
        }

        return descriptor;
    }

    public async Task<ManifestDeletion?> DeleteAsync(RepositoryPath repository, Reference reference, CancellationToken cancellationToken)
    {
        var driver = storage.ForRegistry(repository.Registry);
        if (reference.Tag is { } tag)
        {
            // The manifest the tag pointed at stays; it is named so the tag's delete event carries its digest and media type.
            var untagged = await ResolveAsync(repository, reference, cancellationToken);
            var deleted = await driver.DeleteAsync(StoragePaths.TagLink(repository.Name, tag), cancellationToken);
            if (deleted && untagged is not null)
            {
                await MarkUntaggedAsync(driver, repository, Digest.Parse(untagged.Digest), cancellationToken);
            }

            return deleted ? new ManifestDeletion(untagged, [tag]) : null;
        }

        var digest = reference.Digest!.Value;
        var manifest = await ResolveAsync(repository, reference, cancellationToken);
        if (manifest is null)
        {
            return null;
        }

        var removedTags = new List<string>();
        await foreach (var candidate in driver.ListAsync(StoragePaths.Tags(repository.Name), cancellationToken))
        {
            if (OciGrammar.IsTag(candidate) && await ReadTagAsync(driver, repository, candidate, cancellationToken) == digest &&
                await driver.DeleteAsync(StoragePaths.TagLink(repository.Name, candidate), cancellationToken))
            {
                removedTags.Add(candidate);
            }
        }

        if (manifest.Subject is { } subject && Digest.TryParse(subject, out var subjectDigest))
        {
            await driver.DeleteAsync(StoragePaths.ReferrerLink(repository.Name, subjectDigest, digest), cancellationToken);
        }

        await driver.DeleteAsync(StoragePaths.ManifestRevision(repository.Name, digest), cancellationToken);
        await driver.DeleteAsync(StoragePaths.ManifestUntagged(repository.Name, digest), cancellationToken);
        return new ManifestDeletion(manifest, removedTags);
    }

    public async Task<RepositoryDeletion?> DeleteRepositoryAsync(RepositoryPath repository, CancellationToken cancellationToken)
    {
        var driver = storage.ForRegistry(repository.Registry);
        var holds = false;
        await foreach (var child in driver.ListAsync(StoragePaths.Repository(repository.Name), cancellationToken))
        {
            holds |= child is StoragePaths.ManifestsDirectory or StoragePaths.LayersDirectory;
        }

        if (!holds)
        {
            return null;
        }

        var tags = new List<string>();
        await foreach (var tag in driver.ListAsync(StoragePaths.Tags(repository.Name), cancellationToken))
        {
            if (OciGrammar.IsTag(tag))
            {
                tags.Add(tag);
            }
        }

        var manifests = await DigestsUnderAsync(driver, algorithm => StoragePaths.ManifestRevisions(repository.Name, algorithm), cancellationToken);
        var layers = await DigestsUnderAsync(driver, algorithm => StoragePaths.LayerLinks(repository.Name, algorithm), cancellationToken);
        foreach (var prefix in StoragePaths.RepositoryOwnData(repository.Name))
        {
            await driver.DeletePrefixAsync(prefix, cancellationToken);
        }

        tags.Sort(StringComparer.Ordinal);
        return new RepositoryDeletion(manifests, tags, layers);
    }

    private static async Task<List<string>> DigestsUnderAsync(IStorageDriver driver, Func<string, string> folder, CancellationToken cancellationToken)
    {
        var digests = new List<string>();
        foreach (var algorithm in new[] { Digest.Sha256, Digest.Sha512 })
        {
            await foreach (var hex in driver.ListAsync(folder(algorithm), cancellationToken))
            {
                if (Digest.TryParse($"{algorithm}:{hex}", out var digest))
                {
                    digests.Add(digest.ToString());
                }
            }
        }

        digests.Sort(StringComparer.Ordinal);
        return digests;
    }

    public async Task<Page<string>?> ListTagsAsync(RepositoryPath repository, int? limit, string? last, CancellationToken cancellationToken)
    {
        var driver = storage.ForRegistry(repository.Registry);
        if (!await RepositoryExistsAsync(driver, repository.Name, cancellationToken))
        {
            return null;
        }

        var tags = new List<string>();
        await foreach (var tag in driver.ListAsync(StoragePaths.Tags(repository.Name), cancellationToken))
        {
            if (OciGrammar.IsTag(tag))
            {
                tags.Add(tag);
            }
        }

        return Paginate(tags, limit, last);
    }

    public async Task<IReadOnlyList<Descriptor>> ListReferrersAsync(RepositoryPath repository, Digest subject, CancellationToken cancellationToken)
    {
        var driver = storage.ForRegistry(repository.Registry);
        var folder = StoragePaths.Referrers(repository.Name, subject);
        var result = new List<Descriptor>();
        await foreach (var name in driver.ListAsync(folder, cancellationToken))
        {
            var link = await driver.ReadAsync($"{folder}/{name}", cancellationToken);
            if (link is not null && JsonSerializer.Deserialize(link.Content.Span, DistributionJson.Default.Descriptor) is { } descriptor)
            {
                result.Add(descriptor);
            }
        }

        result.Sort((a, b) => string.CompareOrdinal(a.Digest, b.Digest));
        return result;
    }

    public async Task<Page<string>> ListRepositoriesAsync(string registry, int? limit, string? last, CancellationToken cancellationToken)
    {
        var driver = storage.ForRegistry(registry);
        var repositories = new List<string>();
        await CollectRepositoriesAsync(driver, string.Empty, repositories, cancellationToken);
        return Paginate(repositories, limit, last);
    }

    internal static Page<string> Paginate(List<string> items, int? limit, string? last)
    {
        items.Sort(StringComparer.Ordinal);
        var start = 0;
        if (last is not null)
        {
            start = items.BinarySearch(last, StringComparer.Ordinal);
            start = start >= 0 ? start + 1 : ~start;
        }

        var count = Math.Min(limit ?? int.MaxValue, items.Count - start);
        var page = items.GetRange(start, Math.Max(count, 0));
        var more = start + page.Count < items.Count;
        return new Page<string>(page, more && page.Count > 0 ? page[^1] : null);
    }

    private async Task EnsureReferencesExistAsync(RepositoryPath repository, Manifest manifest, CancellationToken cancellationToken)
    {
        foreach (var required in manifest.RequiredBlobs)
        {
            var digest = Digest.Parse(required.Digest);
            var blob = await blobs.StatAsync(repository, digest, cancellationToken)
                ?? throw new OciException(OciErrorCode.ManifestBlobUnknown, $"blob {digest} is not in repository {repository.Name}; push it first", new { digest = required.Digest });
            if (blob.Size != required.Size)
            {
                throw new OciException(
                    OciErrorCode.ManifestInvalid,
                    $"descriptor of {digest} gives size {required.Size} but the blob has {blob.Size} bytes",
                    new { digest = required.Digest, descriptorSize = required.Size, blobSize = blob.Size });
            }
        }

        foreach (var child in manifest.Manifests)
        {
            var digest = Digest.Parse(child.Digest);
            if (await ResolveAsync(repository, Reference.Parse(child.Digest), cancellationToken) is null)
            {
                throw new OciException(OciErrorCode.ManifestBlobUnknown, $"manifest {digest} listed in the index is not in repository {repository.Name}; push it first", new { digest = child.Digest });
            }
        }
    }

    /// <summary>
    /// After a garbage collection swept while this push was in flight: every blob the manifest needs must still be stored,
    /// else the push is undone and refused (the client pushes again), never acknowledged with a blob missing.
    /// </summary>
    private static async Task EnsureStillStoredAsync(IStorageDriver driver, RepositoryPath repository, Manifest manifest, Digest digest, CancellationToken cancellationToken)
    {
        var needed = manifest.RequiredBlobs.Select(blob => blob.Digest).Concat(manifest.Manifests.Select(child => child.Digest)).Select(Digest.Parse).Prepend(digest);
        foreach (var blob in needed)
        {
            if (await driver.GetInfoAsync(StoragePaths.BlobData(blob), cancellationToken) is null)
            {
                if (manifest.Subject is { } subject)
                {
                    await driver.DeleteAsync(StoragePaths.ReferrerLink(repository.Name, Digest.Parse(subject.Digest), digest), cancellationToken);
                }

                await driver.DeleteAsync(StoragePaths.ManifestRevision(repository.Name, digest), cancellationToken);
                throw new OciException(
                    OciErrorCode.ManifestBlobUnknown,
                    $"blob {blob} was garbage collected while this push was in flight; push the image again",
                    new { digest = blob.ToString() });
            }
        }
    }

    private static async Task<Digest?> ReadTagAsync(IStorageDriver driver, RepositoryPath repository, string tag, CancellationToken cancellationToken)
    {
        var link = await driver.ReadAsync(StoragePaths.TagLink(repository.Name, tag), cancellationToken);
        return link is not null && Digest.TryParse(Encoding.ASCII.GetString(link.Content.Span), out var digest) ? digest : null;
    }

    /// <summary>Compare-and-swap on the tag link so concurrent pushes of one tag leave exactly one of them, never a torn link.</summary>
    private static async Task WriteTagAsync(IStorageDriver driver, RepositoryPath repository, string tag, Digest digest, CancellationToken cancellationToken)
    {
        var path = StoragePaths.TagLink(repository.Name, tag);
        var content = Encoding.ASCII.GetBytes(digest.ToString());
        for (var attempt = 1; ; attempt++)
        {
            var current = await driver.ReadAsync(path, cancellationToken);
            try
            {
                await driver.WriteAsync(path, content, StorageCondition.Replacing(current?.ETag), cancellationToken);
                if (current is not null && Digest.TryParse(Encoding.ASCII.GetString(current.Content.Span), out var previous) && previous != digest)
                {
                    await MarkUntaggedAsync(driver, repository, previous, cancellationToken);
                }

                return;
            }
            catch (StoragePreconditionFailedException) when (attempt < TagWriteAttempts)
            {
                await Task.Delay(Random.Shared.Next(1, 5 * attempt), cancellationToken);
            }
        }
    }

    /// <summary>When the manifest last lost a tag; it may still hold others, which the retention pass checks itself.</summary>
    private static Task MarkUntaggedAsync(IStorageDriver driver, RepositoryPath repository, Digest digest, CancellationToken cancellationToken) =>
        driver.WriteAsync(StoragePaths.ManifestUntagged(repository.Name, digest), ReadOnlyMemory<byte>.Empty, cancellationToken: cancellationToken);

    private static async Task<bool> RepositoryExistsAsync(IStorageDriver driver, string repository, CancellationToken cancellationToken)
    {
        await foreach (var child in driver.ListAsync(StoragePaths.Repository(repository), cancellationToken))
        {
            if (child == StoragePaths.ManifestsDirectory)
            {
                return true;
            }
        }

        return false;
    }

    private static async Task CollectRepositoriesAsync(IStorageDriver driver, string prefix, List<string> repositories, CancellationToken cancellationToken)
    {
        var folder = prefix.Length == 0 ? StoragePaths.RepositoriesRoot : $"{StoragePaths.RepositoriesRoot}/{prefix}";
        var children = new List<string>();
        await foreach (var child in driver.ListAsync(folder, cancellationToken))
        {
            children.Add(child);
        }

        if (prefix.Length > 0 && children.Contains(StoragePaths.ManifestsDirectory))
        {
            repositories.Add(prefix);
        }

        foreach (var child in children.Where(c => !c.StartsWith('_')))
        {
            await CollectRepositoriesAsync(driver, prefix.Length == 0 ? child : $"{prefix}/{child}", repositories, cancellationToken);
        }
    }
}
