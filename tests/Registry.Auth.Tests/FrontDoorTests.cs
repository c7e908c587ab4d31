using System.Net;
using System.Text.RegularExpressions;

namespace Registry.Auth.Tests;

/// <summary>The front door of the single-process host: host → registry (an unknown one is a clear 404) and request ids.</summary>
public sealed partial class FrontDoorTests(AuthFixture fixture) : IClassFixture<AuthFixture>
{
    [Theory]
    [InlineData("nosuchreg.localhost", "/v2/")]
    [InlineData("nosuchreg.localhost", "/v2/some/repo/manifests/latest")]
    [InlineData("nosuchreg.localhost", "/oauth2/token?service=nosuchreg.localhost&scope=repository:a:pull")]
    [InlineData("nosuchreg.localhost", "/oauth2/jwks")]
    [InlineData("ab.localhost", "/v2/")]
    [InlineData("not_a_registry.localhost", "/oauth2/token")]
    public async Task An_unknown_registry_host_is_404_NAME_UNKNOWN(string host, string path)
    {
        var client = new RegistryClient(fixture.Http, "nosuchreg", $"{host}:{fixture.Host.Port}", AuthHost.AdminUsername, AuthHost.AdminPassword);

        using var response = await client.SendAsync(HttpMethod.Get, path, authorization: RegistryClient.Basic(AuthHost.AdminUsername, AuthHost.AdminPassword));

        await Expect.OciErrorAsync(response, HttpStatusCode.NotFound, "NAME_UNKNOWN");
        Assert.False(response.Headers.Contains("WWW-Authenticate"), "an unknown registry is not an authentication problem");
    }

    [Fact]
    public async Task A_registry_is_reached_by_its_host_name_and_the_plain_address_is_the_default_registry()
    {
        var other = await fixture.CreateRegistryAsync();
        var aliasOfDefault = new RegistryClient(fixture.Http, "default", $"default.localhost:{fixture.Host.Port}", AuthHost.AdminUsername, AuthHost.AdminPassword);

        var otherToken = await other.TokenAsync(other.AdminUsername, other.AdminPassword);
        var defaultToken = await fixture.Default.TokenAsync(AuthHost.AdminUsername, AuthHost.AdminPassword);
        var aliasToken = await aliasOfDefault.TokenAsync(AuthHost.AdminUsername, AuthHost.AdminPassword);

        Assert.Equal($"{other.Registry}.localhost", Jwt.Payload(otherToken).GetProperty("aud").GetString());
        Assert.Equal("default.localhost", Jwt.Payload(defaultToken).GetProperty("aud").GetString());
        Assert.Equal("default.localhost", Jwt.Payload(aliasToken).GetProperty("aud").GetString());
        using var v2 = await aliasOfDefault.SendAsync(HttpMethod.Get, "/v2/", defaultToken);
        await Expect.StatusAsync(v2, HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("/v2/")]
    [InlineData("/oauth2/token")]
    [InlineData("/api/registries/default")]
    [InlineData("/oauth2/jwks")]
    public async Task Every_response_carries_a_generated_request_id(string path)
    {
        using var first = await fixture.Default.SendAsync(HttpMethod.Get, path);
        using var second = await fixture.Default.SendAsync(HttpMethod.Get, path);

        var firstId = Expect.Header(first, "X-Request-Id");
        var secondId = Expect.Header(second, "X-Request-Id");
        Assert.NotNull(firstId);
        Assert.Matches(RequestId(), firstId);
        Assert.NotEqual(firstId, secondId);
    }

    [Fact]
    public async Task A_clients_request_id_is_kept_and_an_unacceptable_one_replaced()
    {
        using (var kept = await fixture.Default.SendAsync(HttpMethod.Get, "/v2/", configure: request => request.Headers.Add("X-Request-Id", "build-42_step.7")))
        {
            Assert.Equal("build-42_step.7", Expect.Header(kept, "X-Request-Id"));
        }

        foreach (var unacceptable in new[] { new string('a', 129), "has space", "semi;colon" })
        {
            using var replaced = await fixture.Default.SendAsync(HttpMethod.Get, "/v2/", configure: request => request.Headers.TryAddWithoutValidation("X-Request-Id", unacceptable));
            var id = Expect.Header(replaced, "X-Request-Id");
            Assert.NotEqual(unacceptable, id);
            Assert.Matches(RequestId(), id);
        }
    }

    [Fact]
    public async Task An_unknown_registry_response_still_carries_the_request_id()
    {
        var client = new RegistryClient(fixture.Http, "nosuchreg", $"nosuchreg.localhost:{fixture.Host.Port}", AuthHost.AdminUsername, AuthHost.AdminPassword);

        using var response = await client.SendAsync(HttpMethod.Get, "/v2/", configure: request => request.Headers.Add("X-Request-Id", "trace-me"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("trace-me", Expect.Header(response, "X-Request-Id"));
    }

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex RequestId();
}
