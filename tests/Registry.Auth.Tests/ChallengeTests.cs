using System.Net;
using System.Net.Http.Headers;

namespace Registry.Auth.Tests;

/// <summary>The Docker token auth challenge of <c>/v2</c>: where to get a token, for which registry and which scope.</summary>
public sealed class ChallengeTests(AuthFixture fixture) : IClassFixture<AuthFixture>
{
    private const string Digest = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    private readonly RegistryClient _default = fixture.Default;

    [Fact]
    public async Task The_base_endpoint_without_a_token_challenges_without_a_scope()
    {
        using var response = await _default.SendAsync(HttpMethod.Get, "/v2/");

        await Expect.UnauthorizedAsync(response);
        Assert.Equal($"Bearer realm=\"{_default.Realm}\",service=\"default.localhost\"", Expect.Header(response, "WWW-Authenticate"));
        Assert.Equal("registry/2.0", Expect.Header(response, "Docker-Distribution-API-Version"));
    }

    [Theory]
    [InlineData("GET", "/v2/{0}/blobs/" + Digest, "repository:{0}:pull")]
    [InlineData("GET", "/v2/{0}/manifests/latest", "repository:{0}:pull")]
    [InlineData("GET", "/v2/{0}/tags/list", "repository:{0}:pull")]
    [InlineData("GET", "/v2/{0}/referrers/" + Digest, "repository:{0}:pull")]
    [InlineData("POST", "/v2/{0}/blobs/uploads/", "repository:{0}:pull,push")]
    [InlineData("PATCH", "/v2/{0}/blobs/uploads/some-upload", "repository:{0}:pull,push")]
    [InlineData("PUT", "/v2/{0}/blobs/uploads/some-upload?digest=" + Digest, "repository:{0}:pull,push")]
    [InlineData("PUT", "/v2/{0}/manifests/latest", "repository:{0}:pull,push")]
    [InlineData("DELETE", "/v2/{0}/manifests/" + Digest, "repository:{0}:delete")]
    [InlineData("DELETE", "/v2/{0}/blobs/" + Digest, "repository:{0}:delete")]
    [InlineData("GET", "/v2/_catalog", "registry:catalog:*")]
    public async Task Each_request_without_a_token_is_challenged_with_exactly_the_scope_it_needs(string method, string pathFormat, string scopeFormat)
    {
        var repository = RegistryClient.NewRepository("team");
        var path = string.Format(System.Globalization.CultureInfo.InvariantCulture, pathFormat, repository);
        var scope = string.Format(System.Globalization.CultureInfo.InvariantCulture, scopeFormat, repository);

        using var response = await _default.SendAsync(new HttpMethod(method), path, method is "PUT" or "PATCH" or "POST" ? new ByteArrayContent([1, 2, 3]) : null);

        var error = await Expect.UnauthorizedAsync(response);
        Assert.Equal($"Bearer realm=\"{_default.Realm}\",service=\"default.localhost\",scope=\"{scope}\"", Expect.Header(response, "WWW-Authenticate"));
        Assert.Equal(scope, error.GetProperty("detail").GetProperty("scope").GetString());
    }

    [Fact]
    public async Task A_head_request_is_challenged_for_pull_without_a_body()
    {
        var repository = RegistryClient.NewRepository();

        using var response = await _default.SendAsync(HttpMethod.Head, $"/v2/{repository}/manifests/latest");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(
            $"Bearer realm=\"{_default.Realm}\",service=\"default.localhost\",scope=\"repository:{repository}:pull\"",
            Expect.Header(response, "WWW-Authenticate"));
    }

    [Fact]
    public async Task Another_registry_is_challenged_with_its_own_realm_and_service()
    {
        var other = await fixture.CreateRegistryAsync();
        var repository = RegistryClient.NewRepository();

        using var response = await other.SendAsync(HttpMethod.Get, $"/v2/{repository}/manifests/latest");

        await Expect.UnauthorizedAsync(response);
        Assert.Equal(
            $"Bearer realm=\"http://{other.Registry}.localhost:{fixture.Host.Port}/oauth2/token\",service=\"{other.Registry}.localhost\",scope=\"repository:{repository}:pull\"",
            Expect.Header(response, "WWW-Authenticate"));
    }

    [Fact]
    public async Task Following_the_challenge_as_docker_does_gets_a_token_that_passes()
    {
        var seeded = await Probe.SeedAsync(_default, RegistryClient.NewRepository());
        using var refused = await _default.GetManifestAsync(seeded.Name, "v1", token: null);
        var challenge = Expect.Challenge(refused);

        var tokenUri = new Uri($"{challenge["realm"]}?service={Uri.EscapeDataString(challenge["service"])}&scope={Uri.EscapeDataString(challenge["scope"])}");
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Get, tokenUri);
        tokenRequest.Headers.Authorization = RegistryClient.Basic(AuthHost.AdminUsername, AuthHost.AdminPassword);
        using var tokenResponse = await _default.Http.SendAsync(tokenRequest);
        var token = (await Expect.JsonAsync(tokenResponse)).GetProperty("token").GetString()!;

        using var retried = await _default.GetManifestAsync(seeded.Name, "v1", token);
        await Expect.StatusAsync(retried, HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("Basic", "YWRtaW46cGFzc3dvcmQ=")]
    [InlineData("Bearer", "not-a-jwt")]
    [InlineData("Bearer", "e30.e30.e30")]
    public async Task A_request_with_something_other_than_a_valid_bearer_token_is_401_UNAUTHORIZED(string scheme, string parameter)
    {
        var repository = RegistryClient.NewRepository();

        using var response = await _default.SendAsync(
            HttpMethod.Get, $"/v2/{repository}/manifests/latest", authorization: new AuthenticationHeaderValue(scheme, parameter));

        await Expect.UnauthorizedAsync(response);
        Assert.Equal($"repository:{repository}:pull", Expect.Challenge(response)["scope"]);
    }
}
