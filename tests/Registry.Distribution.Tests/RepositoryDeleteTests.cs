using System.Net;
using System.Text.Json;

namespace Registry.Distribution.Tests;

/// <summary>ACR's <c>DELETE /acr/v1/{repository}</c>: the repository and only it goes; the answer lists what went.</summary>
public sealed class RepositoryDeleteTests(IsolatedRegistryFixture fixture) : IClassFixture<IsolatedRegistryFixture>
{
    private readonly OciClient _client = fixture.Client;

    [Fact]
    public async Task Deleting_a_repository_removes_its_manifests_tags_and_layer_links_but_not_a_nested_repository()
    {
        var repository = OciClient.NewRepository("acrdelete");
        var nested = $"{repository}/nested";
        var first = await _client.PushImageAsync(repository, "v1");
        var second = await _client.PushImageAsync(repository, "v2");
        var kept = await _client.PushImageAsync(nested, "keep");

        using var response = await _client.SendAsync(HttpMethod.Delete, $"/acr/v1/{repository}");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(new[] { first.Digest, second.Digest }.Order(StringComparer.Ordinal),
            body.RootElement.GetProperty("manifestsDeleted").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["v1", "v2"], body.RootElement.GetProperty("tagsDeleted").EnumerateArray().Select(e => e.GetString()));

        using (var tags = await _client.SendAsync(HttpMethod.Get, $"/v2/{repository}/tags/list"))
        {
            await OciClient.AssertErrorAsync(tags, HttpStatusCode.NotFound, "NAME_UNKNOWN");
        }

        using (var manifest = await _client.SendAsync(HttpMethod.Get, $"/v2/{repository}/manifests/{first.Digest}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, manifest.StatusCode);
        }

        using (var nestedManifest = await _client.SendAsync(HttpMethod.Get, $"/v2/{nested}/manifests/keep"))
        {
            Assert.Equal(HttpStatusCode.OK, nestedManifest.StatusCode);
            Assert.Equal(kept.Digest, OciClient.Header(nestedManifest, "Docker-Content-Digest"));
        }

        using var catalog = await _client.SendAsync(HttpMethod.Get, "/v2/_catalog");
        using var repositories = JsonDocument.Parse(await catalog.Content.ReadAsStringAsync());
        var names = repositories.RootElement.GetProperty("repositories").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.DoesNotContain(repository, names);
        Assert.Contains(nested, names);
    }

    [Fact]
    public async Task Deleting_an_unknown_repository_is_NAME_UNKNOWN_and_a_bad_name_is_NAME_INVALID()
    {
        using (var unknown = await _client.SendAsync(HttpMethod.Delete, $"/acr/v1/{OciClient.NewRepository("nothing")}"))
        {
            await OciClient.AssertErrorAsync(unknown, HttpStatusCode.NotFound, "NAME_UNKNOWN");
        }

        using var invalid = await _client.SendAsync(HttpMethod.Delete, "/acr/v1/Not_A..Valid");
        await OciClient.AssertErrorAsync(invalid, HttpStatusCode.BadRequest, "NAME_INVALID");
    }
}
