using System.Collections.Concurrent;

namespace Registry.Storage.FileSystem;

public sealed class FileSystemStorageDriverFactory(string rootDirectory, bool flushToDisk) : IStorageDriverFactory
{
    private readonly ConcurrentDictionary<string, IStorageDriver> _drivers = new(StringComparer.Ordinal);

    public IStorageDriver ForRegistry(string registry) =>
        _drivers.GetOrAdd(registry, name => new FileSystemStorageDriver(Path.Combine(rootDirectory, "registries", name), flushToDisk));
}
