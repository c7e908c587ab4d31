using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Registry.Distribution.Tests;

public sealed class ManifestTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private readonly OciClient _client = fixture.Client;

    /// <summary>Re-indents JSON and adds a trailing newline: what is served must be these bytes, not a re-serialisation.</summary>
    private static byte[] Pretty(byte[] json) =>
        Encoding.UTF8.GetBytes(JsonNode.Parse(json)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

    /// <summary>A manifest of each supported media type, with everything it references already pushed.</summary>
    private async Task<byte[]> BuildAsync(string repository, string mediaType)
    {
        switch (mediaType)
        {
            case OciClient.OciManifest:
            case OciClient.DockerManifest:
            {
                var docker = mediaType == OciClient.DockerManifest;
                var config = Encoding.UTF8.GetBytes("""{"architecture":"arm64","os":"linux"}""");
                var layer = OciClient.RandomBytes(512);
                return Pretty(OciClient.ImageManifest(
                    mediaType,
                    OciClient.Descriptor(docker ? OciClient.DockerConfig : OciClient.OciConfig, await _client.PushBlobAsync(repository, config), config.Length),
                    [OciClient.Descriptor(docker ? OciClient.DockerLayer : OciClient.OciLayer, await _client.PushBlobAsync(repository, layer), layer.Length)]));
            }

            default:
            {
                var childType = mediaType == OciClient.OciIndex ? OciClient.OciManifest : OciClient.DockerManifest;
                var amd64 = await _client.PushImageAsync(repository, mediaType: childType);
                var arm64 = await _client.PushImageAsync(repository, mediaType: childType);
                return Pretty(OciClient.IndexManifest(
                    mediaType,
                    [OciClient.WithPlatform(OciClient.Descriptor(amd64), "amd64"), OciClient.WithPlatform(OciClient.Descriptor(arm64), "arm64")]));
            }
        }
    }

    public static TheoryData<string> SupportedTypes() =>
        [OciClient.OciManifest, OciClient.OciIndex, OciClient.DockerManifest, OciClient.DockerManifestList];

    [Theory]
    [MemberData(nameof(SupportedTypes))]
    public async Task Put_by_tag_then_get_and_head_by_tag_and_digest_serve_the_pushed_bytes(string mediaType)
    {
        var repository = OciClient.NewRepository();
        var manifest = await BuildAsync(repository, mediaType);
        var digest = OciClient.DigestOf(manifest);

        using (var put = await _client.PutManifestAsync(repository, "v1", manifest, mediaType))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            Assert.Equal(digest, OciClient.Header(put, "Docker-Content-Digest"));
            Assert.Equal($"/v2/{repository}/manifests/{digest}", put.Headers.Location?.OriginalString);
        }

        foreach (var reference in new[] { "v1", digest })
        {
            using var get = await _client.Http.GetAsync($"/v2/{repository}/manifests/{reference}");
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal(manifest, await get.Content.ReadAsByteArrayAsync());
            Assert.Equal(mediaType, get.Content.Headers.ContentType?.ToString());
            Assert.Equal(manifest.Length, get.Content.Headers.ContentLength);
            Assert.Equal(digest, OciClient.Header(get, "Docker-Content-Digest"));
            Assert.Equal($"\"{digest}\"", get.Headers.ETag?.Tag);

            using var head = await _client.SendAsync(HttpMethod.Head, $"/v2/{repository}/manifests/{reference}");
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(mediaType, head.Content.Headers.ContentType?.ToString());
            Assert.Equal(manifest.Length, head.Content.Headers.ContentLength);
            Assert.Equal(digest, OciClient.Header(head, "Docker-Content-Digest"));
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        }
    }

    [Theory]
    [MemberData(nameof(SupportedTypes))]
    public async Task Put_by_digest_and_delete_by_digest(string mediaType)
    {
        var repository = OciClient.NewRepository();
        var manifest = await BuildAsync(repository, mediaType);
        var digest = await _client.PushManifestAsync(repository, OciClient.DigestOf(manifest), manifest, mediaType);

        using (var get = await _client.Http.GetAsync($"/v2/{repository}/manifests/{digest}"))
        {
            Assert.Equal(manifest, await get.Content.ReadAsByteArrayAsync());
        }

        using var delete = await _client.SendAsync(HttpMethod.Delete, $"/v2/{repository}/manifests/{digest}");
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        using var gone = await _client.Http.GetAsync($"/v2/{repository}/manifests/{digest}");
        await OciClient.AssertErrorAsync(gone, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        using var goneHead = await _client.SendAsync(HttpMethod.Head, $"/v2/{repository}/manifests/{digest}");
        Assert.Equal(HttpStatusCode.NotFound, goneHead.StatusCode);
        using var again = await _client.SendAsync(HttpMethod.Delete, $"/v2/{repository}/manifests/{digest}");
        await OciClient.AssertErrorAsync(again, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task Media_type_comes_from_the_body_when_content_type_is_generic()
    {
        var repository = OciClient.NewRepository();
        var manifest = await BuildAsync(repository, OciClient.DockerManifest);

        await _client.PushManifestAsync(repository, "generic", manifest, "application/json");

        using var get = await _client.Http.GetAsync($"/v2/{repository}/manifests/generic");
        Assert.Equal(OciClient.DockerManifest, get.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Schema_1_is_refused()
    {
        var repository = OciClient.NewRepository();
        var manifest = Encoding.UTF8.GetBytes("""{"schemaVersion":1,"name":"x","tag":"latest","architecture":"amd64","fsLayers":[],"history":[],"signatures":[]}""");

        using var response = await _client.PutManifestAsync(repository, "old", manifest, OciClient.DockerSchema1);

        var error = await OciClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
        Assert.Contains("schema 1", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        using var get = await _client.Http.GetAsync($"/v2/{repository}/manifests/old");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task Content_type_that_contradicts_the_body_is_refused()
    {
        var repository = OciClient.NewRepository();
        var manifest = await BuildAsync(repository, OciClient.OciManifest);

        using var response = await _client.PutManifestAsync(repository, "x", manifest, OciClient.DockerManifest);

        await OciClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{}")]
    [InlineData("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}""")]
    public async Task Invalid_manifests_are_manifest_invalid(string body)
    {
        using var response = await _client.PutManifestAsync(OciClient.NewRepository(), "bad", Encoding.UTF8.GetBytes(body), OciClient.OciManifest);

        await OciClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
    }

    [Fact]
    public async Task Empty_body_is_manifest_invalid()
    {
        using var response = await _client.PutManifestAsync(OciClient.NewRepository(), "empty", [], OciClient.OciManifest);

        await OciClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
    }

    [Fact]
    public async Task Missing_config_blob_is_manifest_blob_unknown()
    {
        var repository = OciClient.NewRepository();
        var layer = OciClient.RandomBytes(10);
        var missing = OciClient.DigestOf(OciClient.RandomBytes(10));
        var manifest = OciClient.ImageManifest(
            OciClient.OciManifest,
            OciClient.Descriptor(OciClient.OciConfig, missing, 10),
            [OciClient.Descriptor(OciClient.OciLayer, await _client.PushBlobAsync(repository, layer), 10)]);

        using var response = await _client.PutManifestAsync(repository, "x", manifest, OciClient.OciManifest);

        var error = await OciClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        Assert.Equal(missing, error.GetProperty("detail").GetProperty("digest").GetString());
    }

    [Fact]
    public async Task Missing_layer_blob_is_manifest_blob_unknown()
    {
        var repository = OciClient.NewRepository();
        var config = OciClient.RandomBytes(10);
        var missing = OciClient.DigestOf(OciClient.RandomBytes(10));
        var manifest = OciClient.ImageManifest(
            OciClient.DockerManifest,
            OciClient.Descriptor(OciClient.DockerConfig, await _client.PushBlobAsync(repository, config), 10),
            [OciClient.Descriptor(OciClient.DockerLayer, missing, 10)]);

        using var response = await _client.PutManifestAsync(repository, "x", manifest, OciClient.DockerManifest);

        await OciClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        using var get = await _client.Http.GetAsync($"/v2/{repository}/manifests/{OciClient.DigestOf(manifest)}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task Blob_in_another_repository_does_not_count()
    {
        var repository = OciClient.NewRepository();
        var elsewhere = OciClient.NewRepository();
        var config = OciClient.RandomBytes(10);
        var layer = OciClient.RandomBytes(10);
        var manifest = OciClient.ImageManifest(
            OciClient.OciManifest,
            OciClient.Descriptor(OciClient.OciConfig, await _client.PushBlobAsync(repository, config), 10),
            [OciClient.Descriptor(OciClient.OciLayer, await _client.PushBlobAsync(elsewhere, layer), 10)]);

        using var response = await _client.PutManifestAsync(repository, "x", manifest, OciClient.OciManifest);

        await OciClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
    }

    [Fact]
    public async Task Descriptor_size_that_differs_from_the_blob_is_refused()
    {
        var repository = OciClient.NewRepository();
        var config = OciClient.RandomBytes(10);
        var manifest = OciClient.ImageManifest(
            OciClient.OciManifest,
            OciClient.Descriptor(OciClient.OciConfig, await _client.PushBlobAsync(repository, config), 11),
            []);

        using var response = await _client.PutManifestAsync(repository, "x", manifest, OciClient.OciManifest);

        await OciClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
    }

    [Fact]
    public async Task Non_distributable_layer_with_urls_may_be_missing()
    {
        var repository = OciClient.NewRepository();
        var config = OciClient.RandomBytes(10);
        var foreign = OciClient.Descriptor("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", OciClient.DigestOf(OciClient.RandomBytes(99)), 99);
        foreign["urls"] = new JsonArray("https://mcr.microsoft.com/layer.tar.gz");
        var manifest = OciClient.ImageManifest(
            OciClient.DockerManifest,
            OciClient.Descriptor(OciClient.DockerConfig, await _client.PushBlobAsync(repository, config), 10),
            [foreign]);

        await _client.PushManifestAsync(repository, "windows", manifest, OciClient.DockerManifest);

        using var get = await _client.Http.GetAsync($"/v2/{repository}/manifests/windows");
        Assert.Equal(manifest, await get.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData(OciClient.OciIndex, OciClient.OciManifest)]
    [InlineData(OciClient.DockerManifestList, OciClient.DockerManifest)]
    public async Task Index_with_a_missing_child_is_manifest_blob_unknown(string indexType, string childType)
    {
        var repository = OciClient.NewRepository();
        var present = await _client.PushImageAsync(repository, mediaType: childType);
        var missing = OciClient.Descriptor(childType, OciClient.DigestOf(OciClient.RandomBytes(300)), 300);
        var index = OciClient.IndexManifest(indexType, [OciClient.Descriptor(present), missing]);

        using var response = await _client.PutManifestAsync(repository, "multi", index, indexType);

        var error = await OciClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        Assert.Equal(missing["digest"]!.GetValue<string>(), error.GetProperty("detail").GetProperty("digest").GetString());
    }

    [Fact]
    public async Task Manifest_over_4_MiB_is_413()
    {
        var repository = OciClient.NewRepository();
        var config = OciClient.RandomBytes(10);
        var manifest = OciClient.ImageManifest(
            OciClient.OciManifest,
            OciClient.Descriptor(OciClient.OciConfig, await _client.PushBlobAsync(repository, config), 10),
            [],
            annotations: new Dictionary<string, string> { ["padding"] = new('x', 4 * 1024 * 1024) });
        Assert.True(manifest.Length > 4 * 1024 * 1024);

        using var response = await _client.PutManifestAsync(repository, "huge", manifest, OciClient.OciManifest);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"errors\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Manifest_over_4_MiB_streamed_without_length_is_413()
    {
        var repository = OciClient.NewRepository();
        var manifest = Encoding.UTF8.GetBytes("{\"schemaVersion\":2,\"x\":\"" + new string('x', (4 * 1024 * 1024) + 10) + "\"}");
        var content = new StreamContent(new NonSeekableStream(manifest));
        content.Headers.ContentType = new MediaTypeHeaderValue(OciClient.OciManifest);

        using var response = await _client.SendAsync(HttpMethod.Put, $"/v2/{repository}/manifests/huge", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Manifest_of_exactly_4_MiB_is_accepted()
    {
        var repository = OciClient.NewRepository();
        var config = OciClient.RandomBytes(10);
        var configDescriptor = OciClient.Descriptor(OciClient.OciConfig, await _client.PushBlobAsync(repository, config), 10);
        var baseSize = OciClient.ImageManifest(OciClient.OciManifest, configDescriptor, [], annotations: new Dictionary<string, string> { ["padding"] = "" }).Length;
        var manifest = OciClient.ImageManifest(
            OciClient.OciManifest,
            configDescriptor,
            [],
            annotations: new Dictionary<string, string> { ["padding"] = new('x', (4 * 1024 * 1024) - baseSize) });
        Assert.Equal(4 * 1024 * 1024, manifest.Length);

        await _client.PushManifestAsync(repository, "big", manifest, OciClient.OciManifest);
    }

    [Fact]
    public async Task Put_by_digest_that_does_not_match_the_body_is_digest_invalid()
    {
        var repository = OciClient.NewRepository();
        var manifest = await BuildAsync(repository, OciClient.OciManifest);
        var wrong = OciClient.DigestOf(OciClient.RandomBytes(5));

        using var response = await _client.PutManifestAsync(repository, wrong, manifest, OciClient.OciManifest);

        await OciClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        using var get = await _client.Http.GetAsync($"/v2/{repository}/manifests/{OciClient.DigestOf(manifest)}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task Sha512_manifest_by_digest()
    {
        var repository = OciClient.NewRepository();
        var manifest = await BuildAsync(repository, OciClient.OciManifest);
        var digest = OciClient.DigestOf(manifest, "sha512");

        Assert.Equal(digest, await _client.PushManifestAsync(repository, digest, manifest, OciClient.OciManifest, "sha512"));

        using var get = await _client.Http.GetAsync($"/v2/{repository}/manifests/{digest}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(manifest, await get.Content.ReadAsByteArrayAsync());
        Assert.Equal(digest, OciClient.Header(get, "Docker-Content-Digest"));

        using var wrong = await _client.PutManifestAsync(repository, OciClient.DigestOf(OciClient.RandomBytes(3), "sha512"), manifest, OciClient.OciManifest);
        await OciClient.AssertErrorAsync(wrong, HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Fact]
    public async Task Subject_is_answered_with_the_oci_subject_header()
    {
        var repository = OciClient.NewRepository();
        var subject = await _client.PushImageAsync(repository, "base");
        var config = Encoding.UTF8.GetBytes("{}");
        var manifest = OciClient.ImageManifest(
            OciClient.OciManifest,
            OciClient.Descriptor(OciClient.OciEmpty, await _client.PushBlobAsync(repository, config), config.Length),
            [OciClient.Descriptor(OciClient.OciEmpty, OciClient.DigestOf(config), config.Length)],
            subject: OciClient.Descriptor(subject),
            artifactType: "application/vnd.example.signature");

        using var response = await _client.PutManifestAsync(repository, OciClient.DigestOf(manifest), manifest, OciClient.OciManifest);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(subject.Digest, OciClient.Header(response, "OCI-Subject"));
    }

    [Fact]
    public async Task Subject_that_does_not_exist_is_accepted()
    {
        var repository = OciClient.NewRepository();
        var absent = OciClient.Descriptor(OciClient.OciManifest, OciClient.DigestOf(OciClient.RandomBytes(9)), 9);

        var image = await _client.PushImageAsync(repository, subject: absent, artifactType: "application/vnd.example.sbom");

        using var get = await _client.Http.GetAsync($"/v2/{repository}/manifests/{image.Digest}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
    }

    [Fact]
    public async Task Tag_query_on_a_push_by_digest_creates_the_tags()
    {
        var repository = OciClient.NewRepository();
        var manifest = await BuildAsync(repository, OciClient.OciManifest);
        var digest = OciClient.DigestOf(manifest);

        using (var put = await _client.PutManifestAsync(repository, digest, manifest, OciClient.OciManifest, "?tag=one&tag=two"))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        foreach (var tag in new[] { "one", "two" })
        {
            using var get = await _client.Http.GetAsync($"/v2/{repository}/manifests/{tag}");
            Assert.Equal(digest, OciClient.Header(get, "Docker-Content-Digest"));
        }

        using var tags = await _client.Http.GetAsync($"/v2/{repository}/tags/list");
        using var document = JsonDocument.Parse(await tags.Content.ReadAsStringAsync());
        Assert.Equal(["one", "two"], document.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task Invalid_tag_query_is_tag_invalid_and_stores_nothing()
    {
        var repository = OciClient.NewRepository();
        var manifest = await BuildAsync(repository, OciClient.OciManifest);
        var digest = OciClient.DigestOf(manifest);

        using var put = await _client.PutManifestAsync(repository, digest, manifest, OciClient.OciManifest, "?tag=.bad");

        await OciClient.AssertErrorAsync(put, HttpStatusCode.BadRequest, "TAG_INVALID");
        using var get = await _client.Http.GetAsync($"/v2/{repository}/manifests/{digest}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task Delete_by_digest_removes_every_tag_pointing_at_it()
    {
        var repository = OciClient.NewRepository();
        var image = await _client.PushImageAsync(repository, "a");
        await _client.PushManifestAsync(repository, "b", image.Manifest, image.MediaType);
        var other = await _client.PushImageAsync(repository, "c");

        using var delete = await _client.SendAsync(HttpMethod.Delete, $"/v2/{repository}/manifests/{image.Digest}");
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);

        foreach (var tag in new[] { "a", "b" })
        {
            using var get = await _client.Http.GetAsync($"/v2/{repository}/manifests/{tag}");
            await OciClient.AssertErrorAsync(get, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        }

        using var kept = await _client.Http.GetAsync($"/v2/{repository}/manifests/c");
        Assert.Equal(other.Digest, OciClient.Header(kept, "Docker-Content-Digest"));
        using var tags = await _client.Http.GetAsync($"/v2/{repository}/tags/list");
        using var document = JsonDocument.Parse(await tags.Content.ReadAsStringAsync());
        Assert.Equal(["c"], document.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task Delete_by_tag_keeps_the_manifest()
    {
        var repository = OciClient.NewRepository();
        var image = await _client.PushImageAsync(repository, "temp");

        using var delete = await _client.SendAsync(HttpMethod.Delete, $"/v2/{repository}/manifests/temp");
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);

        using var byTag = await _client.Http.GetAsync($"/v2/{repository}/manifests/temp");
        await OciClient.AssertErrorAsync(byTag, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        using var byDigest = await _client.Http.GetAsync($"/v2/{repository}/manifests/{image.Digest}");
        Assert.Equal(image.Manifest, await byDigest.Content.ReadAsByteArrayAsync());
        using var again = await _client.SendAsync(HttpMethod.Delete, $"/v2/{repository}/manifests/temp");
        await OciClient.AssertErrorAsync(again, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task Retagging_moves_the_tag()
    {
        var repository = OciClient.NewRepository();
        var first = await _client.PushImageAsync(repository, "latest");
        using (var get = await _client.Http.GetAsync($"/v2/{repository}/manifests/latest"))
        {
            Assert.Equal(first.Digest, OciClient.Header(get, "Docker-Content-Digest"));
        }

        var second = await _client.PushImageAsync(repository, "latest");

        using var after = await _client.Http.GetAsync($"/v2/{repository}/manifests/latest");
        Assert.Equal(second.Digest, OciClient.Header(after, "Docker-Content-Digest"));
        Assert.Equal(second.Manifest, await after.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Unknown_manifest_is_404_manifest_unknown()
    {
        var repository = OciClient.NewRepository();
        await _client.PushImageAsync(repository, "exists");

        using var byTag = await _client.Http.GetAsync($"/v2/{repository}/manifests/missing");
        await OciClient.AssertErrorAsync(byTag, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        using var byDigest = await _client.Http.GetAsync($"/v2/{repository}/manifests/{OciClient.DigestOf([1])}");
        await OciClient.AssertErrorAsync(byDigest, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        using var head = await _client.SendAsync(HttpMethod.Head, $"/v2/{repository}/manifests/missing");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        using var delete = await _client.SendAsync(HttpMethod.Delete, $"/v2/{repository}/manifests/missing");
        await OciClient.AssertErrorAsync(delete, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Theory]
    [InlineData(".hidden")]
    [InlineData("-dash")]
    [InlineData("x%20y")]
    public async Task Invalid_tag_reference_is_tag_invalid(string tag)
    {
        using var get = await _client.Http.GetAsync($"/v2/{OciClient.NewRepository()}/manifests/{tag}");
        await OciClient.AssertErrorAsync(get, HttpStatusCode.BadRequest, "TAG_INVALID");
        using var put = await _client.PutManifestAsync(OciClient.NewRepository(), tag, Encoding.UTF8.GetBytes("{}"), OciClient.OciManifest);
        await OciClient.AssertErrorAsync(put, HttpStatusCode.BadRequest, "TAG_INVALID");
    }

    [Fact]
    public async Task Tag_of_129_characters_is_tag_invalid()
    {
        using var get = await _client.Http.GetAsync($"/v2/{OciClient.NewRepository()}/manifests/{new string('t', 129)}");
        await OciClient.AssertErrorAsync(get, HttpStatusCode.BadRequest, "TAG_INVALID");
    }

    [Fact]
    public async Task Manifest_from_another_repository_is_not_visible()
    {
        var repository = OciClient.NewRepository();
        var image = await _client.PushImageAsync(repository, "v1");
        var other = OciClient.NewRepository();
        await _client.PushImageAsync(other, "v0");

        using var get = await _client.Http.GetAsync($"/v2/{other}/manifests/{image.Digest}");
        await OciClient.AssertErrorAsync(get, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }
}
