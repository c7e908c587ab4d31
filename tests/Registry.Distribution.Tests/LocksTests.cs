using System.Net;

namespace Registry.Distribution.Tests;

/// <summary>ACR's changeable attributes (locks) as the <c>/v2</c> API honours them (ADR 0013).</summary>
public sealed class LocksTests(MetadataFixture fixture) : IClassFixture<MetadataFixture>
{
    private readonly OciClient _client = fixture.Client;

    [Fact]
    public async Task Push_to_a_write_locked_tag_is_denied_but_the_same_digest_is_accepted()
    {
        var repository = OciClient.NewRepository();
        var image = await _client.PushImageAsync(repository, "v1");
        await Acr.PatchAsync(_client, $"/acr/v1/{repository}/_tags/v1", new { writeEnabled = false });

        var other = await _client.PushImageAsync(repository, "other");
        using var moved = await _client.PutManifestAsync(repository, "v1", other.Manifest, other.MediaType);
        Assert.Equal($"tag 'v1' of repository '{repository}' is locked: writeEnabled is false", await Acr.DeniedMessageAsync(moved));

        using var same = await _client.PutManifestAsync(repository, "v1", image.Manifest, image.MediaType);
        Assert.Equal(HttpStatusCode.Created, same.StatusCode);
        using var head = await _client.SendAsync(HttpMethod.Head, $"/v2/{repository}/manifests/v1");
        Assert.Equal(image.Digest, OciClient.Header(head, "Docker-Content-Digest"));
    }

    [Fact]
    public async Task A_write_locked_repository_refuses_pushes_and_uploads()
    {
        var repository = OciClient.NewRepository();
        await _client.PushImageAsync(repository, "v1");
        await Acr.PatchAsync(_client, $"/acr/v1/{repository}", new { writeEnabled = false });

        var message = $"repository '{repository}' is locked: writeEnabled is false";
        using var upload = await _client.Http.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        Assert.Equal(message, await Acr.DeniedMessageAsync(upload));
        var manifest = OciClient.ImageManifest(OciClient.OciManifest, OciClient.Descriptor(OciClient.OciEmpty, OciClient.DigestOf("{}"u8.ToArray()), 2), []);
        using var push = await _client.PutManifestAsync(repository, "v2", manifest, OciClient.OciManifest);
        Assert.Equal(message, await Acr.DeniedMessageAsync(push));

        await Acr.PatchAsync(_client, $"/acr/v1/{repository}", new { writeEnabled = true });
        await _client.PushImageAsync(repository, "v2");
    }

    [Fact]
    public async Task Deleting_a_delete_locked_manifest_is_denied_until_unlocked()
    {
        var repository = OciClient.NewRepository();
        var image = await _client.PushImageAsync(repository, "v1");
        await Acr.PatchAsync(_client, $"/acr/v1/{repository}/_manifests/{image.Digest}", new { deleteEnabled = false });

        using var byDigest = await _client.SendAsync(HttpMethod.Delete, $"/v2/{repository}/manifests/{image.Digest}");
        Assert.Equal($"manifest '{image.Digest}' of repository '{repository}' is locked: deleteEnabled is false", await Acr.DeniedMessageAsync(byDigest));
        using var throughAcr = await _client.SendAsync(HttpMethod.Delete, $"/acr/v1/{repository}/_manifests/{image.Digest}");
        await Acr.DeniedMessageAsync(throughAcr);
        using var wholeRepository = await _client.SendAsync(HttpMethod.Delete, $"/acr/v1/{repository}");
        await Acr.DeniedMessageAsync(wholeRepository);

        await Acr.PatchAsync(_client, $"/acr/v1/{repository}/_manifests/{image.Digest}", new { deleteEnabled = true });
        using var deleted = await _client.SendAsync(HttpMethod.Delete, $"/v2/{repository}/manifests/{image.Digest}");
        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
    }

    [Fact]
    public async Task A_manifest_with_a_write_locked_tag_cannot_be_deleted_nor_the_tag_untagged()
    {
        var repository = OciClient.NewRepository();
        var image = await _client.PushImageAsync(repository, "v1");
        await Acr.PatchAsync(_client, $"/acr/v1/{repository}/_tags/v1", new { writeEnabled = false });

        var message = $"tag 'v1' of repository '{repository}' is locked: writeEnabled is false";
        using var manifest = await _client.SendAsync(HttpMethod.Delete, $"/v2/{repository}/manifests/{image.Digest}");
        Assert.Equal(message, await Acr.DeniedMessageAsync(manifest));
        using var tag = await _client.SendAsync(HttpMethod.Delete, $"/v2/{repository}/manifests/v1");
        Assert.Equal(message, await Acr.DeniedMessageAsync(tag));
        using var still = await _client.SendAsync(HttpMethod.Head, $"/v2/{repository}/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
    }

    [Fact]
    public async Task Read_locks_refuse_manifest_and_blob_reads()
    {
        var repository = OciClient.NewRepository();
        var image = await _client.PushImageAsync(repository, "v1");
        var layer = System.Text.Json.JsonDocument.Parse(image.Manifest).RootElement.GetProperty("layers")[0].GetProperty("digest").GetString();

        await Acr.PatchAsync(_client, $"/acr/v1/{repository}/_tags/v1", new { readEnabled = false });
        using (var byTag = await _client.Http.GetAsync($"/v2/{repository}/manifests/v1"))
        {
            Assert.Equal($"tag 'v1' of repository '{repository}' is locked: readEnabled is false", await Acr.DeniedMessageAsync(byTag));
        }

        using (var byDigest = await _client.Http.GetAsync($"/v2/{repository}/manifests/{image.Digest}"))
        {
            Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
        }

        await Acr.PatchAsync(_client, $"/acr/v1/{repository}/_manifests/{image.Digest}", new { readEnabled = false });
        using (var byDigest = await _client.SendAsync(HttpMethod.Head, $"/v2/{repository}/manifests/{image.Digest}"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, byDigest.StatusCode);
        }

        await Acr.PatchAsync(_client, $"/acr/v1/{repository}", new { readEnabled = false });
        using (var blob = await _client.Http.GetAsync($"/v2/{repository}/blobs/{layer}"))
        {
            Assert.Equal($"repository '{repository}' is locked: readEnabled is false", await Acr.DeniedMessageAsync(blob));
        }

        // The ACR API still shows a read-locked item, so it can be unlocked.
        var shown = await Acr.GetAsync(_client, $"/acr/v1/{repository}/_tags/v1");
        Assert.False(shown.GetProperty("tag").GetProperty("changeableAttributes").GetProperty("readEnabled").GetBoolean());
        await Acr.PatchAsync(_client, $"/acr/v1/{repository}", new { readEnabled = true });
        using var open = await _client.Http.GetAsync($"/v2/{repository}/blobs/{layer}");
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
    }

    [Fact]
    public async Task List_disabled_hides_the_tag_from_tag_lists_and_the_repository_from_the_catalog()
    {
        var repository = OciClient.NewRepository();
        await _client.PushImageAsync(repository, "a");
        await _client.PushImageAsync(repository, "b");
        await _client.PushImageAsync(repository, "c");
        await Acr.PatchAsync(_client, $"/acr/v1/{repository}/_tags/b", new { listEnabled = false });

        var tags = await Acr.GetAsync(_client, $"/v2/{repository}/tags/list");
        Assert.Equal(["a", "c"], tags.GetProperty("tags").EnumerateArray().Select(tag => tag.GetString()));
        using (var page = await _client.Http.GetAsync($"/v2/{repository}/tags/list?n=1&last=a"))
        {
            Assert.Contains("\"c\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var acrTags = await Acr.GetAsync(_client, $"/acr/v1/{repository}/_tags");
        Assert.Equal(["a", "c"], acrTags.GetProperty("tags").EnumerateArray().Select(tag => tag.GetProperty("name").GetString()));
        using (var pull = await _client.Http.GetAsync($"/v2/{repository}/manifests/b"))
        {
            Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        }

        Assert.Contains(repository, await CatalogAsync());
        await Acr.PatchAsync(_client, $"/acr/v1/{repository}", new { listEnabled = false });
        Assert.DoesNotContain(repository, await CatalogAsync());
        await Acr.PatchAsync(_client, $"/acr/v1/{repository}/_tags/b", new { listEnabled = true });
        var relisted = await Acr.GetAsync(_client, $"/v2/{repository}/tags/list");
        Assert.Equal(["a", "b", "c"], relisted.GetProperty("tags").EnumerateArray().Select(tag => tag.GetString()));
    }

    [Fact]
    public async Task Immutable_tags_by_repository_attribute_cannot_move_or_be_deleted()
    {
        var repository = OciClient.NewRepository();
        var image = await _client.PushImageAsync(repository, "v1");
        var shown = await Acr.PatchAsync(_client, $"/acr/v1/{repository}", new { immutableTags = true });
        Assert.True(shown.GetProperty("immutableTags").GetBoolean());
        await ImmutabilityHolds(_client, repository, image);
    }

    private async Task<List<string?>> CatalogAsync() =>
        [.. (await Acr.GetAsync(_client, "/v2/_catalog")).GetProperty("repositories").EnumerateArray().Select(name => name.GetString())];

    /// <summary>v1 cannot move nor be deleted, its manifest cannot be deleted, the same digest re-pushes and new tags are accepted.</summary>
    internal static async Task ImmutabilityHolds(OciClient client, string repository, TestImage image)
    {
        var message = $"tag 'v1' of repository '{repository}' is immutable";
        var other = await client.PushImageAsync(repository, "v2");
        using (var moved = await client.PutManifestAsync(repository, "v1", other.Manifest, other.MediaType))
        {
            Assert.Equal(message, await Acr.DeniedMessageAsync(moved));
        }

        using (var same = await client.PutManifestAsync(repository, "v1", image.Manifest, image.MediaType))
        {
            Assert.Equal(HttpStatusCode.Created, same.StatusCode);
        }

        using (var untag = await client.SendAsync(HttpMethod.Delete, $"/v2/{repository}/manifests/v1"))
        {
            Assert.Equal(message, await Acr.DeniedMessageAsync(untag));
        }

        using (var delete = await client.SendAsync(HttpMethod.Delete, $"/v2/{repository}/manifests/{image.Digest}"))
        {
            Assert.Equal(message, await Acr.DeniedMessageAsync(delete));
        }

        using var head = await client.SendAsync(HttpMethod.Head, $"/v2/{repository}/manifests/v1");
        Assert.Equal(image.Digest, OciClient.Header(head, "Docker-Content-Digest"));
    }
}

/// <summary>The registry's immutable-tags policy (its own host: the policy covers the whole registry).</summary>
public sealed class ImmutableTagsPolicyTests(MetadataFixture fixture) : IClassFixture<MetadataFixture>
{
    [Fact]
    public async Task Immutable_tags_by_registry_policy_cannot_move_or_be_deleted()
    {
        var client = fixture.Client;
        var repository = OciClient.NewRepository();
        var image = await client.PushImageAsync(repository, "v1");
        fixture.Policy.ImmutableTags = true;
        try
        {
            await LocksTests.ImmutabilityHolds(client, repository, image);
        }
        finally
        {
            fixture.Policy.ImmutableTags = false;
        }

        using var untag = await client.SendAsync(HttpMethod.Delete, $"/v2/{repository}/manifests/v1");
        Assert.Equal(HttpStatusCode.Accepted, untag.StatusCode);
    }
}
