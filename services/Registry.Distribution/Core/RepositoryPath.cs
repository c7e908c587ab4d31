using Registry.Oci;

namespace Registry.Distribution.Core;

/// <summary>A repository of one registry; the name is validated against the OCI grammar on construction.</summary>
public sealed record RepositoryPath
{
    public RepositoryPath(string registry, string name)
    {
        Registry = registry;
        Name = OciGrammar.ValidateRepositoryName(name);
    }

    public string Registry { get; }

    public string Name { get; }

    public override string ToString() => $"{Registry}/{Name}";
}

public sealed record BlobDescriptor(Digest Digest, long Size);

/// <summary>What a repository's revision link records of a manifest, so HEAD needs one read.</summary>
public sealed record ManifestDescriptor
{
    public required string Digest { get; init; }

    public required string MediaType { get; init; }

    public required long Size { get; init; }

    public string? Subject { get; init; }

    public string? ArtifactType { get; init; }
}

public sealed record UploadStatus(string Id, RepositoryPath Repository, long Size);

/// <summary>
/// What a manifest delete removed. By digest: the manifest and the tags that pointed at it.
/// By tag: the one tag, with the manifest it pointed at (which stays stored).
/// </summary>
public sealed record ManifestDeletion(ManifestDescriptor? Manifest, IReadOnlyList<string> Tags);

/// <summary>What a repository delete removed: manifest digests, tags and the digests of the layers it linked.</summary>
public sealed record RepositoryDeletion(IReadOnlyList<string> Manifests, IReadOnlyList<string> Tags, IReadOnlyList<string> Layers);

public sealed record Page<T>(IReadOnlyList<T> Items, string? Last);
