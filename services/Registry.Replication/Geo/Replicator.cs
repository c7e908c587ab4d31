using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Registry.Contracts;
using Registry.Distribution.Core;
using Registry.Messaging;
using Registry.Oci;
using Registry.Storage;

namespace Registry.Replication.Geo;

/// <summary>
/// Applies one region's changes to another, straight between the regions' storage: blobs first (linked when the region
/// has them already, else streamed in chunks through an upload that survives an interruption), child manifests next,
/// the manifest and its tag last. Tags converge on the change with the greatest (acknowledged time, region) — the
/// documented rule for concurrent pushes — through a marker per tag and region. Nothing here raises push or delete
/// events again; a manifest landing in a region raises <see cref="ReplicaSynced"/>.
/// </summary>
internal sealed partial class Replicator(
    IServiceProvider services,
    RegionalStorage regions,
    ReplicationStatus status,
    IEventOutbox outbox,
    TimeProvider time,
    ILogger<Replicator> logger)
{
    /// <summary>A blob is copied in chunks of this size, each one durable before the next: what an interrupted copy keeps.</summary>
    internal const long ChunkBytes = 64L * 1024 * 1024;

    /// <summary>
    /// Blobs up to this size (configs, small layers: most blobs of a catch-up) are copied in one write, not through a
    /// resumable upload: starting such a copy again costs less than the upload's bookkeeping.
    /// </summary>
    internal const long WholeCopyMaxBytes = 1024 * 1024;

    private readonly ConcurrentDictionary<string, ContentStores> _stores = new(StringComparer.Ordinal);
    private readonly KeyedLock _tags = new();
    private readonly KeyedLock _blobs = new();

    public ContentStores Stores(string region) =>
        _stores.GetOrAdd(region, r => RegionContentStores.Create(services, regions.For(r), r));

    public async Task ReplicatePushAsync(ManifestPushed pushed, IReadOnlyList<string> targets, CancellationToken cancellationToken)
    {
        var repository = new RepositoryPath(pushed.Registry, pushed.Repository);
        var source = Stores(pushed.Region);
        if (await source.Manifests.ResolveAsync(repository, Reference.Parse(pushed.Digest), cancellationToken) is not { } descriptor)
        {
            return; // deleted since it was pushed: its delete follows
        }

        var change = pushed.Tag is { } tag ? new TagMarker(pushed.Digest, pushed.OccurredAt, pushed.Region, Deleted: false, TagEtag: null) : null;
        await ForEachAsync(targets, pushed.Registry, pushed.OccurredAt, async target =>
        {
            if (change is null)
            {
                await CopyManifestAsync(repository, pushed.Region, target, descriptor, depth: 0, cancellationToken);
            }
            else
            {
                await CopyTaggedManifestAsync(repository, pushed.Region, target, descriptor, pushed.Tag!, change, cancellationToken);
            }

            await outbox.AddAsync(new ReplicaSynced
            {
                EventId = SyncedEventId(pushed.EventId, target),
                Registry = pushed.Registry,
                Region = target,
                SourceRegion = pushed.Region,
                Repository = pushed.Repository,
                Tag = pushed.Tag,
                Digest = pushed.Digest,
                MediaType = pushed.MediaType,
                Size = pushed.Size,
                PushedAt = pushed.OccurredAt,
                OccurredAt = time.GetUtcNow(),
                Actor = pushed.Actor,
                Request = pushed.Request,
                Source = EventSources.ThisProcess,
            }, cancellationToken);
        });

        if (change is not null)
        {
            // The pushing region records the change too, so a later, older change arriving from elsewhere loses there as well.
            await ApplyTagAsync(repository, pushed.Tag!, change, pushed.Region, cancellationToken);
        }
    }

    public Task ReplicateTagDeleteAsync(TagDeleted deleted, IReadOnlyList<string> targets, CancellationToken cancellationToken)
    {
        var repository = new RepositoryPath(deleted.Registry, deleted.Repository);
        var change = new TagMarker(null, deleted.OccurredAt, deleted.Region, Deleted: true, TagEtag: null);
        return ForEachAsync([.. targets, deleted.Region], deleted.Registry, deleted.OccurredAt, target => ApplyTagAsync(repository, deleted.Tag, change, target, cancellationToken));
    }

    public Task ReplicateManifestDeleteAsync(ManifestDeleted deleted, IReadOnlyList<string> targets, CancellationToken cancellationToken)
    {
        var repository = new RepositoryPath(deleted.Registry, deleted.Repository);
        return ForEachAsync(targets, deleted.Registry, deleted.OccurredAt, async target =>
            await Stores(target).Manifests.DeleteAsync(repository, Reference.Parse(deleted.Digest), cancellationToken));
    }

    public Task ReplicateRepositoryDeleteAsync(RepositoryDeleted deleted, IReadOnlyList<string> targets, CancellationToken cancellationToken)
    {
        var repository = new RepositoryPath(deleted.Registry, deleted.Repository);
        return ForEachAsync(targets, deleted.Registry, deleted.OccurredAt, async target =>
            await Stores(target).Manifests.DeleteRepositoryAsync(repository, cancellationToken));
    }

    /// <summary>A lock set in one region holds in every region: the changed documents are copied where they are older.</summary>
    public Task ReplicateAttributesAsync(RepositoryAttributesChanged changed, IReadOnlyList<string> targets, CancellationToken cancellationToken)
    {
        var source = regions.For(changed.Region).ForRegistry(changed.Registry);
        return ForEachAsync(targets, changed.Registry, changed.OccurredAt, async target =>
        {
            var storage = regions.For(target).ForRegistry(changed.Registry);
            foreach (var path in AttributesReplication.DocumentsOf(changed.Repository, changed.Tag, changed.Digest))
            {
                await AttributesReplication.CopyIfNewerAsync(source, storage, path, cancellationToken);
            }
        });
    }

    /// <summary>
    /// Makes <paramref name="target"/> hold a tagged manifest and brings the tag to <paramref name="change"/>. The tag
    /// goes first: writing it copies what the manifest needs and lands the manifest with it (one manifest write, not one
    /// by digest and one more with the tag); the manifest is then copied by digest should the tag not have been written
    /// (a newer change, or a local push, holds it).
    /// </summary>
    public async Task CopyTaggedManifestAsync(
        RepositoryPath repository, string sourceRegion, string target, ManifestDescriptor descriptor, string tag, TagMarker change, CancellationToken cancellationToken)
    {
        await ApplyTagAsync(repository, tag, change, target, cancellationToken);
        await CopyManifestAsync(repository, sourceRegion, target, descriptor, depth: 0, cancellationToken);
    }

    /// <summary>
    /// Makes <paramref name="target"/> hold the manifest (with every blob and child it needs) byte for byte; what it
    /// holds already is not copied again.
    /// </summary>
    public async Task CopyManifestAsync(RepositoryPath repository, string sourceRegion, string target, ManifestDescriptor descriptor, int depth, CancellationToken cancellationToken)
    {
        var manifestDigest = Digest.Parse(descriptor.Digest);
        var storage = regions.For(target).ForRegistry(repository.Registry);
        // Asked of storage, not the cache, which may remember content a deleted replica no longer holds.
        if (await storage.GetInfoAsync(StoragePaths.ManifestRevision(repository.Name, manifestDigest), cancellationToken) is not null
            && await storage.GetInfoAsync(StoragePaths.BlobData(manifestDigest), cancellationToken) is not null)
        {
            return;
        }

        var content = await CopyDependenciesAsync(repository, sourceRegion, target, descriptor, depth, cancellationToken);
        await Stores(target).Manifests.PutAsync(repository, Reference.Parse(descriptor.Digest), content, descriptor.MediaType, [], cancellationToken);
    }

    /// <summary>Copies into <paramref name="target"/> what the manifest needs — its child manifests and blobs — and answers its content.</summary>
    private async Task<ReadOnlyMemory<byte>> CopyDependenciesAsync(
        RepositoryPath repository, string sourceRegion, string target, ManifestDescriptor descriptor, int depth, CancellationToken cancellationToken)
    {
        var from = Stores(sourceRegion);
        var content = await from.Manifests.ReadContentAsync(repository, descriptor, cancellationToken)
            ?? throw new InvalidOperationException($"{repository.Registry}/{repository.Name}@{descriptor.Digest} has no content in {sourceRegion}");
        var manifest = ManifestParser.Parse(content.Span, descriptor.MediaType);
        foreach (var child in manifest.Manifests.Where(_ => depth < 8))
        {
            if (await from.Manifests.ResolveAsync(repository, Reference.Parse(child.Digest), cancellationToken) is { } childDescriptor)
            {
                await CopyManifestAsync(repository, sourceRegion, target, childDescriptor, depth + 1, cancellationToken);
            }
        }

        foreach (var blob in manifest.RequiredBlobs)
        {
            await CopyBlobAsync(repository, sourceRegion, target, Digest.Parse(blob.Digest), cancellationToken);
        }

        return content;
    }

    /// <summary>
    /// Links the blob into the repository when the region has it under another one (cross-repository dedupe), else
    /// copies it from the source: a small blob in one durable write, a large one in chunks through an upload, so a copy
    /// found half done (an instance stopped mid-way) goes on from where it stopped.
    /// </summary>
    public async Task CopyBlobAsync(RepositoryPath repository, string sourceRegion, string target, Digest digest, CancellationToken cancellationToken)
    {
        var to = Stores(target);
        var driver = regions.For(target).ForRegistry(repository.Registry);
        if (await LinkStoredBlobAsync(to, driver, repository, digest, cancellationToken))
        {
            return;
        }

        using var exclusive = await _blobs.AcquireAsync($"{target}/{repository.Registry}/{digest}", cancellationToken);
        if (await LinkStoredBlobAsync(to, driver, repository, digest, cancellationToken))
        {
            return;
        }

        var from = Stores(sourceRegion);
        var blob = await from.Blobs.StatAsync(repository, digest, cancellationToken)
            ?? throw new InvalidOperationException($"blob {digest} of {repository.Registry}/{repository.Name} is not in {sourceRegion}");
        if (blob.Size <= WholeCopyMaxBytes)
        {
            await CopyWholeBlobAsync(repository, from, to, driver, blob, cancellationToken);
        }
        else
        {
            await CopyBlobInChunksAsync(repository, from, to, driver, blob, target, cancellationToken);
        }
    }

    /// <summary>
    /// When the region's storage holds the blob's bytes, makes sure the repository links them and answers true. Asked of
    /// storage itself, not the cache: the region's cache may remember a blob that is gone (a replica deleted and created
    /// again removes the content, not what was cached of it).
    /// </summary>
    private static async Task<bool> LinkStoredBlobAsync(ContentStores to, IStorageDriver driver, RepositoryPath repository, Digest digest, CancellationToken cancellationToken)
    {
        if (await driver.GetInfoAsync(StoragePaths.BlobData(digest), cancellationToken) is not { } data)
        {
            return false;
        }

        if (await driver.GetInfoAsync(StoragePaths.LayerLink(repository.Name, digest), cancellationToken) is null)
        {
            await to.Blobs.LinkAsync(repository, new BlobDescriptor(digest, data.Size), cancellationToken);
        }

        return true;
    }

    /// <summary>
    /// A small blob read whole, checked against its digest and written in one atomic, fsynced write, then linked: two
    /// durable writes instead of an upload's five. A copy cut off leaves nothing behind and starts again from zero.
    /// </summary>
    private static async Task CopyWholeBlobAsync(RepositoryPath repository, ContentStores from, ContentStores to, IStorageDriver driver, BlobDescriptor blob, CancellationToken cancellationToken)
    {
        var content = new byte[blob.Size];
        await using (var source = await from.Blobs.OpenReadAsync(repository, blob, 0, blob.Size, cancellationToken))
        {
            await source.ReadExactlyAsync(content, cancellationToken);
        }

        var actual = Digest.Compute(blob.Digest.Algorithm, content);
        if (actual != blob.Digest)
        {
            throw new InvalidOperationException($"blob {blob.Digest} of {repository.Registry}/{repository.Name} reads as {actual} in the source region");
        }

        await driver.WriteAsync(StoragePaths.BlobData(blob.Digest), content, StorageCondition.None, cancellationToken);
        await to.Blobs.LinkAsync(repository, blob, cancellationToken);
    }

    /// <summary>
    /// A large blob streamed in <see cref="ChunkBytes"/> chunks through an upload recorded in the region
    /// (<see cref="StoragePaths.ReplicationCopy"/>), resumed when one is recorded. That record is shared by every process
    /// copying into the region while the copy lock is per process, so another process may take the same upload over and
    /// complete (or give up) it under this one: then the blob is linked when its bytes landed, else copied once more
    /// through an upload of its own.
    /// </summary>
    private async Task CopyBlobInChunksAsync(
        RepositoryPath repository, ContentStores from, ContentStores to, IStorageDriver driver, BlobDescriptor blob, string target, CancellationToken cancellationToken)
    {
        var copyPath = StoragePaths.ReplicationCopy(blob.Digest);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var upload = attempt == 1
                    ? await ResumableUploadAsync(driver, copyPath, repository, to.Uploads, cancellationToken)
                    : await StartRecordedUploadAsync(driver, copyPath, repository, to.Uploads, cancellationToken);
                var offset = upload.Size;
                if (offset > 0)
                {
                    LogResumed(logger, repository.Registry, blob.Digest, target, offset, blob.Size);
                }

                while (offset < blob.Size)
                {
                    var length = Math.Min(ChunkBytes, blob.Size - offset);
                    await using var chunk = await from.Blobs.OpenReadAsync(repository, blob, offset, length, cancellationToken);
                    offset = (await to.Uploads.AppendAsync(repository, upload.Id, chunk, offset, cancellationToken)).Size;
                }

                await to.Uploads.CompleteAsync(repository, upload.Id, blob.Digest, cancellationToken);
                await driver.DeleteAsync(copyPath, cancellationToken);
                return;
            }
            catch (Exception ex) when (IsUploadTakenOver(ex))
            {
                if (await LinkStoredBlobAsync(to, driver, repository, blob.Digest, cancellationToken))
                {
                    LogCopiedByAnother(logger, repository.Registry, blob.Digest, target);
                    return;
                }

                if (attempt >= 2)
                {
                    throw;
                }

                LogCopyRestarted(logger, ex, repository.Registry, blob.Digest, target);
            }
        }
    }

    /// <summary>What an upload answers when another process completed, cancelled or appended to it meanwhile.</summary>
    private static bool IsUploadTakenOver(Exception exception) =>
        exception is StorageNotFoundException or StoragePreconditionFailedException
        || (exception is OciException oci && (oci.Error == OciErrorCode.BlobUploadUnknown || oci.Error == OciErrorCode.DigestInvalid || oci.Error == OciErrorCode.RangeInvalid));

    private static async Task<UploadStatus> ResumableUploadAsync(IStorageDriver driver, string copyPath, RepositoryPath repository, IUploadStore uploads, CancellationToken cancellationToken)
    {
        if (await driver.ReadAsync(copyPath, cancellationToken) is { } stored
            && JsonSerializer.Deserialize(stored.Content.Span, GeoJson.Default.BlobCopy) is { } copy
            && copy.Repository == repository.Name
            && await uploads.GetAsync(repository, copy.UploadId, cancellationToken) is { } resumed)
        {
            return resumed;
        }

        return await StartRecordedUploadAsync(driver, copyPath, repository, uploads, cancellationToken);
    }

    private static async Task<UploadStatus> StartRecordedUploadAsync(IStorageDriver driver, string copyPath, RepositoryPath repository, IUploadStore uploads, CancellationToken cancellationToken)
    {
        var upload = await uploads.StartAsync(repository, cancellationToken);
        await driver.WriteAsync(
            copyPath,
            JsonSerializer.SerializeToUtf8Bytes(new BlobCopy(repository.Name, upload.Id, DateTimeOffset.UtcNow), GeoJson.Default.BlobCopy),
            StorageCondition.None,
            cancellationToken);
        return upload;
    }

    /// <summary>
    /// Brings one tag in <paramref name="region"/> to the newest change known there. The marker is written first (with
    /// no tag ETag: "replication is writing"), the tag next, the ETag last; a tag changed since replication last left it
    /// — a local push whose own event has not been applied yet — is left for that event, in the region that pushed it.
    /// </summary>
    public async Task ApplyTagAsync(RepositoryPath repository, string tag, TagMarker change, string region, CancellationToken cancellationToken)
    {
        using var exclusive = await _tags.AcquireAsync($"{region}/{repository.Registry}/{repository.Name}:{tag}", cancellationToken);
        var driver = regions.For(region).ForRegistry(repository.Registry);
        var markerPath = StoragePaths.ReplicationTagMarker(repository.Name, tag);
        string? overtaken = null;
        for (var attempt = 1; ; attempt++)
        {
            var stored = await driver.ReadAsync(markerPath, cancellationToken);
            var marker = stored is null ? null : JsonSerializer.Deserialize(stored.Content.Span, GeoJson.Default.TagMarker);
            var markerEtag = stored?.ETag;
            var target = marker;
            if (marker is null || change.Supersedes(marker))
            {
                target = change with { TagEtag = await NewMarkerTagEtagAsync(repository, tag, change, marker, region, driver, cancellationToken) };
                try
                {
                    markerEtag = await driver.WriteAsync(markerPath, JsonSerializer.SerializeToUtf8Bytes(target, GeoJson.Default.TagMarker), StorageCondition.Replacing(markerEtag), cancellationToken);
                }
                catch (StoragePreconditionFailedException) when (attempt < 16)
                {
                    continue;
                }
            }

            // Another instance may record a newer change while this one writes the tag; a write of ours that lands
            // after that change was applied leaves the tag behind its marker, so the newer change is applied over it.
            overtaken = await EnsureTagAsync(repository, tag, target!, region, driver, markerPath, markerEtag!, overtaken, cancellationToken);
            if (overtaken is null || attempt >= 16)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Null ("replication is writing the tag") but in the region the change was made in, when the tag there has moved
    /// on since replication last left it: a newer local push whose event is still on its way, which must not be undone.
    /// </summary>
    private static async Task<string?> NewMarkerTagEtagAsync(
        RepositoryPath repository, string tag, TagMarker change, TagMarker? previous, string region, IStorageDriver driver, CancellationToken cancellationToken)
    {
        if (region != change.Region)
        {
            return null;
        }

        var (current, etag) = await ReadTagAsync(driver, repository, tag, cancellationToken);
        if (current == (change.Deleted ? null : change.Digest))
        {
            return null;
        }

        // The tag as replication left it, or as replication is writing it (a marker without ETag: another instance is
        // bringing the tag to that change) is not a local push.
        var replicated = previous is not null
            && (previous.TagEtag == etag || (previous.TagEtag is null && current == (previous.Deleted ? null : previous.Digest)));
        return replicated ? null : Unobserved;
    }

    /// <summary>A tag ETag no stored tag has: the tag holds a change replication has not seen.</summary>
    private const string Unobserved = "unobserved";

    /// <summary>
    /// Brings the tag to <paramref name="marker"/> and records the tag's ETag in it. Returns the ETag of a tag write of
    /// this call that a newer marker overtook (the caller applies that marker over it), else null.
    /// </summary>
    /// <param name="ours">The ETag of this instance's own earlier, overtaken write of the tag: not a local push.</param>
    private async Task<string?> EnsureTagAsync(
        RepositoryPath repository, string tag, TagMarker marker, string region, IStorageDriver driver, string markerPath, string markerEtag, string? ours,
        CancellationToken cancellationToken)
    {
        var (current, tagEtag) = await ReadTagAsync(driver, repository, tag, cancellationToken);
        var wanted = marker.Deleted ? null : marker.Digest;
        var wrote = false;
        if (current != wanted)
        {
            var owned = marker.TagEtag is null || marker.TagEtag == tagEtag || (ours is not null && ours == tagEtag);
            if (!owned)
            {
                return null;
            }

            if (wanted is null)
            {
                await Stores(region).Manifests.DeleteAsync(repository, Reference.Parse(tag), cancellationToken);
            }
            else
            {
                var to = Stores(region);
                ReadOnlyMemory<byte> content;
                if (await to.Manifests.ResolveAsync(repository, Reference.Parse(wanted), cancellationToken) is { } descriptor)
                {
                    content = await to.Manifests.ReadContentAsync(repository, descriptor, cancellationToken)
                        ?? throw new InvalidOperationException($"{repository.Registry}/{repository.Name}@{wanted} has no content in {region}");
                }
                else
                {
                    (var holder, descriptor) = await FindManifestAsync(repository, wanted, [marker.Region, .. regions.Regions], cancellationToken);
                    if (descriptor is null)
                    {
                        return null; // gone everywhere: a delete is on its way
                    }

                    // What the manifest needs now; the manifest itself lands with the tag.
                    content = await CopyDependenciesAsync(repository, holder!, region, descriptor, depth: 0, cancellationToken);
                }

                await to.Manifests.PutAsync(repository, Reference.Parse(tag), content, descriptor.MediaType, [], cancellationToken);
            }

            (_, tagEtag) = await ReadTagAsync(driver, repository, tag, cancellationToken);
            wrote = true;
        }

        if (marker.TagEtag != tagEtag)
        {
            try
            {
                await driver.WriteAsync(markerPath, JsonSerializer.SerializeToUtf8Bytes(marker with { TagEtag = tagEtag ?? "absent" }, GeoJson.Default.TagMarker), StorageCondition.Matches(markerEtag), cancellationToken);
            }
            catch (StoragePreconditionFailedException)
            {
                // A newer change was recorded meanwhile. Whoever recorded it brings the tag to it — unless this write
                // landed after they did: then it is up to this call.
                return wrote ? tagEtag ?? "absent" : null;
            }
        }

        return null;
    }

    private async Task<(string? Region, ManifestDescriptor? Descriptor)> FindManifestAsync(RepositoryPath repository, string digest, IEnumerable<string> candidates, CancellationToken cancellationToken)
    {
        foreach (var region in candidates.Distinct(StringComparer.Ordinal).Where(regions.Contains))
        {
            if (await Stores(region).Manifests.ResolveAsync(repository, Reference.Parse(digest), cancellationToken) is { } descriptor)
            {
                return (region, descriptor);
            }
        }

        return (null, null);
    }

    public static async Task<(string? Digest, string? Etag)> ReadTagAsync(IStorageDriver driver, RepositoryPath repository, string tag, CancellationToken cancellationToken)
    {
        var link = await driver.ReadAsync(StoragePaths.TagLink(repository.Name, tag), cancellationToken);
        return link is null ? (null, "absent") : (Encoding.ASCII.GetString(link.Content.Span).Trim(), link.ETag);
    }

    /// <summary>Runs the change for every target region at once; each region's progress and failure is tracked on its own, and any failure is rethrown.</summary>
    private async Task ForEachAsync(IReadOnlyList<string> targets, string registry, DateTimeOffset occurredAt, Func<string, Task> apply)
    {
        var failures = new List<Exception>();
        await Task.WhenAll(targets.Distinct(StringComparer.Ordinal).Select(async target =>
        {
            using var tracking = status.Begin(registry, target, occurredAt);
            try
            {
                await apply(target);
                tracking.Complete();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                status.Failed(registry, target, ex.Message);
                LogFailed(logger, ex, registry, target);
                lock (failures)
                {
                    failures.Add(ex);
                }
            }
        }));
        if (failures.Count > 0)
        {
            throw new AggregateException(failures);
        }
    }

    /// <summary>One <see cref="ReplicaSynced"/> per push and region, however often the push's message is delivered.</summary>
    private static Guid SyncedEventId(Guid pushEventId, string region)
    {
        var bytes = pushEventId.ToByteArray();
        var salt = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(region));
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] ^= salt[i];
        }

        return new Guid(bytes);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Resuming the copy of {Digest} of {Registry} into {Region} at byte {Offset} of {Size}")]
    private static partial void LogResumed(ILogger logger, string registry, Digest digest, string region, long offset, long size);

    [LoggerMessage(Level = LogLevel.Information, Message = "Another process completed the copy of {Digest} of {Registry} into {Region}; linked it")]
    private static partial void LogCopiedByAnother(ILogger logger, string registry, Digest digest, string region);

    [LoggerMessage(Level = LogLevel.Information, Message = "Another process took over the copy of {Digest} of {Registry} into {Region} and left no blob; copying it again")]
    private static partial void LogCopyRestarted(ILogger logger, Exception exception, string registry, Digest digest, string region);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replicating a change of {Registry} to {Region} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string registry, string region);
}
