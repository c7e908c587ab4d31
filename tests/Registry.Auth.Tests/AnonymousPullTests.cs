using System.Net;
using Registry.Security;

namespace Registry.Auth.Tests;

/// <summary>Anonymous pull: off by default, on for the whole registry (Standard and Premium), or for chosen repositories.</summary>
public sealed class AnonymousPullTests(AuthFixture fixture) : IClassFixture<AuthFixture>
{
    [Fact]
    public async Task Anonymous_pull_is_off_by_default()
    {
        var registry = await fixture.CreateRegistryAsync();
        var seeded = await Probe.SeedAsync(registry, RegistryClient.NewRepository());

        using (var withoutToken = await registry.GetManifestAsync(seeded.Name, "v1", token: null))
        {
            await Expect.UnauthorizedAsync(withoutToken);
        }

        var token = await registry.TokenAsync(null, null, $"repository:{seeded.Name}:pull");
        Assert.Empty(Jwt.Access(token));
        Assert.Equal(new Abilities(false, false, false), await Probe.AbilitiesAsync(registry, seeded, token));
    }

    [Fact]
    public async Task Registry_wide_anonymous_pull_lets_anyone_pull_but_never_push_or_delete()
    {
        var registry = await fixture.CreateRegistryAsync();
        var seeded = await Probe.SeedAsync(registry, RegistryClient.NewRepository());

        var updated = await registry.ManageOkAsync(HttpMethod.Patch, "", new { properties = new { anonymousPullEnabled = true } });
        Assert.True(updated.GetProperty("properties").GetProperty("anonymousPullEnabled").GetBoolean());

        var token = await registry.TokenAsync(null, null, $"repository:{seeded.Name}:pull,push,delete", "registry:catalog:*");
        Assert.Equal([$"repository:{seeded.Name}:pull"], Jwt.Access(token));
        Assert.Equal(new Abilities(true, false, false), await Probe.AbilitiesAsync(registry, seeded, token));
        using (var catalog = await registry.SendAsync(HttpMethod.Get, "/v2/_catalog", token))
        {
            await Expect.DeniedAsync(catalog, "registry:catalog:*");
        }

        // Identities keep their own grants on top of the anonymous ones.
        var (name, password) = await registry.CreateTokenAsync("_repositories_push");
        var pusher = await registry.TokenAsync(name, password, $"repository:{seeded.Name}:pull,push");
        Assert.True(await Probe.PushAsync(registry, seeded, pusher));

        await registry.ManageOkAsync(HttpMethod.Patch, "", new { properties = new { anonymousPullEnabled = false } });
        var after = await registry.TokenAsync(null, null, $"repository:{seeded.Name}:pull");
        Assert.Empty(Jwt.Access(after));
    }

    [Fact]
    public async Task Anonymous_pull_of_one_registry_opens_nothing_in_another()
    {
        var open = await fixture.CreateRegistryAsync();
        var closed = await fixture.CreateRegistryAsync();
        var repository = RegistryClient.NewRepository();
        await Probe.SeedAsync(open, repository);
        var seededClosed = await Probe.SeedAsync(closed, repository);
        await open.ManageOkAsync(HttpMethod.Patch, "", new { properties = new { anonymousPullEnabled = true } });

        var closedToken = await closed.TokenAsync(null, null, $"repository:{repository}:pull");
        var openToken = await open.TokenAsync(null, null, $"repository:{repository}:pull");

        Assert.Empty(Jwt.Access(closedToken));
        Assert.False(await Probe.PullAsync(closed, seededClosed, closedToken));
        using var crossed = await closed.GetManifestAsync(repository, "v1", openToken);
        await Expect.UnauthorizedAsync(crossed);
    }

    [Fact]
    public async Task Registry_wide_anonymous_pull_needs_the_Standard_tier()
    {
        var basic = await fixture.CreateRegistryAsync(RegistryTier.Basic);
        var standard = await fixture.CreateRegistryAsync(RegistryTier.Standard);

        using (var refused = await basic.ManageAsync(HttpMethod.Patch, "", new { properties = new { anonymousPullEnabled = true } }))
        {
            await Expect.ProblemAsync(refused, HttpStatusCode.Conflict);
        }

        var settings = await basic.ManageOkAsync(HttpMethod.Get, "");
        Assert.False(settings.GetProperty("properties").GetProperty("anonymousPullEnabled").GetBoolean());
        await standard.ManageOkAsync(HttpMethod.Patch, "", new { properties = new { anonymousPullEnabled = true } });
    }

    [Theory]
    [InlineData(RegistryTier.Premium)]
    [InlineData(RegistryTier.Basic)]
    public async Task Per_repository_anonymous_pull_opens_only_the_repositories_named(RegistryTier tier)
    {
        var registry = await fixture.CreateRegistryAsync(tier);
        var publicRepository = await Probe.SeedAsync(registry, RegistryClient.NewRepository("public"));
        var exact = await Probe.SeedAsync(registry, "docs");
        var privateRepository = await Probe.SeedAsync(registry, RegistryClient.NewRepository("private"));
        var lookalike = await Probe.SeedAsync(registry, RegistryClient.NewRepository("publicity"));

        await registry.ManageOkAsync(HttpMethod.Patch, "", new { properties = new { anonymousPullRepositories = new[] { "public/*", "docs" } } });

        foreach (var (seeded, open) in new[] { (publicRepository, true), (exact, true), (privateRepository, false), (lookalike, false) })
        {
            var token = await registry.TokenAsync(null, null, $"repository:{seeded.Name}:pull,push");
            Assert.Equal(new Abilities(open, false, false), await Probe.AbilitiesAsync(registry, seeded, token));
        }

        await registry.ManageOkAsync(HttpMethod.Patch, "", new { properties = new { anonymousPullRepositories = Array.Empty<string>() } });
        var closed = await registry.TokenAsync(null, null, $"repository:{publicRepository.Name}:pull");
        Assert.Empty(Jwt.Access(closed));
    }
}
