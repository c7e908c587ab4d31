using System.Net;
using System.Text.Json;

namespace Registry.GeoReplication.Tests;

/// <summary>
/// Two regions on two real Azurites, active-active: what docker pushes to one is pulled from the other, a delete in
/// either reaches the other, and the same tag pushed in both at once ends up pointing at the same image everywhere.
/// </summary>
public sealed class TwoRegionsTests(AzuriteRegionsFixture fixture) : IClassFixture<AzuriteRegionsFixture>
{
    private const string TinyImage = "registry-test/tiny:1";

    [Fact]
    public async Task An_image_docker_pushes_to_one_region_is_pulled_by_digest_from_the_other_and_a_delete_there_removes_it_from_both()
    {
        var repository = GeoFixture.NewRepository("docker");
        var pushed = $"{fixture.A.Host}/{repository}:1";
        await fixture.DockerAsync("tag", TinyImage, pushed);
        string? pulled = null;
        try
        {
            await fixture.DockerAsync("push", pushed);
            var inHome = await fixture.ClientA.GetManifestAsync(repository, "1");
            Assert.True(inHome.Status == HttpStatusCode.OK, inHome.Describe("the pushed manifest in the home region"));
            var digest = inHome.DockerContentDigest!;

            // The replica region serves the same manifest, byte for byte, once replication has brought it.
            await Eventually.WaitAsync(
                async () => (await fixture.ClientB.GetManifestAsync(repository, digest)).Status == HttpStatusCode.OK,
                () => $"{repository}@{digest} never reached {GeoFixture.Replica}{Environment.NewLine}{fixture.Describe()}");
            var inReplica = await fixture.ClientB.GetManifestAsync(repository, digest);
            Assert.Equal(inHome.Content, inReplica.Content);
            Assert.Equal(inHome.MediaType, inReplica.MediaType);

            pulled = $"{fixture.B.Host}/{repository}@{digest}";
            await fixture.DockerAsync("pull", pulled);

            // Every blob is there in full (docker had the layers locally, so it did not fetch them).
            foreach (var blob in BlobsOf(inReplica.Json))
            {
                var (status, actual, _) = await fixture.ClientB.HashBlobAsync(repository, blob);
                Assert.True(status == HttpStatusCode.OK && actual == blob, $"blob {blob} in {GeoFixture.Replica}: {(int)status} {actual}");
            }

            // The tag comes along too.
            await Eventually.WaitAsync(
                async () => (await fixture.ClientB.GetManifestAsync(repository, "1")).DockerContentDigest == digest,
                () => $"{repository}:1 does not point at {digest} in {GeoFixture.Replica}{Environment.NewLine}{fixture.Describe()}");

            // A delete by digest in the replica region removes the image from the home region.
            var deleted = await fixture.ClientB.DeleteManifestAsync(repository, digest);
            Assert.True(deleted.Status == HttpStatusCode.Accepted, deleted.Describe($"DELETE {repository}@{digest} in {GeoFixture.Replica}"));
            await Eventually.WaitAsync(
                async () => (await fixture.ClientA.GetManifestAsync(repository, digest)).Status == HttpStatusCode.NotFound,
                () => $"{repository}@{digest} is still in {GeoFixture.Home}{Environment.NewLine}{fixture.Describe()}");
            Assert.Equal(HttpStatusCode.NotFound, (await fixture.ClientA.GetManifestAsync(repository, "1")).Status);
            Assert.DoesNotContain("1", await fixture.ClientA.TagsAsync(repository));
            Assert.Equal(HttpStatusCode.NotFound, (await fixture.ClientB.GetManifestAsync(repository, digest)).Status);
        }
        finally
        {
            await Cli.RunAsync("docker", ["rmi", pushed], fixture.DockerEnvironment);
            if (pulled is not null)
            {
                await Cli.RunAsync("docker", ["rmi", pulled], fixture.DockerEnvironment);
            }
        }
    }

    [Fact]
    public async Task The_same_tag_pushed_in_both_regions_at_once_converges_on_the_change_the_rule_picks_in_both()
    {
        var repository = GeoFixture.NewRepository("race");
        string[] tags = ["a", "b", "c", "d", "e", "f", "g", "h"];
        var home = tags.ToDictionary(tag => tag, _ => TestImage.Create());
        var replica = tags.ToDictionary(tag => tag, _ => TestImage.Create());

        // Blobs first, so that the manifests (and with them the tags) land as close together as they can.
        await Task.WhenAll(tags.SelectMany(tag => new[] { home[tag].PushBlobsAsync(fixture.ClientA, repository), replica[tag].PushBlobsAsync(fixture.ClientB, repository) }));
        // Each push is acknowledged between sending it and its answer (the regions run on this machine's clock).
        var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<(string Tag, string Region), (DateTimeOffset From, DateTimeOffset To)>();
        async Task PushTimedAsync(TestImage image, RegionClient client, string region, string tag)
        {
            var from = DateTimeOffset.UtcNow;
            await image.PushManifestAsync(client, repository, tag);
            acknowledged[(tag, region)] = (from, DateTimeOffset.UtcNow);
        }

        await Task.WhenAll(tags.SelectMany(tag => new[]
        {
            PushTimedAsync(home[tag], fixture.ClientA, GeoFixture.Home, tag),
            PushTimedAsync(replica[tag], fixture.ClientB, GeoFixture.Replica, tag),
        }));

        // Converged: both regions' tags point at the same image, and both regions recorded that change (settled: the
        // tag's ETag is in the marker). Asked again once nothing is in flight, as a loser can agree for a moment.
        await WaitForConvergenceAsync(repository, tags, home, replica);
        await fixture.WaitForQuietAsync();
        await WaitForConvergenceAsync(repository, tags, home, replica);
        foreach (var tag in tags)
        {
            var inHome = await ResolveAsync(fixture.ClientA, repository, tag);
            var inReplica = await ResolveAsync(fixture.ClientB, repository, tag);
            Assert.True(inHome == inReplica, $"{repository}:{tag} is {inHome} in {GeoFixture.Home} but {inReplica} in {GeoFixture.Replica}: {await DescribeTagAsync(repository, tag, home[tag], replica[tag])}");
            Assert.Contains(inHome, new[] { home[tag].Digest, replica[tag].Digest });
            var pushedIn = inHome == home[tag].Digest ? GeoFixture.Home : GeoFixture.Replica;

            // Both regions recorded the same winning change — the one acknowledged in the region that pushed the winner —
            // and no change either region saw is greater by (acknowledged time, region).
            var markers = new List<JsonElement>();
            foreach (var region in new[] { GeoFixture.Home, GeoFixture.Replica })
            {
                var marker = await fixture.ReadStoredJsonAsync(region, $"replication/tags/{repository}/_tags/{tag}.json");
                Assert.True(marker is not null, $"{region} has no replication marker for {repository}:{tag}");
                markers.Add(marker.Value);
            }

            foreach (var marker in markers)
            {
                Assert.Equal(inHome, marker.GetProperty("digest").GetString());
                Assert.Equal(pushedIn, marker.GetProperty("region").GetString());
                Assert.False(marker.TryGetProperty("deleted", out var deleted) && deleted.GetBoolean());
            }

            Assert.Equal(markers[0].GetProperty("at").GetDateTimeOffset(), markers[1].GetProperty("at").GetDateTimeOffset());

            // The marker holds the winner's acknowledged time, and the loser cannot have been acknowledged later: it
            // was sent before the winner's time (the rule picks the greatest time, then the greatest region name).
            var at = markers[0].GetProperty("at").GetDateTimeOffset();
            var slack = TimeSpan.FromMilliseconds(50);
            var won = acknowledged[(tag, pushedIn)];
            var lost = acknowledged[(tag, pushedIn == GeoFixture.Home ? GeoFixture.Replica : GeoFixture.Home)];
            Assert.True(at >= won.From - slack && at <= won.To + slack, $"{repository}:{tag}: the marker's time {at:O} is not when the winner was acknowledged ({won.From:O} – {won.To:O})");
            Assert.True(lost.From <= at + slack, $"{repository}:{tag}: the loser was sent at {lost.From:O}, after the winner's acknowledged time {at:O}");

            // The winner is whole in both regions.
            var winner = inHome == home[tag].Digest ? home[tag] : replica[tag];
            foreach (var client in new[] { fixture.ClientA, fixture.ClientB })
            {
                foreach (var blob in new[] { winner.ConfigDigest, winner.LayerDigest })
                {
                    Assert.Equal(HttpStatusCode.OK, (await client.HeadBlobAsync(repository, blob)).Status);
                }
            }
        }
    }

    [Fact]
    public async Task Tag_deletes_and_repository_deletes_in_either_region_reach_the_other()
    {
        var repository = GeoFixture.NewRepository("deletes");
        var image = TestImage.Create();
        await image.PushAsync(fixture.ClientB, repository, "kept");
        await image.PushManifestAsync(fixture.ClientB, repository, "dropped");
        await Eventually.WaitAsync(
            async () => (await fixture.ClientA.TagsAsync(repository)).SequenceEqual(["dropped", "kept"]),
            () => $"{repository}'s tags never reached {GeoFixture.Home}{Environment.NewLine}{fixture.Describe()}");

        // A tag delete in the home region: the tag goes in the replica region, the image and its other tag stay.
        var untagged = await fixture.ClientA.DeleteManifestAsync(repository, "dropped");
        Assert.True(untagged.Status == HttpStatusCode.Accepted, untagged.Describe($"DELETE {repository}:dropped"));
        await Eventually.WaitAsync(
            async () => (await fixture.ClientB.TagsAsync(repository)).SequenceEqual(["kept"]),
            () => $"{repository}:dropped is still in {GeoFixture.Replica}{Environment.NewLine}{fixture.Describe()}");
        Assert.Equal(image.Digest, (await fixture.ClientB.GetManifestAsync(repository, "kept")).DockerContentDigest);
        Assert.Equal(["kept"], await fixture.ClientA.TagsAsync(repository));

        // ACR's repository delete in the home region empties it in the replica region too.
        var deleted = await fixture.ClientA.DeleteRepositoryAsync(repository);
        Assert.True(deleted.Status == HttpStatusCode.Accepted, deleted.Describe($"DELETE /acr/v1/{repository}"));
        await Eventually.WaitAsync(
            async () => !(await fixture.ClientB.CatalogAsync()).Contains(repository)
                && (await fixture.ClientB.GetManifestAsync(repository, image.Digest)).Status == HttpStatusCode.NotFound,
            () => $"{repository} is still in {GeoFixture.Replica}{Environment.NewLine}{fixture.Describe()}");
        Assert.Empty(await fixture.ClientB.TagsAsync(repository));
        Assert.DoesNotContain(repository, await fixture.ClientA.CatalogAsync());
    }

    private async Task WaitForConvergenceAsync(string repository, string[] tags, Dictionary<string, TestImage> home, Dictionary<string, TestImage> replica)
    {
        foreach (var tag in tags)
        {
            await Eventually.WaitAsync(
                async () =>
                {
                    var digest = await ResolveAsync(fixture.ClientA, repository, tag);
                    if (digest is null || digest != await ResolveAsync(fixture.ClientB, repository, tag))
                    {
                        return false;
                    }

                    var markers = new List<string>();
                    foreach (var region in new[] { GeoFixture.Home, GeoFixture.Replica })
                    {
                        if (await fixture.ReadStoredJsonAsync(region, $"replication/tags/{repository}/_tags/{tag}.json") is not { } marker
                            || marker.GetProperty("digest").GetString() != digest
                            || !marker.TryGetProperty("tagEtag", out var etag) || etag.ValueKind != JsonValueKind.String)
                        {
                            return false;
                        }

                        markers.Add($"{marker.GetProperty("at").GetDateTimeOffset():O} {marker.GetProperty("region").GetString()}");
                    }

                    return markers[0] == markers[1];
                },
                () => $"{repository}:{tag} does not converge: {DescribeTagAsync(repository, tag, home[tag], replica[tag]).GetAwaiter().GetResult()}{Environment.NewLine}{fixture.Describe()}");
        }
    }

    [Fact]
    public async Task A_lock_set_in_one_region_holds_in_the_other_and_an_unlock_there_comes_back()
    {
        var repository = GeoFixture.NewRepository("locks");
        await PushToHomeAndWaitForReplicaAsync(repository, "v1");

        // The tag is write-locked in the home region: the replica region learns it, and refuses to move the tag.
        var locked = await fixture.ClientA.AttributesAsync(repository, "/_tags/v1", new { writeEnabled = false });
        Assert.True(locked.Status == HttpStatusCode.OK, locked.Describe("locking v1 in the home region"));
        await Eventually.WaitAsync(
            async () => await WriteEnabledAsync(fixture.ClientB, repository, "/_tags/v1") == false,
            () => $"the lock on {repository}:v1 never reached {GeoFixture.Replica}{Environment.NewLine}{fixture.Describe()}");
        var other = TestImage.Create();
        await other.PushBlobsAsync(fixture.ClientB, repository);
        var refused = await fixture.ClientB.PutManifestAsync(repository, "v1", other.Manifest, TestImage.MediaType);
        Assert.True(refused.Status == HttpStatusCode.Forbidden && refused.Text.Contains("DENIED", StringComparison.Ordinal), refused.Describe("pushing over the locked v1 in the replica region"));

        // Unlocked in the replica region: the newer change wins in the home region too, and the tag may move again.
        await Task.Delay(TimeSpan.FromMilliseconds(20));
        var unlocked = await fixture.ClientB.AttributesAsync(repository, "/_tags/v1", new { writeEnabled = true });
        Assert.True(unlocked.Status == HttpStatusCode.OK, unlocked.Describe("unlocking v1 in the replica region"));
        await Eventually.WaitAsync(
            async () => await WriteEnabledAsync(fixture.ClientA, repository, "/_tags/v1") == true,
            () => $"the unlock of {repository}:v1 never reached {GeoFixture.Home}{Environment.NewLine}{fixture.Describe()}");
        await other.PushBlobsAsync(fixture.ClientA, repository);
        await Eventually.WaitAsync(
            async () => (await fixture.ClientA.PutManifestAsync(repository, "v1", other.Manifest, TestImage.MediaType)).Status == HttpStatusCode.Created,
            () => $"{repository}:v1 stays locked in {GeoFixture.Home}{Environment.NewLine}{fixture.Describe()}");
    }

    [Fact]
    public async Task A_lock_whose_event_was_lost_reaches_the_other_region_by_reconciliation()
    {
        var repository = GeoFixture.NewRepository("lostlock");
        await PushToHomeAndWaitForReplicaAsync(repository, "v1");

        // The tag's attributes as a PATCH in the home region stores them (StoragePaths.TagAttributes), but no event is raised.
        var document = $"{{\"changeableAttributes\":{{\"deleteEnabled\":false,\"writeEnabled\":false,\"readEnabled\":true,\"listEnabled\":true}},\"lastUpdateTime\":\"{DateTimeOffset.UtcNow:O}\"}}";
        await fixture.ContainerOf(GeoFixture.Home).GetBlobClient($"repositories/{repository}/_meta/tags/v1.json")
            .UploadAsync(BinaryData.FromString(document), overwrite: true);

        var reconciled = await fixture.ClientA.ManageAsync(HttpMethod.Post, "/replications/reconcile");
        Assert.True(reconciled.Status == HttpStatusCode.OK, reconciled.Describe("reconcile in the home region"));
        await Eventually.WaitAsync(
            async () => await WriteEnabledAsync(fixture.ClientB, repository, "/_tags/v1") == false,
            () => $"the lock on {repository}:v1 never reached {GeoFixture.Replica}{Environment.NewLine}{fixture.Describe()}");
        var refused = await fixture.ClientB.DeleteManifestAsync(repository, "v1");
        Assert.True(refused.Status == HttpStatusCode.Forbidden, refused.Describe("untagging the locked v1 in the replica region"));
    }

    /// <summary>Pushes a new image as <paramref name="repository"/>:<paramref name="tag"/> to the home region and waits until the replica region serves it.</summary>
    private async Task<TestImage> PushToHomeAndWaitForReplicaAsync(string repository, string tag)
    {
        var image = TestImage.Create();
        await image.PushAsync(fixture.ClientA, repository, tag);
        await Eventually.WaitAsync(
            async () => (await fixture.ClientB.GetManifestAsync(repository, tag)).DockerContentDigest == image.Digest,
            () => $"{repository}:{tag} never reached {GeoFixture.Replica}{Environment.NewLine}{fixture.Describe()}");
        return image;
    }

    private static async Task<bool?> WriteEnabledAsync(RegionClient region, string repository, string path)
    {
        var answer = await region.AttributesAsync(repository, path);
        return answer.Status == HttpStatusCode.OK ? answer.Json.GetProperty("tag").GetProperty("changeableAttributes").GetProperty("writeEnabled").GetBoolean() : null;
    }

    [Fact]
    public async Task With_soft_delete_a_delete_is_restorable_in_both_regions_and_a_restore_in_one_brings_the_image_back_in_the_other()
    {
        var policy = new { properties = new { policies = new { softDeletePolicy = new { retentionDays = 7, status = "enabled" } } } };
        foreach (var client in new[] { fixture.ClientA, fixture.ClientB })
        {
            var enabled = await client.ManageAsync(HttpMethod.Patch, string.Empty, policy);
            Assert.True(enabled.Status == HttpStatusCode.OK, enabled.Describe("enabling soft delete"));
        }

        try
        {
            var repository = GeoFixture.NewRepository("softdelete");
            var image = await PushToHomeAndWaitForReplicaAsync(repository, "v1");

            var deleted = await fixture.ClientA.DeleteManifestAsync(repository, image.Digest);
            Assert.True(deleted.Status == HttpStatusCode.Accepted, deleted.Describe("DELETE in the home region"));
            await Eventually.WaitAsync(
                async () => (await fixture.ClientB.GetManifestAsync(repository, image.Digest)).Status == HttpStatusCode.NotFound,
                () => $"{repository}@{image.Digest} is still served in {GeoFixture.Replica}{Environment.NewLine}{fixture.Describe()}");

            // Both regions list it as restorable, with the tag it had.
            foreach (var client in new[] { fixture.ClientA, fixture.ClientB })
            {
                var listed = await client.ManageAsync(HttpMethod.Get, $"/deleted?repository={Uri.EscapeDataString(repository)}");
                Assert.True(listed.Status == HttpStatusCode.OK, listed.Describe("GET deleted"));
                var entry = listed.Json.GetProperty("value").EnumerateArray().Single(e => e.GetProperty("digest").GetString() == image.Digest);
                Assert.Equal(["v1"], entry.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
            }

            var restored = await fixture.ClientA.ManageAsync(HttpMethod.Post, "/deleted/restore", new { repository, digest = image.Digest });
            Assert.True(restored.Status == HttpStatusCode.OK, restored.Describe("restore in the home region"));
            await Eventually.WaitAsync(
                async () => (await fixture.ClientB.GetManifestAsync(repository, "v1")).DockerContentDigest == image.Digest,
                () => $"the restored {repository}:v1 never came back in {GeoFixture.Replica}{Environment.NewLine}{fixture.Describe()}");
            Assert.Equal(image.Manifest, (await fixture.ClientB.GetManifestAsync(repository, image.Digest)).Content);
        }
        finally
        {
            var off = new { properties = new { policies = new { softDeletePolicy = new { status = "disabled" } } } };
            foreach (var client in new[] { fixture.ClientA, fixture.ClientB })
            {
                await client.ManageAsync(HttpMethod.Patch, string.Empty, off);
            }
        }
    }

    /// <summary>What each region's tag and replication marker say, and which image each region pushed.</summary>
    private async Task<string> DescribeTagAsync(string repository, string tag, TestImage home, TestImage replica)
    {
        var text = $"pushed {home.Digest} in {GeoFixture.Home}, {replica.Digest} in {GeoFixture.Replica};";
        foreach (var (region, client) in new[] { (GeoFixture.Home, fixture.ClientA), (GeoFixture.Replica, fixture.ClientB) })
        {
            text += $" {region}: tag -> {await ResolveAsync(client, repository, tag)}, marker {await fixture.ReadStoredJsonAsync(region, $"replication/tags/{repository}/_tags/{tag}.json")};";
        }

        return text;
    }

    private static async Task<string?> ResolveAsync(RegionClient region, string repository, string tag)
    {
        var answer = await region.GetManifestAsync(repository, tag);
        return answer.Status == HttpStatusCode.OK ? answer.DockerContentDigest : null;
    }

    private static IEnumerable<string> BlobsOf(JsonElement manifest)
    {
        yield return manifest.GetProperty("config").GetProperty("digest").GetString()!;
        foreach (var layer in manifest.GetProperty("layers").EnumerateArray())
        {
            yield return layer.GetProperty("digest").GetString()!;
        }
    }
}
