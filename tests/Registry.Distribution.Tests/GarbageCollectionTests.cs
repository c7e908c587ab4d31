using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Registry.Distribution.Cleanup;

namespace Registry.Distribution.Tests;

/// <summary>Online garbage collection: unreferenced blobs go, referenced ones and pushes in flight keep theirs.</summary>
public sealed class GarbageCollectionTests : IAsyncLifetime
{
    private readonly CleanupHost _host = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Unreferenced_blobs_and_a_deleted_manifests_blobs_go_while_live_images_stay_whole()
    {
        var repository = OciClient.NewRepository("gc");
        var live = await _host.Client.PushImageAsync(repository, "live");
        var doomed = await _host.Client.PushImageAsync(repository, "doomed");
        var orphan = await _host.Client.PushBlobAsync(repository, OciClient.RandomBytes(3000));
        using (await _host.Client.SendAsync(HttpMethod.Delete, $"/v2/{repository}/manifests/{doomed.Digest}"))
        {
        }

        // With the default grace period (1h) nothing this young goes.
        var dryRun = await _host.ManageAsync(HttpMethod.Post, "gc", new { dryRun = true });
        Assert.Equal(0, dryRun.GetProperty("blobsDeleted").GetInt64());
        Assert.Equal("01:00:00", dryRun.GetProperty("gracePeriod").GetString());

        var result = await _host.Service<CleanupService>().CollectAsync("default", dryRun: false, DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None);
        Assert.NotNull(result);
        Assert.Equal(1 + 1 + 2 + 1, result.BlobsDeleted); // the orphan; the deleted manifest, its config and two layers
        Assert.True(result.BytesFreed > 3000);

        await _host.AssertPullableAsync(repository, live);
        using var gone = await _host.Client.SendAsync(HttpMethod.Get, $"/v2/{repository}/blobs/{orphan}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        var runs = await _host.ManageAsync(HttpMethod.Get, "cleanup/runs");
        Assert.Contains(runs.GetProperty("value").EnumerateArray(), run => run.GetProperty("kind").GetString() == CleanupRun.GarbageCollectionKind);
    }

    [Fact]
    public async Task A_manifest_pushed_while_a_sweep_is_under_way_waits_for_it_and_is_refused_when_its_blob_was_swept()
    {
        var driver = _host.Service<Registry.Storage.IStorageDriverFactory>().ForRegistry("default");
        var repository = OciClient.NewRepository("fence");
        var config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}""");
        var layer = OciClient.RandomBytes(1500);
        var configDigest = await _host.Client.PushBlobAsync(repository, config);
        var layerDigest = await _host.Client.PushBlobAsync(repository, layer);
        var manifest = OciClient.ImageManifest(
            OciClient.OciManifest,
            OciClient.Descriptor(OciClient.OciConfig, configDigest, config.Length),
            [OciClient.Descriptor(OciClient.OciLayer, layerDigest, layer.Length)]);

        await Registry.Distribution.Core.SweepFence.RaiseAsync(driver, CancellationToken.None);
        var push = _host.Client.PutManifestAsync(repository, "v1", manifest, OciClient.OciManifest);
        await Task.Delay(500);
        Assert.False(push.IsCompleted); // held while the sweep runs

        // The sweep takes the layer (as a collector whose last read missed the push would), then ends.
        Assert.True(await driver.DeleteAsync(Registry.Storage.StoragePaths.BlobData(Registry.Oci.Digest.Parse(layerDigest))));
        await Registry.Distribution.Core.SweepFence.LowerAsync(driver, CancellationToken.None);
        using (var refused = await push)
        {
            await OciClient.AssertErrorAsync(refused, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        }

        Assert.Equal(HttpStatusCode.NotFound, await _host.ManifestStatusAsync(repository, "v1"));
        Assert.Equal(HttpStatusCode.NotFound, await _host.ManifestStatusAsync(repository, OciClient.DigestOf(manifest)));

        // With its blobs still there, a push held by the fence lands once the sweep ends.
        var image = await _host.Client.PushImageAsync(repository, "v2");
        await Registry.Distribution.Core.SweepFence.RaiseAsync(driver, CancellationToken.None);
        var again = _host.Client.PutManifestAsync(repository, "v3", image.Manifest, image.MediaType);
        await Task.Delay(300);
        Assert.False(again.IsCompleted);
        await Registry.Distribution.Core.SweepFence.LowerAsync(driver, CancellationToken.None);
        using (var landed = await again)
        {
            Assert.Equal(HttpStatusCode.Created, landed.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, await _host.ManifestStatusAsync(repository, "v3"));
    }

    [Fact]
    public async Task Concurrent_pushes_sharing_layers_lose_nothing_while_collections_run()
    {
        var shared = Enumerable.Range(0, 3).Select(_ => OciClient.RandomBytes(4000)).ToList();
        var baseRepository = OciClient.NewRepository("gcbase");
        var baseImage = await PushAsync(baseRepository, "base", shared);
        var orphans = OciClient.NewRepository("gcorphan");
        var orphanDigests = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            orphanDigests.Add(await _host.Client.PushBlobAsync(orphans, OciClient.RandomBytes(1000)));
        }

        await Task.Delay(50); // every blob above is written before the pushes start
        var pushStart = DateTimeOffset.UtcNow;
        var collector = _host.Service<CleanupService>();
        var pushes = Enumerable.Range(0, 6).Select(async writer =>
        {
            var repository = OciClient.NewRepository("gcrace");
            var images = new List<(string Repository, TestImage Image)>();
            for (var i = 0; i < 4; i++)
            {
                images.Add((repository, await PushAsync(repository, $"v{i}", shared)));
            }

            return images;
        }).ToList();

        var collections = 0;
        var deleted = 0L;
        var all = Task.WhenAll(pushes);
        while (!all.IsCompleted || collections == 0)
        {
            if (await collector.CollectAsync("default", dryRun: false, pushStart, CancellationToken.None) is { } result)
            {
                collections++;
                deleted += result.BlobsDeleted;
            }
        }

        var acknowledged = (await all).SelectMany(images => images).ToList();
        Assert.Equal(24, acknowledged.Count);
        foreach (var (repository, image) in acknowledged)
        {
            await _host.AssertPullableAsync(repository, image);
        }

        await _host.AssertPullableAsync(baseRepository, baseImage);
        Assert.True(deleted >= orphanDigests.Count, $"{deleted} blobs deleted in {collections} collections");
        foreach (var orphan in orphanDigests)
        {
            using var gone = await _host.Client.SendAsync(HttpMethod.Get, $"/v2/{orphans}/blobs/{orphan}");
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
    }

    /// <summary>Uploads the shared layers again (the registry has them: only links are written), a fresh layer and config, then the manifest.</summary>
    private async Task<TestImage> PushAsync(string repository, string tag, IReadOnlyList<byte[]> sharedLayers)
    {
        var layers = new List<JsonObject>();
        foreach (var layer in sharedLayers.Append(OciClient.RandomBytes(500 + Random.Shared.Next(500))))
        {
            layers.Add(OciClient.Descriptor(OciClient.OciLayer, await _host.Client.PushBlobAsync(repository, layer), layer.Length));
        }

        var config = Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","nonce":"{{Guid.NewGuid()}}"}""");
        var manifest = OciClient.ImageManifest(OciClient.OciManifest, OciClient.Descriptor(OciClient.OciConfig, await _host.Client.PushBlobAsync(repository, config), config.Length), layers);
        return new TestImage(manifest, await _host.Client.PushManifestAsync(repository, tag, manifest, OciClient.OciManifest), OciClient.OciManifest);
    }
}
