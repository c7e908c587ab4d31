using System.Net;

namespace Registry.GeoReplication.Tests;

/// <summary>
/// The process replicating a large layer is killed (SIGKILL) in the middle of copying it into the other region; started
/// again, it goes on from the bytes that landed ("Resuming the copy") and the other region ends up with the exact blob.
/// </summary>
public sealed class InterruptedCopyTests(AzuriteRegionsFixture fixture) : IClassFixture<AzuriteRegionsFixture>
{
    /// <summary>Five and a half of replication's 64 MiB chunks: long enough to be caught mid-way.</summary>
    private const long LayerBytes = 352L * 1024 * 1024;

    private const long ChunkBytes = 64L * 1024 * 1024;

    [Fact]
    public async Task A_copy_cut_off_by_a_killed_process_resumes_after_a_restart_and_lands_byte_identical()
    {
        var repository = GeoFixture.NewRepository("large");

        // A random layer pushed over the raw API in 32 MiB PATCHes (docker would be far slower); same seed per chunk offset.
        var layer = await fixture.ClientA.PushLargeBlobAsync(repository, LayerBytes, 32 * 1024 * 1024, (buffer, offset) => new Random(unchecked((int)(offset >> 20) * 7919 + 17)).NextBytes(buffer.Span));
        var config = TestImage.Create().Config;
        await fixture.ClientA.PushBlobAsync(repository, config);
        var manifest = TestImage.ManifestOf(config, layer, LayerBytes);
        var put = await fixture.ClientA.PutManifestAsync(repository, "1", manifest, TestImage.MediaType);
        Assert.True(put.Status == HttpStatusCode.Created, put.Describe("PUT of the large image's manifest"));

        // Watch the copy in the replica region's storage: its record names the upload receiving the bytes.
        var hex = layer["sha256:".Length..];
        var replicaStorage = fixture.ContainerOf(GeoFixture.Replica);
        long landed = 0;
        await Eventually.WaitAsync(
            async () =>
            {
                if (await fixture.ReadStoredJsonAsync(GeoFixture.Replica, $"replication/copies/sha256/{hex}.json") is not { } copy)
                {
                    Assert.True(
                        (await fixture.ClientB.HeadBlobAsync(repository, layer)).Status == HttpStatusCode.NotFound,
                        "the copy finished before it could be interrupted");
                    return false;
                }

                var data = replicaStorage.GetBlobClient($"uploads/{copy.GetProperty("uploadId").GetString()}/data");
                landed = await data.ExistsAsync() ? (await data.GetPropertiesAsync()).Value.ContentLength : 0;
                return landed >= ChunkBytes;
            },
            () => $"the copy into {GeoFixture.Replica} did not get past its first chunk ({landed} bytes){Environment.NewLine}{fixture.Describe()}",
            interval: TimeSpan.FromMilliseconds(20));

        await fixture.A.KillAsync();
        Assert.True(landed < LayerBytes, $"the copy was complete ({landed} bytes) when the process was killed");
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.ClientB.HeadBlobAsync(repository, layer)).Status);

        await fixture.A.RestartAsync();
        await Eventually.WaitAsync(
            async () => (await fixture.ClientB.GetManifestAsync(repository, "1")).Status == HttpStatusCode.OK,
            () => $"{repository}:1 never reached {GeoFixture.Replica} after the restart{Environment.NewLine}{fixture.Describe()}");

        Assert.True(
            fixture.A.Printed("Resuming the copy") || fixture.B.Printed("Resuming the copy"),
            $"no process logged that it resumed the copy (it had {landed} bytes when the process was killed){Environment.NewLine}{fixture.Describe()}");
        var (status, actual, length) = await fixture.ClientB.HashBlobAsync(repository, layer);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(LayerBytes, length);
        Assert.Equal(layer, actual);
        Assert.Null(await fixture.ReadStoredJsonAsync(GeoFixture.Replica, $"replication/copies/sha256/{hex}.json"));
    }
}
