using System.Net;
using System.Text.Json;

namespace Registry.Distribution.Tests;

/// <summary>Purge: az acr purge's filters, keep, ago, untagged and lastPulledBefore; a dry run lists exactly what the real run deletes.</summary>
public sealed class PurgeTests(CleanupHostFixture fixture) : IClassFixture<CleanupHostFixture>
{
    private readonly CleanupHost _host = fixture.Host;

    [Fact]
    public async Task A_dry_run_lists_exactly_what_the_same_request_then_deletes()
    {
        var repository = OciClient.NewRepository("purge");
        var images = new List<TestImage>();
        foreach (var tag in new[] { "v1", "v2", "v3", "v4" })
        {
            images.Add(await _host.Client.PushImageAsync(repository, tag));
        }

        var shared = await _host.Client.PushImageAsync(repository, "v5");
        using (await _host.Client.PutManifestAsync(repository, "stable", shared.Manifest, shared.MediaType))
        {
        }

        var untagged = await _host.Client.PushImageAsync(repository);
        var request = new { filters = new[] { $"{repository}:v.*" }, keep = 1, untagged = true };

        var dryRun = await _host.PurgeAsync(new { request.filters, request.keep, request.untagged, dryRun = true });
        Assert.True(dryRun.GetProperty("dryRun").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, await _host.ManifestStatusAsync(repository, "v1"));

        var real = await _host.PurgeAsync(request);
        Assert.Equal(Outcome(dryRun), Outcome(real));

        // v5 is the newest matching tag (kept); v1..v4 and their manifests go; the untagged manifest goes; "stable" stays.
        var deleted = real.GetProperty("deleted").EnumerateArray().Select(d => d.GetProperty("digest").GetString()).ToHashSet();
        Assert.Equal(images.Select(i => i.Digest).Append(untagged.Digest).Order(StringComparer.Ordinal), deleted.Order(StringComparer.Ordinal));
        Assert.Empty(real.GetProperty("untagged").EnumerateArray());
        foreach (var image in images.Append(untagged))
        {
            Assert.Equal(HttpStatusCode.NotFound, await _host.ManifestStatusAsync(repository, image.Digest));
        }

        Assert.Equal(HttpStatusCode.OK, await _host.ManifestStatusAsync(repository, "v5"));
        Assert.Equal(HttpStatusCode.OK, await _host.ManifestStatusAsync(repository, "stable"));
    }

    [Fact]
    public async Task A_manifest_with_a_tag_that_does_not_match_is_only_untagged()
    {
        var repository = OciClient.NewRepository("purge");
        var image = await _host.Client.PushImageAsync(repository, "dev-1");
        using (await _host.Client.PutManifestAsync(repository, "release", image.Manifest, image.MediaType))
        {
        }

        var result = await _host.PurgeAsync(new { filters = new[] { $"{repository}:dev-.*" } });
        Assert.Empty(result.GetProperty("deleted").EnumerateArray());
        var untagged = Assert.Single(result.GetProperty("untagged").EnumerateArray());
        Assert.Equal("dev-1", untagged.GetProperty("tag").GetString());
        Assert.Equal(HttpStatusCode.NotFound, await _host.ManifestStatusAsync(repository, "dev-1"));
        Assert.Equal(HttpStatusCode.OK, await _host.ManifestStatusAsync(repository, "release"));
    }

    [Fact]
    public async Task Ago_and_last_pulled_before_spare_what_is_recent_and_filters_are_anchored()
    {
        var repository = OciClient.NewRepository("purge");
        await _host.Client.PushImageAsync(repository, "v1");
        await _host.Client.PushImageAsync(repository, "xv1");

        var recent = await _host.PurgeAsync(new { filters = new[] { $"{repository}:.*" }, ago = "1d" });
        Assert.Empty(recent.GetProperty("deleted").EnumerateArray());
        var notPulledLong = await _host.PurgeAsync(new { filters = new[] { $"{repository}:.*" }, lastPulledBefore = "0.01:00:00" });
        Assert.Empty(notPulledLong.GetProperty("deleted").EnumerateArray());

        // "v1" matches only v1 (anchored), and a zero age selects everything pushed before now.
        var anchored = await _host.PurgeAsync(new { filters = new[] { $"{repository}:v1" }, ago = "0m", lastPulledBefore = "0d" });
        Assert.Equal(["v1"], anchored.GetProperty("deleted").EnumerateArray().SelectMany(d => d.GetProperty("tags").EnumerateArray()).Select(t => t.GetString()));
        Assert.Equal(HttpStatusCode.OK, await _host.ManifestStatusAsync(repository, "xv1"));
    }

    [Fact]
    public async Task An_untagged_manifest_ages_from_when_it_lost_its_tag_not_from_its_push()
    {
        var repository = OciClient.NewRepository("purge");
        var first = await _host.Client.PushImageAsync(repository, "latest");
        var neverTagged = await _host.Client.PushImageAsync(repository);
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        // "latest" moves on: the first image is untagged from now, though pushed seconds ago.
        var second = await _host.Client.PushImageAsync(repository, "latest");
        var request = new { filters = new[] { $"{repository}:^$" }, untagged = true, ago = "0.00:00:02" };
        var fresh = await _host.PurgeAsync(request);
        Assert.Equal([neverTagged.Digest], fresh.GetProperty("deleted").EnumerateArray().Select(d => d.GetProperty("digest").GetString()));
        Assert.Equal(HttpStatusCode.OK, await _host.ManifestStatusAsync(repository, first.Digest));

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var aged = await _host.PurgeAsync(request);
        Assert.Equal([first.Digest], aged.GetProperty("deleted").EnumerateArray().Select(d => d.GetProperty("digest").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, await _host.ManifestStatusAsync(repository, first.Digest));
        Assert.Equal(HttpStatusCode.OK, await _host.ManifestStatusAsync(repository, "latest"));
        Assert.Equal(HttpStatusCode.OK, await _host.ManifestStatusAsync(repository, second.Digest));
    }

    [Fact]
    public async Task Locked_manifests_are_skipped_and_reported_and_an_index_keeps_its_children()
    {
        var repository = OciClient.NewRepository("purge");
        var locked = await _host.Client.PushImageAsync(repository, "locked");
        await _host.PatchManifestAsync(repository, locked.Digest, new { deleteEnabled = false });
        var amd64 = await _host.Client.PushImageAsync(repository);
        var arm64 = await _host.Client.PushImageAsync(repository);
        var index = OciClient.IndexManifest(OciClient.OciIndex, [OciClient.WithPlatform(OciClient.Descriptor(amd64), "amd64"), OciClient.WithPlatform(OciClient.Descriptor(arm64), "arm64")]);
        await _host.Client.PushManifestAsync(repository, "multi", index, OciClient.OciIndex);

        var request = new { filters = new[] { $"{repository}:locked" }, untagged = true };
        var dryRun = await _host.PurgeAsync(new { request.filters, request.untagged, dryRun = true });
        var real = await _host.PurgeAsync(request);
        Assert.Equal(Outcome(dryRun), Outcome(real));

        Assert.Empty(real.GetProperty("deleted").EnumerateArray());
        var skipped = Assert.Single(real.GetProperty("skipped").EnumerateArray());
        Assert.Equal(locked.Digest, skipped.GetProperty("digest").GetString());
        Assert.False(string.IsNullOrEmpty(skipped.GetProperty("reason").GetString()));
        Assert.Equal(HttpStatusCode.OK, await _host.ManifestStatusAsync(repository, "locked"));
        Assert.Equal(HttpStatusCode.OK, await _host.ManifestStatusAsync(repository, amd64.Digest));
        Assert.Equal(HttpStatusCode.OK, await _host.ManifestStatusAsync(repository, arm64.Digest));
    }

    [Fact]
    public async Task Purge_rules_are_created_listed_shown_and_deleted_and_bad_ones_refused()
    {
        var rule = new { filters = new[] { "nightly/.*:.*" }, ago = "30d", untagged = true, keep = 3, schedule = "0 3 * * *", enabled = true };
        var created = await _host.ManageAsync(HttpMethod.Put, "purgeRules/nightly1", rule, HttpStatusCode.Created);
        Assert.Equal("0 3 * * *", created.GetProperty("schedule").GetString());
        Assert.True(created.GetProperty("nextRunAt").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        await _host.ManageAsync(HttpMethod.Put, "purgeRules/nightly1", rule with { keep = 5 });
        Assert.Equal(5, (await _host.ManageAsync(HttpMethod.Get, "purgeRules/nightly1")).GetProperty("keep").GetInt32());
        Assert.Contains((await _host.ManageAsync(HttpMethod.Get, "purgeRules")).GetProperty("value").EnumerateArray(), r => r.GetProperty("name").GetString() == "nightly1");

        await _host.ManageAsync(HttpMethod.Put, "purgeRules/badcron1", rule with { schedule = "every night" }, HttpStatusCode.BadRequest);
        await _host.ManageAsync(HttpMethod.Put, "purgeRules/badfilter", rule with { filters = new[] { "no-separator" } }, HttpStatusCode.BadRequest);
        await _host.ManageAsync(HttpMethod.Post, "purge", new { filters = new[] { "a:b" }, ago = "soon" }, HttpStatusCode.BadRequest);

        await _host.ManageAsync(HttpMethod.Delete, "purgeRules/nightly1", expected: HttpStatusCode.NoContent);
        await _host.ManageAsync(HttpMethod.Get, "purgeRules/nightly1", expected: HttpStatusCode.NotFound);
    }

    /// <summary>What a purge answered, without its id and times.</summary>
    private static string Outcome(JsonElement result) => string.Join(
        "\n",
        new[] { "deleted", "untagged", "skipped" }.Select(name => $"{name}: {result.GetProperty(name).GetRawText()}"));
}
