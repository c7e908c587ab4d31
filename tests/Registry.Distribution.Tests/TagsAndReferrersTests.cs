using System.Net;
using System.Text;
using System.Text.Json;

namespace Registry.Distribution.Tests;

public sealed class TagsTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private readonly OciClient _client = fixture.Client;

    private async Task<(List<string> Tags, string? Link)> ListAsync(string path)
    {
        using var response = await _client.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var tags = document.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToList();
        return (tags, OciClient.Header(response, "Link"));
    }

    [Fact]
    public async Task Lists_tags_in_lexical_order_with_the_name()
    {
        var repository = OciClient.NewRepository();
        var image = await _client.PushImageAsync(repository, "v2");
        foreach (var tag in new[] { "latest", "v10", "v1", "A" })
        {
            await _client.PushManifestAsync(repository, tag, image.Manifest, image.MediaType);
        }

        using var response = await _client.Http.GetAsync($"/v2/{repository}/tags/list");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(repository, document.RootElement.GetProperty("name").GetString());
        Assert.Equal(["A", "latest", "v1", "v10", "v2"], document.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Null(OciClient.Header(response, "Link"));
    }

    [Fact]
    public async Task Pages_with_n_and_last_and_a_link_to_the_next_page()
    {
        var repository = OciClient.NewRepository();
        var image = await _client.PushImageAsync(repository, "t1");
        foreach (var tag in new[] { "t2", "t3", "t4", "t5" })
        {
            await _client.PushManifestAsync(repository, tag, image.Manifest, image.MediaType);
        }

        var (first, link) = await ListAsync($"/v2/{repository}/tags/list?n=2");
        Assert.Equal(["t1", "t2"], first);
        Assert.Equal($"</v2/{repository}/tags/list?n=2&last=t2>; rel=\"next\"", link);

        Assert.NotNull(link);
        var (second, link2) = await ListAsync(link[1..link.IndexOf('>', StringComparison.Ordinal)]);
        Assert.Equal(["t3", "t4"], second);
        Assert.NotNull(link2);

        var (third, link3) = await ListAsync($"/v2/{repository}/tags/list?n=2&last=t4");
        Assert.Equal(["t5"], third);
        Assert.Null(link3);

        var (afterLast, _) = await ListAsync($"/v2/{repository}/tags/list?last=t3");
        Assert.Equal(["t4", "t5"], afterLast);

        var (zero, zeroLink) = await ListAsync($"/v2/{repository}/tags/list?n=0");
        Assert.Empty(zero);
        Assert.Null(zeroLink);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("1.5")]
    public async Task Invalid_n_is_pagination_number_invalid(string n)
    {
        var repository = OciClient.NewRepository();
        await _client.PushImageAsync(repository, "x");

        using var response = await _client.Http.GetAsync($"/v2/{repository}/tags/list?n={n}");

        await OciClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "PAGINATION_NUMBER_INVALID");
    }

    [Fact]
    public async Task Unknown_repository_is_name_unknown()
    {
        using var response = await _client.Http.GetAsync($"/v2/{OciClient.NewRepository()}/tags/list");

        await OciClient.AssertErrorAsync(response, HttpStatusCode.NotFound, "NAME_UNKNOWN");
    }

    [Fact]
    public async Task Repository_with_manifests_but_no_tags_lists_none()
    {
        var repository = OciClient.NewRepository();
        await _client.PushImageAsync(repository);

        var (tags, _) = await ListAsync($"/v2/{repository}/tags/list");
        Assert.Empty(tags);
    }
}

public sealed class ReferrersTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private const string Sbom = "application/vnd.example.sbom.v1+json";
    private const string Signature = "application/vnd.example.signature.v1+json";

    private readonly OciClient _client = fixture.Client;

    private async Task<JsonDocument> ReferrersAsync(string repository, string digest, string query = "", string? expectFilter = null)
    {
        using var response = await _client.Http.GetAsync($"/v2/{repository}/referrers/{digest}{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(OciClient.OciIndex, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(expectFilter, OciClient.Header(response, "OCI-Filters-Applied"));
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(2, document.RootElement.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(OciClient.OciIndex, document.RootElement.GetProperty("mediaType").GetString());
        return document;
    }

    private async Task<TestImage> AttachAsync(string repository, TestImage subject, string? artifactType, string configType, Dictionary<string, string>? annotations = null)
    {
        var config = Encoding.UTF8.GetBytes("{}");
        var layer = OciClient.RandomBytes(40);
        var manifest = OciClient.ImageManifest(
            OciClient.OciManifest,
            OciClient.Descriptor(configType, await _client.PushBlobAsync(repository, config), config.Length),
            [OciClient.Descriptor("application/octet-stream", await _client.PushBlobAsync(repository, layer), layer.Length)],
            subject: OciClient.Descriptor(subject),
            artifactType: artifactType,
            annotations: annotations);
        var digest = await _client.PushManifestAsync(repository, OciClient.DigestOf(manifest), manifest, OciClient.OciManifest);
        return new TestImage(manifest, digest, OciClient.OciManifest);
    }

    [Fact]
    public async Task Lists_referrers_as_an_image_index_with_artifact_type_and_annotations()
    {
        var repository = OciClient.NewRepository();
        var subject = await _client.PushImageAsync(repository, "app");
        var sbom = await AttachAsync(repository, subject, Sbom, OciClient.OciEmpty, new() { ["org.opencontainers.image.created"] = "2025-01-01T00:00:00Z" });
        var signature = await AttachAsync(repository, subject, null, Signature);
        var unrelated = await _client.PushImageAsync(repository, "other");
        await AttachAsync(repository, unrelated, Sbom, OciClient.OciEmpty);

        using var document = await ReferrersAsync(repository, subject.Digest);

        var manifests = document.RootElement.GetProperty("manifests").EnumerateArray().ToList();
        Assert.Equal(2, manifests.Count);
        var sbomEntry = manifests.Single(m => m.GetProperty("digest").GetString() == sbom.Digest);
        Assert.Equal(OciClient.OciManifest, sbomEntry.GetProperty("mediaType").GetString());
        Assert.Equal(sbom.Manifest.Length, sbomEntry.GetProperty("size").GetInt64());
        Assert.Equal(Sbom, sbomEntry.GetProperty("artifactType").GetString());
        Assert.Equal("2025-01-01T00:00:00Z", sbomEntry.GetProperty("annotations").GetProperty("org.opencontainers.image.created").GetString());

        // No artifactType in the manifest: the config's media type is reported instead.
        var signatureEntry = manifests.Single(m => m.GetProperty("digest").GetString() == signature.Digest);
        Assert.Equal(Signature, signatureEntry.GetProperty("artifactType").GetString());
        Assert.False(signatureEntry.TryGetProperty("annotations", out _));
    }

    [Fact]
    public async Task Artifact_type_filter_is_applied_and_reported()
    {
        var repository = OciClient.NewRepository();
        var subject = await _client.PushImageAsync(repository, "app");
        var sbom = await AttachAsync(repository, subject, Sbom, OciClient.OciEmpty);
        await AttachAsync(repository, subject, Signature, OciClient.OciEmpty);

        using var filtered = await ReferrersAsync(repository, subject.Digest, $"?artifactType={Uri.EscapeDataString(Sbom)}", "artifactType");
        var only = Assert.Single(filtered.RootElement.GetProperty("manifests").EnumerateArray());
        Assert.Equal(sbom.Digest, only.GetProperty("digest").GetString());

        using var none = await ReferrersAsync(repository, subject.Digest, "?artifactType=application%2Fnothing", "artifactType");
        Assert.Empty(none.RootElement.GetProperty("manifests").EnumerateArray());
    }

    [Fact]
    public async Task An_index_can_refer_to_a_subject()
    {
        var repository = OciClient.NewRepository();
        var subject = await _client.PushImageAsync(repository, "app");
        var child = await _client.PushImageAsync(repository);
        var index = OciClient.IndexManifest(
            OciClient.OciIndex,
            [OciClient.Descriptor(child)],
            subject: OciClient.Descriptor(subject),
            artifactType: "application/vnd.example.bundle",
            annotations: new Dictionary<string, string> { ["k"] = "v" });
        var digest = await _client.PushManifestAsync(repository, OciClient.DigestOf(index), index, OciClient.OciIndex);

        using var document = await ReferrersAsync(repository, subject.Digest);

        var entry = Assert.Single(document.RootElement.GetProperty("manifests").EnumerateArray());
        Assert.Equal(digest, entry.GetProperty("digest").GetString());
        Assert.Equal(OciClient.OciIndex, entry.GetProperty("mediaType").GetString());
        Assert.Equal("application/vnd.example.bundle", entry.GetProperty("artifactType").GetString());
        Assert.Equal("v", entry.GetProperty("annotations").GetProperty("k").GetString());
    }

    [Fact]
    public async Task Subject_without_referrers_or_unknown_gives_an_empty_index()
    {
        var repository = OciClient.NewRepository();
        var subject = await _client.PushImageAsync(repository, "lonely");

        using var none = await ReferrersAsync(repository, subject.Digest);
        Assert.Empty(none.RootElement.GetProperty("manifests").EnumerateArray());

        using var unknown = await ReferrersAsync(repository, OciClient.DigestOf(OciClient.RandomBytes(8)));
        Assert.Empty(unknown.RootElement.GetProperty("manifests").EnumerateArray());
    }

    [Fact]
    public async Task Referrers_pushed_before_their_subject_are_listed()
    {
        var repository = OciClient.NewRepository();
        var config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux"}""");
        var layer = OciClient.RandomBytes(10);
        var subjectManifest = OciClient.ImageManifest(
            OciClient.OciManifest,
            OciClient.Descriptor(OciClient.OciConfig, await _client.PushBlobAsync(repository, config), config.Length),
            [OciClient.Descriptor(OciClient.OciLayer, await _client.PushBlobAsync(repository, layer), layer.Length)]);
        var subject = new TestImage(subjectManifest, OciClient.DigestOf(subjectManifest), OciClient.OciManifest);
        var sbom = await AttachAsync(repository, subject, Sbom, OciClient.OciEmpty);

        await _client.PushManifestAsync(repository, "late", subjectManifest, OciClient.OciManifest);

        using var document = await ReferrersAsync(repository, subject.Digest);
        Assert.Equal(sbom.Digest, Assert.Single(document.RootElement.GetProperty("manifests").EnumerateArray()).GetProperty("digest").GetString());
    }

    [Fact]
    public async Task Deleting_a_referrer_removes_it_from_the_list()
    {
        var repository = OciClient.NewRepository();
        var subject = await _client.PushImageAsync(repository, "app");
        var sbom = await AttachAsync(repository, subject, Sbom, OciClient.OciEmpty);
        var signature = await AttachAsync(repository, subject, Signature, OciClient.OciEmpty);

        using var delete = await _client.SendAsync(HttpMethod.Delete, $"/v2/{repository}/manifests/{sbom.Digest}");
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);

        using var document = await ReferrersAsync(repository, subject.Digest);
        var remaining = Assert.Single(document.RootElement.GetProperty("manifests").EnumerateArray());
        Assert.Equal(signature.Digest, remaining.GetProperty("digest").GetString());
    }

    [Fact]
    public async Task Invalid_subject_digest_is_digest_invalid()
    {
        using var response = await _client.Http.GetAsync($"/v2/{OciClient.NewRepository()}/referrers/sha256:nothex");

        await OciClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }
}
