using System.Net;

namespace Registry.Distribution.Tests;

public sealed class BaseApiTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private readonly OciClient _client = fixture.Client;

    [Fact]
    public async Task Get_v2_answers_200_with_the_api_version_header()
    {
        using var response = await _client.Http.GetAsync("/v2/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("registry/2.0", OciClient.Header(response, "Docker-Distribution-API-Version"));
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("{}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Get_v2_without_the_trailing_slash_answers_too()
    {
        using var response = await _client.Http.GetAsync("/v2");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("registry/2.0", OciClient.Header(response, "Docker-Distribution-API-Version"));
    }

    [Fact]
    public async Task Head_v2_answers_200_with_the_api_version_header()
    {
        using var response = await _client.SendAsync(HttpMethod.Head, "/v2/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("registry/2.0", OciClient.Header(response, "Docker-Distribution-API-Version"));
    }

    [Fact]
    public async Task Errors_carry_the_api_version_header_too()
    {
        using var response = await _client.Http.GetAsync($"/v2/{OciClient.NewRepository()}/tags/list");

        await OciClient.AssertErrorAsync(response, HttpStatusCode.NotFound, "NAME_UNKNOWN");
        Assert.Equal("registry/2.0", OciClient.Header(response, "Docker-Distribution-API-Version"));
    }

    [Fact]
    public async Task Unknown_endpoint_under_v2_is_404_with_an_error_body()
    {
        using var response = await _client.Http.GetAsync("/v2/some/repo/unknown/thing");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("\"errors\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("POST", "/v2/a/tags/list")]
    [InlineData("PUT", "/v2/a/blobs/sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("DELETE", "/v2/_catalog")]
    [InlineData("PATCH", "/v2/a/manifests/latest")]
    [InlineData("GET", "/v2/a/blobs/uploads/")]
    public async Task Unsupported_methods_are_405_unsupported(string method, string path)
    {
        using var response = await _client.SendAsync(new HttpMethod(method), path, new ByteArrayContent([]));

        await OciClient.AssertErrorAsync(response, HttpStatusCode.MethodNotAllowed, "UNSUPPORTED");
    }

    [Fact]
    public async Task Health_endpoints_answer()
    {
        using var health = await _client.Http.GetAsync("/health");
        using var alive = await _client.Http.GetAsync("/alive");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    [Fact]
    public async Task The_host_stores_under_the_configured_data_directory()
    {
        var repository = OciClient.NewRepository();
        var digest = await _client.PushBlobAsync(repository, OciClient.RandomBytes(10));

        var hex = digest["sha256:".Length..];
        Assert.True(File.Exists(Path.Combine(fixture.App.RegistryDirectory, "blobs", "sha256", hex[..2], hex, "data")));
    }
}
