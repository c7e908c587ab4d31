using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Registry.Distribution.Tests;

/// <summary>Usage figures against what was pushed, and the tier's storage quota.</summary>
public sealed class UsageTests : IAsyncLifetime
{
    private readonly CleanupHost _host = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_layer_shared_by_two_repositories_counts_once_deduplicated_and_once_per_repository_logically()
    {
        var shared = OciClient.RandomBytes(5000);
        var first = OciClient.NewRepository("usage");
        var second = OciClient.NewRepository("usage");
        var (firstManifest, firstBlobs) = await PushAsync(first, "v1", shared, OciClient.RandomBytes(700));
        var (secondManifest, secondBlobs) = await PushAsync(second, "v1", shared, OciClient.RandomBytes(900));
        using (await _host.Client.PutManifestAsync(second, "latest", secondManifest, OciClient.OciManifest))
        {
        }

        var usage = await _host.ReconcileUsageAsync();
        long firstLogical = firstManifest.Length + firstBlobs.Sum(b => b.Length);
        long secondLogical = secondManifest.Length + secondBlobs.Sum(b => b.Length);
        Assert.Equal(firstLogical + secondLogical, usage.GetProperty("storage").GetProperty("logicalBytes").GetInt64());
        Assert.Equal(firstLogical + secondLogical - shared.Length, usage.GetProperty("storage").GetProperty("dedupedBytes").GetInt64());
        Assert.Equal(2, usage.GetProperty("repositories").GetInt32());
        Assert.Equal(3, usage.GetProperty("tags").GetInt32());
        Assert.Equal(2, usage.GetProperty("manifests").GetInt32());
        Assert.Equal(7, usage.GetProperty("blobs").GetInt32()); // two manifests, two configs, the shared layer, two own layers

        var firstUsage = usage.GetProperty("repositoryUsage").EnumerateArray().Single(r => r.GetProperty("name").GetString() == first);
        Assert.Equal(firstLogical, firstUsage.GetProperty("logicalBytes").GetInt64());
        Assert.Equal(firstLogical - shared.Length, firstUsage.GetProperty("dedupedBytes").GetInt64());
        Assert.Equal(0, firstUsage.GetProperty("pullCount").GetInt64());

        // The stored summary is what GET answers.
        var stored = await _host.ManageAsync(HttpMethod.Get, "usage");
        Assert.Equal(usage.GetProperty("storage").GetRawText(), stored.GetProperty("storage").GetRawText());
    }

    [Fact]
    public async Task Pushes_are_refused_with_DENIED_once_the_tier_quota_is_reached()
    {
        await using var host = new CleanupHost(new Dictionary<string, string?>
        {
            ["Tiers:Basic:MaxStorageGiB"] = "0.000001",
            ["Tiers:Standard:MaxStorageGiB"] = "0.000001",
            ["Tiers:Premium:MaxStorageGiB"] = "0.000001",
        });
        var repository = OciClient.NewRepository("quota");
        var image = await host.Client.PushImageAsync(repository, "v1"); // under the quota when it started
        await host.ReconcileUsageAsync();

        using (var upload = await host.Client.SendAsync(HttpMethod.Post, $"/v2/{repository}/blobs/uploads/"))
        {
            var error = await OciClient.AssertErrorAsync(upload, HttpStatusCode.Forbidden, "DENIED");
            Assert.Contains("storage quota exceeded", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        using (var manifest = await host.Client.PutManifestAsync(repository, "v2", image.Manifest, image.MediaType))
        {
            await OciClient.AssertErrorAsync(manifest, HttpStatusCode.Forbidden, "DENIED");
        }

        await host.AssertPullableAsync(repository, image); // reading is unaffected
    }

    private async Task<(byte[] Manifest, List<byte[]> Blobs)> PushAsync(string repository, string tag, params byte[][] layers)
    {
        var blobs = new List<byte[]>();
        var descriptors = new List<JsonObject>();
        foreach (var layer in layers)
        {
            descriptors.Add(OciClient.Descriptor(OciClient.OciLayer, await _host.Client.PushBlobAsync(repository, layer), layer.Length));
            blobs.Add(layer);
        }

        var config = Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","nonce":"{{Guid.NewGuid()}}"}""");
        blobs.Add(config);
        var manifest = OciClient.ImageManifest(OciClient.OciManifest, OciClient.Descriptor(OciClient.OciConfig, await _host.Client.PushBlobAsync(repository, config), config.Length), descriptors);
        await _host.Client.PushManifestAsync(repository, tag, manifest, OciClient.OciManifest);
        return (manifest, blobs);
    }
}
