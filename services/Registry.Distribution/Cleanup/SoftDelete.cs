using System.Text.Json;
using System.Text.Json.Serialization;
using Registry.Distribution.Apis;
using Registry.Distribution.Core;
using Registry.Distribution.Events;
using Registry.Oci;
using Registry.Storage;

namespace Registry.Distribution.Cleanup;

/// <summary>A manifest deleted while the registry's soft-delete policy was on: restorable until <see cref="ExpiresAt"/>.</summary>
internal sealed record SoftDeletedManifest
{
    public required string Repository { get; init; }

    public required string Digest { get; init; }

    public required string MediaType { get; init; }

    public required long Size { get; init; }

    public string? Subject { get; init; }

    public string? ArtifactType { get; init; }

    public required IReadOnlyList<string> Tags { get; init; }

    public required DateTimeOffset DeletedAt { get; init; }

    public string? DeletedBy { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }
}

/// <summary>The soft-delete records of a repository in storage (<see cref="StoragePaths.SoftDeletedManifest"/>).</summary>
internal static class SoftDeleteRecords
{
    public static async Task<List<SoftDeletedManifest>> ListAsync(IStorageDriver driver, string repository, CancellationToken cancellationToken)
    {
        var records = new List<SoftDeletedManifest>();
        var folder = StoragePaths.SoftDeletedManifests(repository);
        await foreach (var name in driver.ListAsync(folder, cancellationToken))
        {
            if (name.EndsWith(".json", StringComparison.Ordinal) && await driver.ReadAsync($"{folder}/{name}", cancellationToken) is { } stored
                && JsonSerializer.Deserialize(stored.Content.Span, CleanupJson.Default.SoftDeletedManifest) is { } record)
            {
                records.Add(record);
            }
        }

        records.Sort((a, b) => string.CompareOrdinal(a.Digest, b.Digest));
        return records;
    }

    public static async Task<SoftDeletedManifest?> ReadAsync(IStorageDriver driver, string repository, Digest digest, CancellationToken cancellationToken) =>
        await driver.ReadAsync(StoragePaths.SoftDeletedManifest(repository, digest), cancellationToken) is { } stored
            ? JsonSerializer.Deserialize(stored.Content.Span, CleanupJson.Default.SoftDeletedManifest)
            : null;

    public static Task WriteAsync(IStorageDriver driver, SoftDeletedManifest record, CancellationToken cancellationToken) =>
        driver.WriteAsync(
            StoragePaths.SoftDeletedManifest(record.Repository, Digest.Parse(record.Digest)),
            JsonSerializer.SerializeToUtf8Bytes(record, CleanupJson.Default.SoftDeletedManifest),
            cancellationToken: cancellationToken);

    public static Task<bool> DeleteAsync(IStorageDriver driver, string repository, string digest, CancellationToken cancellationToken) =>
        driver.DeleteAsync(StoragePaths.SoftDeletedManifest(repository, Digest.Parse(digest)), cancellationToken);
}

/// <summary>
/// Soft delete around the core manifest store (every region's, see <see cref="RegionContentStores"/>): with the registry's
/// <c>softDeleteDays</c> set, a manifest deleted by digest, by repository delete, by purge or by retention is first
/// recorded under <see cref="StoragePaths.SoftDeletedManifest"/>, so garbage collection keeps its blobs and it can be
/// restored until the record expires. The record is written before the delete: a collection running in between still
/// sees the manifest one way or the other.
/// </summary>
internal sealed class SoftDeletingManifestStore(
    IManifestStore inner, IStorageDriverFactory storage, IRegistryDirectory registries, IHttpContextAccessor requests, TimeProvider time)
    : ManifestStoreDecorator(inner)
{
    public override async Task<ManifestDeletion?> DeleteAsync(RepositoryPath repository, Reference reference, CancellationToken cancellationToken)
    {
        if (reference.Digest is not { } digest || await RetentionAsync(repository.Registry, cancellationToken) is not { } days)
        {
            return await Inner.DeleteAsync(repository, reference, cancellationToken);
        }

        var driver = storage.ForRegistry(repository.Registry);
        var content = await new RegistryContentReader(driver).ReadAsync(repository.Name, cancellationToken);
        var manifest = content.Manifests.FirstOrDefault(m => m.Digest == digest.ToString());
        if (manifest is null)
        {
            return await Inner.DeleteAsync(repository, reference, cancellationToken);
        }

        var record = Record(repository, manifest.Descriptor, [.. content.TagsByDigest[manifest.Digest].Select(tag => tag.Name)], days);
        await SoftDeleteRecords.WriteAsync(driver, record, cancellationToken);
        var deletion = await Inner.DeleteAsync(repository, reference, cancellationToken);
        if (deletion is not null && !deletion.Tags.Order(StringComparer.Ordinal).SequenceEqual(record.Tags, StringComparer.Ordinal))
        {
            await SoftDeleteRecords.WriteAsync(driver, record with { Tags = [.. deletion.Tags.Order(StringComparer.Ordinal)] }, cancellationToken);
        }

        return deletion;
    }

    public override async Task<RepositoryDeletion?> DeleteRepositoryAsync(RepositoryPath repository, CancellationToken cancellationToken)
    {
        if (await RetentionAsync(repository.Registry, cancellationToken) is { } days)
        {
            var driver = storage.ForRegistry(repository.Registry);
            var content = await new RegistryContentReader(driver).ReadAsync(repository.Name, cancellationToken);
            var tags = content.TagsByDigest;
            foreach (var manifest in content.Manifests)
            {
                await SoftDeleteRecords.WriteAsync(driver, Record(repository, manifest.Descriptor, [.. tags[manifest.Digest].Select(tag => tag.Name)], days), cancellationToken);
            }
        }

        return await Inner.DeleteRepositoryAsync(repository, cancellationToken);
    }

    /// <summary>
    /// The registry's soft-delete days, or null when it is off. While the auth service cannot say, a delete is kept as a
    /// soft delete for the default days: when unsure, nothing is lost (it can be restored, and it expires on its own).
    /// </summary>
    private async Task<int?> RetentionAsync(string registry, CancellationToken cancellationToken)
    {
        try
        {
            return (await registries.FindAsync(registry, cancellationToken))?.Policies.SoftDeleteDays is { } days and > 0 ? days : null;
        }
        catch (RegistryDirectoryUnavailableException)
        {
            return DaysWhilePolicyUnknown;
        }
    }

    private const int DaysWhilePolicyUnknown = 7;

    private SoftDeletedManifest Record(RepositoryPath repository, ManifestDescriptor manifest, IReadOnlyList<string> tags, int days)
    {
        var now = time.GetUtcNow();
        return new SoftDeletedManifest
        {
            Repository = repository.Name,
            Digest = manifest.Digest,
            MediaType = manifest.MediaType,
            Size = manifest.Size,
            Subject = manifest.Subject,
            ArtifactType = manifest.ArtifactType,
            Tags = tags,
            DeletedAt = now,
            DeletedBy = EventOrigin.Current?.Actor ?? (requests.HttpContext is { } context ? V2Access.ActorOf(context) : null),
            ExpiresAt = now.AddDays(days),
        };
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SoftDeletedManifest))]
[JsonSerializable(typeof(CleanupLeaseRecord))]
[JsonSerializable(typeof(PurgeRule))]
[JsonSerializable(typeof(CleanupRun))]
[JsonSerializable(typeof(Usage.UsageSummary))]
internal sealed partial class CleanupJson : JsonSerializerContext;
