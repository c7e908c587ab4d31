using System.Net;

namespace Registry.Auth.Tests;

/// <summary>Registries are isolated: credentials and tokens of one grant nothing on another, and its content is invisible there.</summary>
public sealed class IsolationTests(AuthFixture fixture) : IClassFixture<AuthFixture>
{
    [Fact]
    public async Task The_credentials_of_one_registry_are_unknown_to_another()
    {
        var first = await fixture.CreateRegistryAsync();
        var second = await fixture.CreateRegistryAsync();
        var (tokenName, tokenPassword) = await first.CreateTokenAsync("_repositories_admin");
        var (appId, spPassword) = await first.CreateServicePrincipalAsync();
        await first.AssignRoleAsync(appId, "Owner");

        foreach (var (username, password) in new[] { (first.AdminUsername, first.AdminPassword), (tokenName, tokenPassword), (appId, spPassword) })
        {
            await first.TokenAsync(username, password);
            using var response = await second.RequestTokenAsync(username, password, ["repository:a/b:pull"]);
            await Expect.OciErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }
    }

    [Fact]
    public async Task A_token_asked_for_another_registrys_service_is_that_registrys_and_opens_nothing_here()
    {
        var other = await fixture.CreateRegistryAsync();
        var repository = RegistryClient.NewRepository();
        var seededOther = await Probe.SeedAsync(other, repository);
        var seededHere = await Probe.SeedAsync(fixture.Default, repository);

        // Asked at the default registry's address, with the other registry's service and credentials.
        using var response = await fixture.Default.RequestTokenAsync(other.AdminUsername, other.AdminPassword, [$"repository:{repository}:pull"], service: other.Service);
        var token = (await Expect.JsonAsync(response)).GetProperty("token").GetString()!;

        Assert.Equal(other.Service, Jwt.Payload(token).GetProperty("aud").GetString());
        Assert.True(await Probe.PullAsync(other, seededOther, token));
        using var here = await fixture.Default.GetManifestAsync(seededHere.Name, "v1", token);
        await Expect.UnauthorizedAsync(here);
    }

    [Fact]
    public async Task One_registrys_repositories_tags_and_catalog_are_invisible_from_another()
    {
        var first = await fixture.CreateRegistryAsync();
        var second = await fixture.CreateRegistryAsync();
        var repository = RegistryClient.NewRepository();
        await Probe.SeedAsync(first, repository);

        var firstToken = await first.AdminTokenAsync("registry:catalog:*", $"repository:{repository}:pull");
        var secondToken = await second.AdminTokenAsync("registry:catalog:*", $"repository:{repository}:pull");

        using (var firstCatalog = await first.SendAsync(HttpMethod.Get, "/v2/_catalog", firstToken))
        {
            var catalog = await Expect.JsonAsync(firstCatalog);
            Assert.Equal([repository], catalog.GetProperty("repositories").EnumerateArray().Select(r => r.GetString()));
        }

        using (var secondCatalog = await second.SendAsync(HttpMethod.Get, "/v2/_catalog", secondToken))
        {
            var catalog = await Expect.JsonAsync(secondCatalog);
            Assert.Empty(catalog.GetProperty("repositories").EnumerateArray());
        }

        using (var manifest = await second.GetManifestAsync(repository, "v1", secondToken))
        {
            Assert.Equal(HttpStatusCode.NotFound, manifest.StatusCode);
        }

        using (var tags = await second.SendAsync(HttpMethod.Get, $"/v2/{repository}/tags/list", secondToken))
        {
            Assert.Equal(HttpStatusCode.NotFound, tags.StatusCode);
        }

        using var firstTags = await first.SendAsync(HttpMethod.Get, $"/v2/{repository}/tags/list", firstToken);
        var tagList = await Expect.JsonAsync(firstTags);
        Assert.Contains("v1", tagList.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
    }
}
