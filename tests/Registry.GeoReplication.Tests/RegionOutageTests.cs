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
        }
        finally
        {
            await azurite.StartAgainAsync();
        }

        // Caught up: both regions serve exactly the same repositories, tags, manifests and blobs.
        var home = string.Empty;
        var replica = string.Empty;
        await Eventually.WaitAsync(
            async () =>
            {
                home = await GeoFixture.SnapshotAsync(fixture.ClientA);
                replica = await GeoFixture.SnapshotAsync(fixture.ClientB);
                return home == replica;
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
    }
}
