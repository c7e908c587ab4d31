using System.Net;

namespace Registry.GeoReplication.Tests;

/// <summary>
/// The replica region's storage (its Azurite) goes down while the home region takes pushes, a tag move and a tag delete;
/// the home region keeps answering, and once the storage is back the replica region catches up with nothing missing.
/// </summary>
public sealed class RegionOutageTests(AzuriteRegionsFixture fixture) : IClassFixture<AzuriteRegionsFixture>
{
    [Fact]
    public async Task Pushes_made_while_the_other_region_is_down_all_reach_it_once_it_is_back()
    {
        var azurite = fixture.AzuriteB!;
        var moved = GeoFixture.NewRepository("moved");
        var before = TestImage.Create();
        var kept = TestImage.Create();
        await before.PushAsync(fixture.ClientA, moved, "1");
        await kept.PushAsync(fixture.ClientA, moved, "old");
        await Eventually.WaitAsync(
            async () => (await fixture.ClientB.TagsAsync(moved)).Count == 2,
            () => $"{moved} never reached {GeoFixture.Replica} before the outage{Environment.NewLine}{fixture.Describe()}");

        await azurite.StopAsync();
        var pushedTags = new List<string>();
        try
        {
            // The home region takes every write while the other region's storage is gone.
            for (var i = 0; i < 3; i++)
            {
                var repository = GeoFixture.NewRepository($"outage{i}");
                foreach (var tag in new[] { "1", "2" })
                {
                    await TestImage.Create(16 * 1024).PushAsync(fixture.ClientA, repository, tag);
                    pushedTags.Add($"{repository}:{tag}");
                }
            }

            var after = TestImage.Create();
            await after.PushAsync(fixture.ClientA, moved, "1");

            // An SBOM-like artifact referring to it, pushed by digest: untagged, found through the referrers API only.
            var referrer = TestImage.ReferrerOf(after);
            await referrer.PushAsync(fixture.ClientA, moved, referrer.Digest);

            // A two-platform index with its children (skopeo copies the whole OCI layout).
            var layout = Path.Combine(RepositoryPaths.Tools, "tiny-index");
            await Cli.RunCheckedAsync(
                "skopeo",
                ["copy", "--all", "--dest-tls-verify=false", "--dest-creds", $"{GeoFixture.AdminUsername}:{fixture.AdminPassword}", $"oci:{layout}:multi", $"docker://{fixture.A.Host}/{GeoFixture.NewRepository("outageindex")}:multi"],
                context: fixture.Describe);
            var tagDelete = await fixture.ClientA.DeleteManifestAsync(moved, "old");
            Assert.True(tagDelete.Status == HttpStatusCode.Accepted, tagDelete.Describe($"DELETE {moved}:old in {GeoFixture.Home}"));

            var docker = GeoFixture.NewRepository("outagedocker");
            var image = $"{fixture.A.Host}/{docker}:1";
            await fixture.DockerAsync("tag", "registry-test/tiny:2", image);
            try
            {
                await fixture.DockerAsync("push", image);
            }
            finally
            {
                await Cli.RunAsync("docker", ["rmi", image], fixture.DockerEnvironment);
            }

            // The home region tells that it cannot reach the other one.
            await Eventually.WaitAsync(
                async () => await ReplicaStatusAsync() is { } status && status.GetProperty("status").GetProperty("displayStatus").GetString() == "Failed"
                    && status.GetProperty("sync").GetProperty("lastError").GetString() is { Length: > 0 },
                () => $"{GeoFixture.Home} does not report {GeoFixture.Replica} as failed: {ReplicaStatusAsync().GetAwaiter().GetResult()}");
        }
        finally
        {
            await azurite.StartAgainAsync();
        }

        // Caught up on its own (replication retries the region that failed): every repository and tag points at the same image.
        var homeTags = string.Empty;
        var replicaTags = string.Empty;
        await Eventually.WaitAsync(
            async () =>
            {
                homeTags = await TagsSnapshotAsync(fixture.ClientA);
                replicaTags = await TagsSnapshotAsync(fixture.ClientB);
                return homeTags == replicaTags;
            },
            () => $"the regions' tags differ{Environment.NewLine}--- {GeoFixture.Home} ---{Environment.NewLine}{homeTags}--- {GeoFixture.Replica} ---{Environment.NewLine}{replicaTags}{fixture.Describe()}",
            interval: TimeSpan.FromSeconds(1));

        // Exactly the same repositories, tags, manifests, blobs and referrers. The scanner's referrers (SBOM, report)
        // raise no events: reconciliation copies them, and a scan may end after the last automatic pass, so it is asked for.
        var home = string.Empty;
        var replica = string.Empty;
        await Eventually.WaitAsync(
            async () =>
            {
                home = await GeoFixture.SnapshotAsync(fixture.ClientA);
                replica = await GeoFixture.SnapshotAsync(fixture.ClientB);
                if (home == replica)
                {
                    return true;
                }

                var reconciled = await fixture.ClientA.ManageAsync(HttpMethod.Post, "/replications/reconcile");
                Assert.True(reconciled.Status == HttpStatusCode.OK, reconciled.Describe("POST replications/reconcile"));
                Assert.Equal("default", reconciled.Json.GetProperty("registry").GetString());
                Assert.Empty(reconciled.Json.GetProperty("unavailableRegions").EnumerateArray());
                foreach (var count in new[] { "repositories", "tags", "tagsRepaired", "manifestsCopied" })
                {
                    Assert.True(reconciled.Json.GetProperty(count).GetInt32() >= 0, reconciled.Text);
                }

                return false;
            },
            () => $"the regions differ{Environment.NewLine}--- {GeoFixture.Home} ---{Environment.NewLine}{home}--- {GeoFixture.Replica} ---{Environment.NewLine}{replica}{fixture.Describe()}",
            interval: TimeSpan.FromSeconds(1));

        Assert.Equal(home, replica);
        foreach (var pushed in pushedTags)
        {
            Assert.Contains($"repository {pushed.Split(':')[0]}", replica, StringComparison.Ordinal);
        }

        Assert.Contains($"repository {moved}", replica, StringComparison.Ordinal);
        Assert.DoesNotContain("-> 404", replica, StringComparison.Ordinal);
        Assert.Equal(["1"], await fixture.ClientB.TagsAsync(moved));
        Assert.NotEqual(before.Digest, (await fixture.ClientB.GetManifestAsync(moved, "1")).DockerContentDigest);
        Assert.DoesNotContain(" 404 ", replica, StringComparison.Ordinal);
        Assert.Contains(" referrer ", replica, StringComparison.Ordinal);
        Assert.Contains("application/vnd.oci.image.index.v1+json", replica, StringComparison.Ordinal);

        // And says so once it has caught up.
        await Eventually.WaitAsync(
            async () => await ReplicaStatusAsync() is { } status && status.GetProperty("status").GetProperty("displayStatus").GetString() == "Ready",
            () => $"{GeoFixture.Home} does not report {GeoFixture.Replica} as ready: {ReplicaStatusAsync().GetAwaiter().GetResult()}");
    }

    /// <summary>Every repository, its tags and the digests they point at.</summary>
    private static async Task<string> TagsSnapshotAsync(RegionClient region)
    {
        var text = new System.Text.StringBuilder();
        foreach (var repository in await region.CatalogAsync())
        {
            foreach (var tag in await region.TagsAsync(repository))
            {
                text.Append(repository).Append(':').Append(tag).Append(" -> ").AppendLine((await region.GetManifestAsync(repository, tag)).DockerContentDigest);
            }
        }

        return text.ToString();
    }

    /// <summary>The replica's <c>properties</c> as the home region's replications API shows them.</summary>
    private async Task<System.Text.Json.JsonElement?> ReplicaStatusAsync()
    {
        var list = await fixture.ClientA.ManageAsync(HttpMethod.Get, "/replications");
        return list.Status != HttpStatusCode.OK ? null : list.Json.GetProperty("value").EnumerateArray()
            .Where(r => r.GetProperty("location").GetString() == GeoFixture.Replica)
            .Select(r => (System.Text.Json.JsonElement?)r.GetProperty("properties")).FirstOrDefault();
    }
}
