namespace Registry.Storage;

/// <summary>
/// The one storage interface: paths are relative, '/'-separated, built only by <see cref="StoragePaths"/>.
/// A driver is rooted at one registry (and region), so nothing of another registry can be reached through it.
/// </summary>
public interface IStorageDriver
{
    /// <summary>Size, ETag and modification time, or null when nothing is stored at <paramref name="path"/>.</summary>
    Task<StorageObjectInfo?> GetInfoAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Reads a small object whole (links, upload state), or null when absent.</summary>
    Task<StorageObject?> ReadAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Opens <paramref name="length"/> bytes (all when null) from <paramref name="offset"/>; throws <see cref="StorageNotFoundException"/>.</summary>
    Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default);

    /// <summary>Writes a small object atomically; readers see the old or the new content, never a torn one.</summary>
    /// <returns>The new ETag.</returns>
    /// <exception cref="StoragePreconditionFailedException">The condition did not hold; nothing was written.</exception>
    Task<string> WriteAsync(string path, ReadOnlyMemory<byte> content, StorageCondition condition = default, CancellationToken cancellationToken = default);

    /// <summary>Appends a stream to an appendable object, creating it when <paramref name="expectedOffset"/> is 0.</summary>
    /// <returns>The object's length after the append.</returns>
    /// <exception cref="StoragePreconditionFailedException">The object's length is not <paramref name="expectedOffset"/>.</exception>
    Task<long> AppendAsync(string path, Stream content, long expectedOffset, CancellationToken cancellationToken = default);

    /// <summary>Makes <paramref name="destination"/> hold the content of <paramref name="source"/> durably, then removes the source.</summary>
    Task MoveAsync(string source, string destination, CancellationToken cancellationToken = default);

    /// <summary>Deletes one object; false when it was not there.</summary>
    Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Deletes every object under <paramref name="prefix"/> (a directory-like path).</summary>
    Task DeletePrefixAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Names of the immediate children (objects and directory-like prefixes) of <paramref name="prefix"/>, in no particular order.</summary>
    IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken = default);
}

/// <summary>Gives the storage of one registry; the registry name is already validated.</summary>
public interface IStorageDriverFactory
{
    IStorageDriver ForRegistry(string registry);

    /// <summary>The platform's own partition (registry records, identities, signing keys), apart from every registry's content.</summary>
    IStorageDriver ForPlatform();

    /// <summary>Removes everything stored for <paramref name="registry"/> (its whole partition: container or directory).</summary>
    Task DeleteRegistryAsync(string registry, CancellationToken cancellationToken = default);
}

public sealed record StorageObjectInfo(long Size, string ETag, DateTimeOffset LastModified);

public sealed record StorageObject(ReadOnlyMemory<byte> Content, string ETag, DateTimeOffset LastModified);

/// <summary>A write precondition: unconditional, only when absent, or only when the stored ETag matches.</summary>
public readonly record struct StorageCondition(string? IfMatch, bool IfNotExists)
{
    public static StorageCondition None => default;

    public static StorageCondition NotExists => new(null, true);

    public static StorageCondition Matches(string etag) => new(etag, false);

    /// <summary>Either "replace exactly this version" or "create", depending on what was read.</summary>
    public static StorageCondition Replacing(string? etag) => etag is null ? NotExists : Matches(etag);
}

public sealed class StorageNotFoundException(string path) : Exception($"storage object '{path}' not found")
{
    public string Path { get; } = path;
}

public sealed class StoragePreconditionFailedException(string path) : Exception($"condition on storage object '{path}' did not hold")
{
    public string Path { get; } = path;
}
