using System.Net;
using System.Text.Json;

namespace Registry.Distribution.Tests;

/// <summary>The ACR repository API <c>/acr/v1/…</c>: shapes, paging, ordering, attributes and deletes (ADR 0013).</summary>
public sealed class AcrRepositoryApiTests(MetadataFixture fixture) : IClassFixture<MetadataFixture>
{
    private readonly OciClient _client = fixture.Client;

    [Fact]
    public async Task Repository_shows_counts_times_attributes_and_pulls()
    {
        var repository = OciClient.NewRepository();
        await _client.PushImageAsync(repository, "v1");
        await _client.PushImageAsync(repository, "v2");
        using (var tagAgain = await _client.Http.GetAsync($"/v2/{repository}/manifests/v1"))
        {
            var content = new ByteArrayContent(await tagAgain.Content.ReadAsByteArrayAsync());
            content.Headers.ContentType = new(OciClient.OciManifest);
            using var put = await _client.Http.PutAsync($"/v2/{repository}/manifests/latest", content);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        var shown = await Acr.GetAsync(_client, $"/acr/v1/{repository}");
        Assert.Equal("default.localhost", shown.GetProperty("registry").GetString()?.Split(':')[0]);
        Assert.Equal(repository, shown.GetProperty("imageName").GetString());
        Assert.Equal(2, shown.GetProperty("manifestCount").GetInt32());
        Assert.Equal(3, shown.GetProperty("tagCount").GetInt32());
        var created = shown.GetProperty("createdTime").GetDateTimeOffset();
        Assert.InRange(created, DateTimeOffset.UtcNow.AddMinutes(-2), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.True(shown.GetProperty("lastUpdateTime").GetDateTimeOffset() >= created);
        AssertAttributes(shown.GetProperty("changeableAttributes"), true, true, true, true);
        Assert.False(shown.GetProperty("immutableTags").GetBoolean());
        Assert.Equal(1, shown.GetProperty("pullCount").GetInt64());
        Assert.True(shown.TryGetProperty("lastPulledTime", out _));

        var patched = await Acr.PatchAsync(_client, $"/acr/v1/{repository}", new { deleteEnabled = false, listEnabled = false });
        AssertAttributes(patched.GetProperty("changeableAttributes"), deleteEnabled: false, writeEnabled: true, readEnabled: true, listEnabled: false);
        AssertAttributes((await Acr.GetAsync(_client, $"/acr/v1/{repository}")).GetProperty("changeableAttributes"), false, true, true, false);
    }

    [Fact]
    public async Task Tags_list_pages_with_a_link_and_shows_each_tag()
    {
        var repository = OciClient.NewRepository();
        var images = new List<TestImage>();
        foreach (var tag in new[] { "c", "a", "b" })
        {
            images.Add(await _client.PushImageAsync(repository, tag));
        }

        using var first = await _client.Http.GetAsync($"/acr/v1/{repository}/_tags?n=2");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal($"</acr/v1/{repository}/_tags?n=2&last=b>; rel=\"next\"", OciClient.Header(first, "Link"));
        var body = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(repository, body.GetProperty("imageName").GetString());
        Assert.Equal(["a", "b"], Names(body.GetProperty("tags"), "name"));

        var tagA = body.GetProperty("tags")[0];
        var imageA = images[1];
        Assert.Equal(imageA.Digest, tagA.GetProperty("digest").GetString());
        Assert.Equal(ImageSize(imageA), tagA.GetProperty("size").GetInt64());
        Assert.False(tagA.GetProperty("signed").GetBoolean());
        Assert.Equal(0, tagA.GetProperty("pullCount").GetInt64());
        Assert.True(tagA.GetProperty("lastUpdateTime").GetDateTimeOffset() >= tagA.GetProperty("createdTime").GetDateTimeOffset());
        AssertAttributes(tagA.GetProperty("changeableAttributes"), true, true, true, true);

        var second = await Acr.GetAsync(_client, $"/acr/v1/{repository}/_tags?n=2&last=b");
        Assert.Equal(["c"], Names(second.GetProperty("tags"), "name"));

        var byDigest = await Acr.GetAsync(_client, $"/acr/v1/{repository}/_tags?digest={images[2].Digest}");
        Assert.Equal(["b"], Names(byDigest.GetProperty("tags"), "name"));
    }

    [Fact]
    public async Task Tags_and_manifests_order_by_time()
    {
        var repository = OciClient.NewRepository();
        var pushed = new List<TestImage>();
        foreach (var tag in new[] { "z", "x", "y" })
        {
            pushed.Add(await _client.PushImageAsync(repository, tag));
            await Task.Delay(50);
        }

        var desc = await Acr.GetAsync(_client, $"/acr/v1/{repository}/_tags?orderby=timedesc");
        Assert.Equal(["y", "x", "z"], Names(desc.GetProperty("tags"), "name"));
        using var ascPage = await _client.Http.GetAsync($"/acr/v1/{repository}/_tags?orderby=timeasc&n=1");
        Assert.Equal($"</acr/v1/{repository}/_tags?n=1&last=z&orderby=timeasc>; rel=\"next\"", OciClient.Header(ascPage, "Link"));
        var asc = await Acr.GetAsync(_client, $"/acr/v1/{repository}/_tags?orderby=timeasc&n=1&last=z");
        Assert.Equal(["x"], Names(asc.GetProperty("tags"), "name"));

        var manifests = await Acr.GetAsync(_client, $"/acr/v1/{repository}/_manifests?orderby=timedesc");
        Assert.Equal(pushed.Select(image => image.Digest).Reverse(), Names(manifests.GetProperty("manifests"), "digest"));

        using var wrong = await _client.Http.GetAsync($"/acr/v1/{repository}/_tags?orderby=sideways");
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
    }

    [Fact]
    public async Task Manifests_show_size_platform_and_tags_and_page()
    {
        var repository = OciClient.NewRepository();
        var image = await _client.PushImageAsync(repository, "v1");
        var index = OciClient.IndexManifest(OciClient.OciIndex, [OciClient.WithPlatform(OciClient.Descriptor(image), "amd64")]);
        var indexDigest = await _client.PushManifestAsync(repository, "multi", index, OciClient.OciIndex);

        var all = await Acr.GetAsync(_client, $"/acr/v1/{repository}/_manifests");
        var manifests = all.GetProperty("manifests").EnumerateArray().ToDictionary(m => m.GetProperty("digest").GetString()!);
        Assert.Equal(2, manifests.Count);
        var shownImage = manifests[image.Digest];
        Assert.Equal(ImageSize(image), shownImage.GetProperty("imageSize").GetInt64());
        Assert.Equal("amd64", shownImage.GetProperty("architecture").GetString());
        Assert.Equal("linux", shownImage.GetProperty("os").GetString());
        Assert.Equal(OciClient.OciManifest, shownImage.GetProperty("mediaType").GetString());
        Assert.Equal(["v1"], Names(shownImage.GetProperty("tags")));
        AssertAttributes(shownImage.GetProperty("changeableAttributes"), true, true, true, true);
        Assert.Equal(0, shownImage.GetProperty("pullCount").GetInt64());
        var shownIndex = manifests[indexDigest];
        Assert.False(shownIndex.TryGetProperty("architecture", out _));
        Assert.False(shownIndex.TryGetProperty("os", out _));
        Assert.Equal(index.Length + image.Manifest.Length, shownIndex.GetProperty("imageSize").GetInt64());
        Assert.Equal(["multi"], Names(shownIndex.GetProperty("tags")));

        var first = string.CompareOrdinal(image.Digest, indexDigest) < 0 ? image.Digest : indexDigest;
        using var page = await _client.Http.GetAsync($"/acr/v1/{repository}/_manifests?n=1");
        Assert.Equal($"</acr/v1/{repository}/_manifests?n=1&last={Uri.EscapeDataString(first)}>; rel=\"next\"", OciClient.Header(page, "Link"));

        var one = await Acr.GetAsync(_client, $"/acr/v1/{repository}/_manifests/{image.Digest}");
        Assert.Equal(repository, one.GetProperty("imageName").GetString());
        Assert.Equal(image.Digest, one.GetProperty("manifest").GetProperty("digest").GetString());
        var patched = await Acr.PatchAsync(_client, $"/acr/v1/{repository}/_manifests/{image.Digest}", new { writeEnabled = false });
        AssertAttributes(patched.GetProperty("manifest").GetProperty("changeableAttributes"), true, false, true, true);
        await Acr.PatchAsync(_client, $"/acr/v1/{repository}/_manifests/{image.Digest}", new { writeEnabled = true });
    }

    [Fact]
    public async Task Single_tag_patch_and_deletes_go_through_the_store()
    {
        var repository = OciClient.NewRepository();
        var image = await _client.PushImageAsync(repository, "v1");
        var tagged = await _client.PushImageAsync(repository, "v2");

        var tag = await Acr.GetAsync(_client, $"/acr/v1/{repository}/_tags/v1");
        Assert.Equal(repository, tag.GetProperty("imageName").GetString());
        Assert.Equal(image.Digest, tag.GetProperty("tag").GetProperty("digest").GetString());
        var patched = await Acr.PatchAsync(_client, $"/acr/v1/{repository}/_tags/v1", new { deleteEnabled = false, readEnabled = false });
        AssertAttributes(patched.GetProperty("tag").GetProperty("changeableAttributes"), false, true, false, true);
        await Acr.PatchAsync(_client, $"/acr/v1/{repository}/_tags/v1", new { deleteEnabled = true, readEnabled = true });

        using (var untag = await _client.SendAsync(HttpMethod.Delete, $"/acr/v1/{repository}/_tags/v1"))
        {
            Assert.Equal(HttpStatusCode.Accepted, untag.StatusCode);
        }

        using (var gone = await _client.SendAsync(HttpMethod.Head, $"/v2/{repository}/manifests/v1"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        using (var kept = await _client.SendAsync(HttpMethod.Head, $"/v2/{repository}/manifests/{image.Digest}"))
        {
            Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
        }

        using (var delete = await _client.SendAsync(HttpMethod.Delete, $"/acr/v1/{repository}/_manifests/{tagged.Digest}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }

        using (var missing = await _client.SendAsync(HttpMethod.Head, $"/v2/{repository}/manifests/v2"))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        using var unknownTag = await _client.Http.GetAsync($"/acr/v1/{repository}/_tags/v1");
        await OciClient.AssertErrorAsync(unknownTag, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        using var unknownRepository = await _client.Http.GetAsync($"/acr/v1/{OciClient.NewRepository()}/_tags");
        await OciClient.AssertErrorAsync(unknownRepository, HttpStatusCode.NotFound, "NAME_UNKNOWN");
        using var badBody = await _client.Http.PatchAsync($"/acr/v1/{repository}", new StringContent("not json"));
        Assert.Equal(HttpStatusCode.BadRequest, badBody.StatusCode);
    }

    [Fact]
    public async Task Catalog_pages_with_a_link()
    {
        var repositories = new[] { OciClient.NewRepository("acrcatalog"), OciClient.NewRepository("acrcatalog") }.Order(StringComparer.Ordinal).ToList();
        foreach (var repository in repositories)
        {
            await _client.PushImageAsync(repository, "v1");
        }

        var all = await Acr.GetAsync(_client, "/acr/v1/_catalog");
        var names = Names(all.GetProperty("repositories"));
        Assert.Contains(repositories[0], names);
        Assert.Contains(repositories[1], names);

        using var page = await _client.Http.GetAsync($"/acr/v1/_catalog?n=1&last={repositories[0]}");
        var body = JsonDocument.Parse(await page.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal([repositories[1]], Names(body.GetProperty("repositories")));
        if (names[^1] != repositories[1])
        {
            Assert.Equal($"</acr/v1/_catalog?n=1&last={Uri.EscapeDataString(repositories[1])}>; rel=\"next\"", OciClient.Header(page, "Link"));
        }
    }

    internal static List<string?> Names(JsonElement array, string? property = null) =>
        [.. array.EnumerateArray().Select(item => property is null ? item.GetString() : item.GetProperty(property).GetString())];

    /// <summary>Manifest, config and layers, as the test image's manifest lists them.</summary>
    private static long ImageSize(TestImage image)
    {
        var manifest = JsonDocument.Parse(image.Manifest).RootElement;
        return image.Manifest.Length + manifest.GetProperty("config").GetProperty("size").GetInt64()
            + manifest.GetProperty("layers").EnumerateArray().Sum(layer => layer.GetProperty("size").GetInt64());
    }

    private static void AssertAttributes(JsonElement attributes, bool deleteEnabled, bool writeEnabled, bool readEnabled, bool listEnabled)
    {
        Assert.Equal(deleteEnabled, attributes.GetProperty("deleteEnabled").GetBoolean());
        Assert.Equal(writeEnabled, attributes.GetProperty("writeEnabled").GetBoolean());
        Assert.Equal(readEnabled, attributes.GetProperty("readEnabled").GetBoolean());
        Assert.Equal(listEnabled, attributes.GetProperty("listEnabled").GetBoolean());
    }
}
