using System.Runtime.CompilerServices;
using System.Text.Json;
using Registry.Distribution.Metadata;
using Registry.Oci;
using Registry.Storage;

namespace Registry.Distribution.Core;

/// <summary>
/// How replication brings one region's changeable attributes (locks, listing, immutable tags) to another's: document by
/// document, the latest change (<see cref="MetadataDocument.LastUpdateTime"/>) wins. Pull statistics stay per region.
/// </summary>
public static class AttributesReplication
{
    /// <summary>The documents a <c>RepositoryAttributesChanged</c> names: the repository's (which also lists unlisted tags) and the tag's or manifest's.</summary>
    public static IReadOnlyList<string> DocumentsOf(string repository, string? tag, string? manifest)
    {
        var paths = new List<string> { StoragePaths.RepositoryAttributes(repository) };
        if (tag is not null && OciGrammar.IsTag(tag))
        {
            paths.Add(StoragePaths.TagAttributes(repository, tag));
        }

        if (manifest is not null && Digest.TryParse(manifest, out var digest))
        {
            paths.Add(StoragePaths.ManifestAttributes(repository, digest));
        }

        return paths;
    }

    /// <summary>Every attributes document of the repository in this region's storage that was ever changed (created-only ones are skipped).</summary>
    public static async IAsyncEnumerable<string> ChangedDocumentsAsync(
        IStorageDriver driver, string repository, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(driver);
        var folders = new List<string> { StoragePaths.TagsAttributes(repository) };
        folders.AddRange(new[] { Digest.Sha256, Digest.Sha512 }.Select(algorithm => StoragePaths.ManifestsAttributes(repository, algorithm)));
        var candidates = new List<string> { StoragePaths.RepositoryAttributes(repository) };
        foreach (var folder in folders)
        {
            await foreach (var name in driver.ListAsync(folder, cancellationToken))
            {
                if (name.EndsWith(".json", StringComparison.Ordinal))
                {
                    candidates.Add($"{folder}/{name}");
                }
            }
        }

        foreach (var path in candidates)
        {
            if (await driver.ReadAsync(path, cancellationToken) is { } stored && LastUpdateOf(stored.Content.Span) is not null)
            {
                yield return path;
            }
        }
    }

    /// <summary>Copies the document from <paramref name="source"/> when its change is newer than what the target holds; true when copied.</summary>
    public static async Task<bool> CopyIfNewerAsync(IStorageDriver source, IStorageDriver target, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        for (var attempt = 1; ; attempt++)
        {
            if (await source.ReadAsync(path, cancellationToken) is not { } stored || LastUpdateOf(stored.Content.Span) is not { } changed)
            {
                return false;
            }

            var current = await target.ReadAsync(path, cancellationToken);
            if (current is not null && LastUpdateOf(current.Content.Span) is { } held && held >= changed)
            {
                return false;
            }

            try
            {
                await target.WriteAsync(path, stored.Content, StorageCondition.Replacing(current?.ETag), cancellationToken);
                return true;
            }
            catch (StoragePreconditionFailedException) when (attempt < 8)
            {
                // Changed in the target meanwhile: compare again.
            }
        }
    }

    private static DateTimeOffset? LastUpdateOf(ReadOnlySpan<byte> content)
    {
        try
        {
            return JsonSerializer.Deserialize(content, MetadataJson.Default.MetadataDocument)?.LastUpdateTime;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
