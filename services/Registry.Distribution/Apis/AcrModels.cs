using System.Text.Json;
using System.Text.Json.Serialization;
using Registry.Distribution.Core;
using Registry.Distribution.Metadata;
using Registry.Oci;
using Registry.Security;
using Registry.Storage;

namespace Registry.Distribution.Apis;

internal sealed record AcrRepository(
    [property: JsonPropertyName("registry")] string Registry,
    [property: JsonPropertyName("imageName")] string ImageName,
    [property: JsonPropertyName("createdTime")] DateTimeOffset? CreatedTime,
    [property: JsonPropertyName("lastUpdateTime")] DateTimeOffset? LastUpdateTime,
    [property: JsonPropertyName("manifestCount")] int ManifestCount,
    [property: JsonPropertyName("tagCount")] int TagCount,
    [property: JsonPropertyName("changeableAttributes")] ChangeableAttributes ChangeableAttributes,
    [property: JsonPropertyName("immutableTags")] bool ImmutableTags,
    [property: JsonPropertyName("pullCount")] long PullCount,
    [property: JsonPropertyName("lastPulledTime")] DateTimeOffset? LastPulledTime);

internal sealed record AcrTag(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("createdTime")] DateTimeOffset CreatedTime,
    [property: JsonPropertyName("lastUpdateTime")] DateTimeOffset LastUpdateTime,
    [property: JsonPropertyName("signed")] bool Signed,
    [property: JsonPropertyName("changeableAttributes")] ChangeableAttributes ChangeableAttributes,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("pullCount")] long PullCount,
    [property: JsonPropertyName("lastPulledTime")] DateTimeOffset? LastPulledTime);

internal sealed record AcrManifest(
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("imageSize")] long ImageSize,
    [property: JsonPropertyName("createdTime")] DateTimeOffset CreatedTime,
    [property: JsonPropertyName("lastUpdateTime")] DateTimeOffset LastUpdateTime,
    [property: JsonPropertyName("mediaType")] string MediaType,
    [property: JsonPropertyName("architecture")] string? Architecture,
    [property: JsonPropertyName("os")] string? Os,
    [property: JsonPropertyName("tags")] IReadOnlyList<string> Tags,
    [property: JsonPropertyName("changeableAttributes")] ChangeableAttributes ChangeableAttributes,
    [property: JsonPropertyName("pullCount")] long PullCount,
    [property: JsonPropertyName("lastPulledTime")] DateTimeOffset? LastPulledTime);

internal sealed record AcrTagList(
    [property: JsonPropertyName("registry")] string Registry,
    [property: JsonPropertyName("imageName")] string ImageName,
    [property: JsonPropertyName("tags")] IReadOnlyList<AcrTag> Tags);

internal sealed record AcrTagResult(
    [property: JsonPropertyName("registry")] string Registry,
    [property: JsonPropertyName("imageName")] string ImageName,
    [property: JsonPropertyName("tag")] AcrTag Tag);

internal sealed record AcrManifestList(
    [property: JsonPropertyName("registry")] string Registry,
    [property: JsonPropertyName("imageName")] string ImageName,
    [property: JsonPropertyName("manifests")] IReadOnlyList<AcrManifest> Manifests);

internal sealed record AcrManifestResult(
    [property: JsonPropertyName("registry")] string Registry,
    [property: JsonPropertyName("imageName")] string ImageName,
    [property: JsonPropertyName("manifest")] AcrManifest Manifest);

internal sealed record DeletedRepository(
    [property: JsonPropertyName("manifestsDeleted")] IReadOnlyList<string> ManifestsDeleted,
    [property: JsonPropertyName("tagsDeleted")] IReadOnlyList<string> TagsDeleted);

/// <summary>The two fields of an image configuration the ACR API shows.</summary>
internal sealed record ImageConfig(
    [property: JsonPropertyName("architecture")] string? Architecture,
    [property: JsonPropertyName("os")] string? Os);

/// <summary>Builds the ACR repository API's views of a repository, its tags and its manifests from storage and metadata.</summary>
internal sealed class AcrViews(IStorageDriverFactory storage, IRepositoryMetadata metadata, IManifestStore manifests, IBlobStore blobs, RegistryHosts hosts)
{
    /// <summary>Image configurations larger than this are not read for their platform.</summary>
    private const long MaxConfigBytes = 1024 * 1024;

    private static readonly HashSet<string> SignatureTypes = new(StringComparer.Ordinal)
    {
        "application/vnd.cncf.notary.signature",
        "application/vnd.dev.cosign.artifact.sig.v1+json",
        "application/vnd.dev.sigstore.bundle.v0.3+json",
    };

    public string LoginServer(RepositoryPath repository) => hosts.LoginServer(repository.Registry);

    public IStorageDriver Storage(RepositoryPath repository) => storage.ForRegistry(repository.Registry);

    public async Task<AcrRepository> RepositoryAsync(RepositoryPath repository, CancellationToken cancellationToken)
    {
        var driver = Storage(repository);
        var tags = await RepositoryContent.TagsAsync(driver, repository, cancellationToken);
        var stored = await RepositoryContent.ManifestsAsync(driver, repository, cancellationToken);
        var document = await metadata.GetRepositoryAsync(repository, cancellationToken);
        var pulls = (await metadata.GetPullsAsync(repository, cancellationToken)).Repository;
        var times = tags.Select(tag => tag.LastUpdated).Concat(stored.Select(manifest => manifest.LastUpdated)).ToList();
        return new AcrRepository(
            LoginServer(repository),
            repository.Name,
            document.CreatedTime ?? (times.Count == 0 ? null : times.Min()),
            times.Count == 0 ? null : times.Max(),
            stored.Count,
            tags.Count,
            document.ChangeableAttributes,
            document.ImmutableTags,
            pulls.Count,
            pulls.LastPulledAt);
    }

    public async Task<AcrTag> TagAsync(RepositoryPath repository, TagEntry tag, PullStatistics pulls, CancellationToken cancellationToken)
    {
        var document = await metadata.GetTagAsync(repository, tag.Name, cancellationToken);
        var descriptor = await manifests.ResolveAsync(repository, Reference.Parse(tag.Digest), cancellationToken);
        (long Size, string? Architecture, string? Os)? image = descriptor is null ? null : await ImageAsync(repository, descriptor, cancellationToken);
        var pull = pulls.Tags.GetValueOrDefault(tag.Name) ?? PullRecord.None;
        return new AcrTag(
            tag.Name,
            tag.Digest,
            Earlier(document.CreatedTime, tag.LastUpdated),
            tag.LastUpdated,
            await SignedAsync(repository, tag.Digest, cancellationToken),
            document.ChangeableAttributes,
            image?.Size ?? 0,
            pull.Count,
            pull.LastPulledAt);
    }

    public async Task<AcrManifest> ManifestAsync(
        RepositoryPath repository, ManifestEntry manifest, IReadOnlyList<string> tags, PullStatistics pulls, CancellationToken cancellationToken)
    {
        var descriptor = manifest.Descriptor;
        var document = await metadata.GetManifestAsync(repository, Digest.Parse(descriptor.Digest), cancellationToken);
        var image = await ImageAsync(repository, descriptor, cancellationToken);
        var pull = pulls.Manifests.GetValueOrDefault(descriptor.Digest) ?? PullRecord.None;
        return new AcrManifest(
            descriptor.Digest,
            image.Size,
            Earlier(document.CreatedTime, manifest.LastUpdated),
            manifest.LastUpdated,
            descriptor.MediaType,
            image.Architecture,
            image.Os,
            tags,
            document.ChangeableAttributes,
            pull.Count,
            pull.LastPulledAt);
    }

    /// <summary>
    /// The size of what the manifest references (its own bytes, its config and layers, or an index's child manifests),
    /// and for an image its platform from the config.
    /// </summary>
    private async Task<(long Size, string? Architecture, string? Os)> ImageAsync(RepositoryPath repository, ManifestDescriptor descriptor, CancellationToken cancellationToken)
    {
        var content = await manifests.ReadContentAsync(repository, descriptor, cancellationToken);
        if (content is null)
        {
            return (descriptor.Size, null, null);
        }

        var parsed = ManifestParser.Parse(content.Value.Span, descriptor.MediaType);
        var size = descriptor.Size + parsed.RequiredBlobs.Concat(parsed.Manifests).Sum(referenced => referenced.Size);
        if (parsed.IsIndex || parsed.Config is not { MediaType: MediaTypes.OciConfig or "application/vnd.docker.container.image.v1+json", Size: <= MaxConfigBytes } config
            || await blobs.StatAsync(repository, Digest.Parse(config.Digest), cancellationToken) is not { } blob)
        {
            return (size, null, null);
        }

        try
        {
            await using var stream = await blobs.OpenReadAsync(repository, blob, 0, null, cancellationToken);
            var platform = await JsonSerializer.DeserializeAsync(stream, MetadataJson.Default.ImageConfig, cancellationToken);
            return (size, platform?.Architecture, platform?.Os);
        }
        catch (JsonException)
        {
            return (size, null, null);
        }
    }

    /// <summary>The time first pushed is recorded just after the link is written: it is never later than the link's time.</summary>
    private static DateTimeOffset Earlier(DateTimeOffset? created, DateTimeOffset updated) => created is { } at && at < updated ? at : updated;

    private async Task<bool> SignedAsync(RepositoryPath repository, string digest, CancellationToken cancellationToken) =>
        (await manifests.ListReferrersAsync(repository, Digest.Parse(digest), cancellationToken))
            .Any(referrer => referrer.ArtifactType is { } type && SignatureTypes.Contains(type));
}
