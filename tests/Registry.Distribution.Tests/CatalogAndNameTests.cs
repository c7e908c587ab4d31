using System.Net;
using System.Text.Json;

namespace Registry.Distribution.Tests;

public sealed class CatalogTests(IsolatedRegistryFixture fixture) : IClassFixture<IsolatedRegistryFixture>
{
    private readonly OciClient _client = fixture.Client;

    private async Task<(List<string> Repositories, string? Link)> CatalogAsync(string query = "")
    {
        using var response = await _client.Http.GetAsync($"/v2/_catalog{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return ([.. document.RootElement.GetProperty("repositories").EnumerateArray().Select(r => r.GetString()!)], OciClient.Header(response, "Link"));
    }

    [Fact]
    public async Task Lists_repositories_sorted_with_n_last_and_link()
    {
        var (empty, _) = await CatalogAsync();
        Assert.Empty(empty);

        foreach (var repository in new[] { "gamma/x/y", "alpha", "beta/two", "beta/one", "beta" })
        {
            await _client.PushImageAsync(repository, "latest");
        }

        var (all, noLink) = await CatalogAsync();
        Assert.Equal(["alpha", "beta", "beta/one", "beta/two", "gamma/x/y"], all);
        Assert.Null(noLink);

        var (first, link) = await CatalogAsync("?n=2");
        Assert.Equal(["alpha", "beta"], first);
        Assert.Equal("</v2/_catalog?n=2&last=beta>; rel=\"next\"", link);

        var (second, link2) = await CatalogAsync("?n=2&last=beta");
        Assert.Equal(["beta/one", "beta/two"], second);
        Assert.Equal("</v2/_catalog?n=2&last=beta%2Ftwo>; rel=\"next\"", link2);

        var (third, link3) = await CatalogAsync("?n=2&last=beta%2Ftwo");
        Assert.Equal(["gamma/x/y"], third);
        Assert.Null(link3);
    }

    [Fact]
    public async Task Invalid_n_is_pagination_number_invalid()
    {
        using var response = await _client.Http.GetAsync("/v2/_catalog?n=lots");

        await OciClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "PAGINATION_NUMBER_INVALID");
    }
}

public sealed class NameTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private readonly OciClient _client = fixture.Client;

    public static TheoryData<string> InvalidNames() =>
    [
        "Uppercase/repo",
        "repo/UPPER",
        "a..b",
        "a/.hidden",
        "a/-dash",
        "a__-b",
        "trailing-",
        "a%2F..%2Fb",
        "a%2Fb",
        string.Join('/', Enumerable.Repeat(new string('a', 50), 5)) + "/abcdef", // 256 characters
    ];

    [Theory]
    [MemberData(nameof(InvalidNames))]
    public async Task Invalid_names_are_name_invalid_on_every_endpoint(string name)
    {
        var digest = OciClient.DigestOf([1]);
        var requests = new (HttpMethod Method, string Path)[]
        {
            (HttpMethod.Get, $"/v2/{name}/tags/list"),
            (HttpMethod.Get, $"/v2/{name}/manifests/latest"),
            (HttpMethod.Head, $"/v2/{name}/manifests/{digest}"),
            (HttpMethod.Put, $"/v2/{name}/manifests/latest"),
            (HttpMethod.Delete, $"/v2/{name}/manifests/latest"),
            (HttpMethod.Get, $"/v2/{name}/blobs/{digest}"),
            (HttpMethod.Delete, $"/v2/{name}/blobs/{digest}"),
            (HttpMethod.Post, $"/v2/{name}/blobs/uploads/"),
            (HttpMethod.Post, $"/v2/{name}/blobs/uploads/?digest={digest}"),
            (HttpMethod.Patch, $"/v2/{name}/blobs/uploads/0123456789abcdef0123456789abcdef"),
            (HttpMethod.Get, $"/v2/{name}/referrers/{digest}"),
        };

        foreach (var (method, path) in requests)
        {
            using var response = await _client.SendAsync(method, path, method == HttpMethod.Get || method == HttpMethod.Head ? null : new ByteArrayContent([1]));
            if (method == HttpMethod.Head)
            {
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                continue;
            }

            await OciClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "NAME_INVALID");
        }
    }

    [Fact]
    public async Task A_name_of_255_characters_is_accepted()
    {
        var name = string.Join('/', Enumerable.Repeat(new string('a', 50), 4)) + "/" + new string('b', 46) + Guid.NewGuid().ToString("N")[..5];
        Assert.Equal(255, name.Length);

        var image = await _client.PushImageAsync(name, "v1");

        using var response = await _client.Http.GetAsync($"/v2/{name}/manifests/v1");
        Assert.Equal(image.Manifest, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Names_containing_endpoint_words_work()
    {
        foreach (var name in new[] { $"blobs/{Guid.NewGuid():N}/manifests", $"x{Guid.NewGuid():N}/blobs/uploads", $"tags/list/x{Guid.NewGuid():N}/referrers" })
        {
            var image = await _client.PushImageAsync(name, "v1");

            using var manifest = await _client.Http.GetAsync($"/v2/{name}/manifests/v1");
            Assert.Equal(image.Manifest, await manifest.Content.ReadAsByteArrayAsync());
            using var tags = await _client.Http.GetAsync($"/v2/{name}/tags/list");
            using var document = JsonDocument.Parse(await tags.Content.ReadAsStringAsync());
            Assert.Equal(name, document.RootElement.GetProperty("name").GetString());
        }
    }
}
