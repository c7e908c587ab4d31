using Azure.Storage.Blobs;
using Registry.Storage.AzureBlob;
using Registry.Testing;

namespace Registry.Storage.Tests;

/// <summary>
/// The conformance suite against a real Azurite: each test gets a container of its own that does not exist yet
/// (the driver creates it on first write).
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureBlobStorageDriverTests(AzuriteFixture azurite) : StorageDriverConformanceTests
{
    private readonly string _containerName = $"conformance-{Guid.NewGuid():N}";

    protected override Task<IStorageDriver> CreateDriverAsync() => Task.FromResult(NewDriver());

    protected override async Task DestroyDriverAsync() =>
        await azurite.CreateServiceClient().GetBlobContainerClient(_containerName).DeleteIfExistsAsync();

    /// <summary>A driver on its own <see cref="BlobServiceClient"/>, as another service instance would have.</summary>
    private IStorageDriver NewDriver() => new AzureBlobStorageDriver(azurite.CreateServiceClient().GetBlobContainerClient(_containerName));

    [Fact]
    public async Task Reads_before_the_container_exists_find_nothing()
    {
        Assert.False(await azurite.CreateServiceClient().GetBlobContainerClient(_containerName).ExistsAsync());

        Assert.Null(await Driver.GetInfoAsync("a"));
        Assert.Empty(await ListAsync("a"));
        Assert.False(await Driver.DeleteAsync("a"));
        await Driver.DeletePrefixAsync("a");
        await Assert.ThrowsAsync<StorageNotFoundException>(() => Driver.OpenReadAsync("a"));
    }

    [Fact]
    public async Task Two_instances_with_separate_clients_see_each_others_writes_and_appends()
    {
        var first = Driver;
        var second = NewDriver();

        var etag = await first.WriteAsync("repositories/app/_manifests/tags/latest/current/link", Bytes("sha256:1"));
        Assert.Equal(etag, (await second.GetInfoAsync("repositories/app/_manifests/tags/latest/current/link"))!.ETag);
        await Assert.ThrowsAsync<StoragePreconditionFailedException>(() =>
            second.WriteAsync("repositories/app/_manifests/tags/latest/current/link", Bytes("sha256:2"), StorageCondition.NotExists));
        var next = await second.WriteAsync("repositories/app/_manifests/tags/latest/current/link", Bytes("sha256:2"), StorageCondition.Matches(etag));
        await Assert.ThrowsAsync<StoragePreconditionFailedException>(() =>
            first.WriteAsync("repositories/app/_manifests/tags/latest/current/link", Bytes("sha256:3"), StorageCondition.Matches(etag)));
        var read = await first.ReadAsync("repositories/app/_manifests/tags/latest/current/link");
        Assert.Equal("sha256:2", Text(read!.Content));
        Assert.Equal(next, read.ETag);

        // An upload started on one instance continues on the other (principle 4).
        Assert.Equal(5, await first.AppendAsync("uploads/u1/data", Stream("chunk"), 0));
        Assert.Equal(10, await second.AppendAsync("uploads/u1/data", Stream("CHUNK"), 5));
        await Assert.ThrowsAsync<StoragePreconditionFailedException>(() => first.AppendAsync("uploads/u1/data", Stream("late"), 5));
        Assert.Equal(14, await first.AppendAsync("uploads/u1/data", Stream("more"), 10));
        Assert.Equal("chunkCHUNKmore", await ReadAllAsync(second, "uploads/u1/data"));

        await second.MoveAsync("uploads/u1/data", "blobs/sha256/ab/ab12/data");
        Assert.Null(await first.GetInfoAsync("uploads/u1/data"));
        Assert.Equal("chunkCHUNKmore", await ReadAllAsync(first, "blobs/sha256/ab/ab12/data"));
    }

    [Fact]
    public async Task Data_survives_an_azurite_restart_and_the_driver_reconnects()
    {
        var etag = await Driver.WriteAsync("kept", Bytes("durable"));
        await Driver.AppendAsync("upload", Stream("abc"), 0);

        await azurite.StopAsync();
        try
        {
            Assert.False(azurite.IsRunning);
        }
        finally
        {
            await azurite.StartAgainAsync();
        }

        var read = await Driver.ReadAsync("kept");
        Assert.Equal("durable", Text(read!.Content));
        Assert.Equal(etag, read.ETag);
        Assert.Equal(6, await Driver.AppendAsync("upload", Stream("def"), 3));
        Assert.Equal("abcdef", await ReadAllAsync("upload"));
    }
}
