using System.Collections.Concurrent;

namespace Registry.Storage.FileSystem;

/// <summary>Each registry is <c>&lt;root&gt;/registries/&lt;name&gt;</c>; the platform's partition is <c>&lt;root&gt;/platform</c>.</summary>
public sealed class FileSystemStorageDriverFactory(string rootDirectory, bool flushToDisk) : IStorageDriverFactory
{
    private readonly ConcurrentDictionary<string, IStorageDriver> _drivers = new(StringComparer.Ordinal);

    public IStorageDriver ForRegistry(string registry) =>
        _drivers.GetOrAdd(registry, name => new FileSystemStorageDriver(Path.Combine(rootDirectory, "registries", name), flushToDisk));

    public IStorageDriver ForPlatform() =>
        _drivers.GetOrAdd("/platform", _ => new FileSystemStorageDriver(Path.Combine(rootDirectory, "platform"), flushToDisk));

    public Task DeleteRegistryAsync(string registry, CancellationToken cancellationToken = default)
    {
        var directory = Path.Combine(rootDirectory, "registries", Oci.OciGrammar.IsRegistryName(registry) ? registry : throw new ArgumentException("invalid registry name", nameof(registry)));
        _drivers.TryRemove(registry, out _);
        return FileSystemStorageDriver.DeleteTreeAsync(directory, cancellationToken);
    }
}
