using Registry.Storage.FileSystem;

namespace Registry.Storage.Tests;

/// <summary>The conformance suite over a fresh temporary directory per test.</summary>
public sealed class FileSystemStorageDriverTests : StorageDriverConformanceTests
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "registry-fs-" + Guid.NewGuid().ToString("N"));

    protected override Task<IStorageDriver> CreateDriverAsync() => Task.FromResult<IStorageDriver>(new FileSystemStorageDriver(_root));

    protected override Task DestroyDriverAsync()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }

        return Task.CompletedTask;
    }

    [Fact]
    public async Task Two_drivers_over_one_directory_see_each_others_writes_and_appends()
    {
        var other = new FileSystemStorageDriver(_root);

        var etag = await Driver.WriteAsync("tag", Bytes("v1"));
        await Assert.ThrowsAsync<StoragePreconditionFailedException>(() => other.WriteAsync("tag", Bytes("v2"), StorageCondition.NotExists));
        await other.WriteAsync("tag", Bytes("v2"), StorageCondition.Matches(etag));
        Assert.Equal("v2", Text((await Driver.ReadAsync("tag"))!.Content));

        await Driver.AppendAsync("data", Stream("abc"), 0);
        await other.AppendAsync("data", Stream("def"), 3);
        Assert.Equal("abcdef", await ReadAllAsync("data"));
    }
}
