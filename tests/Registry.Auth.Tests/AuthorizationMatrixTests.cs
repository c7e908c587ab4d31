using System.Net;

namespace Registry.Auth.Tests;

/// <summary>
/// Every action (pull, push, delete) × every identity kind (admin, tokens with each system scope map, service principals
/// with each role, anonymous) through real /v2 calls, allowed or refused; and the repository-scoped grants.
/// </summary>
public sealed class AuthorizationMatrixTests(AuthFixture fixture) : IClassFixture<AuthFixture>
{
    private readonly RegistryClient _default = fixture.Default;

    [Theory]
    [InlineData("admin", "", true, true, true)]
    [InlineData("token", "_repositories_pull", true, false, false)]
    [InlineData("token", "_repositories_push", true, true, false)]
    [InlineData("token", "_repositories_admin", true, true, true)]
    [InlineData("sp", "AcrPull", true, false, false)]
    [InlineData("sp", "AcrPush", true, true, false)]
    [InlineData("sp", "AcrDelete", false, false, true)]
    [InlineData("sp", "Reader", true, false, false)]
    [InlineData("sp", "Contributor", true, true, true)]
    [InlineData("sp", "Owner", true, true, true)]
    [InlineData("sp", "", false, false, false)]
    [InlineData("anonymous", "", false, false, false)]
    public async Task Each_identity_may_do_exactly_what_its_grant_allows(string kind, string grant, bool pull, bool push, bool delete)
    {
        var seeded = await Probe.SeedAsync(_default, RegistryClient.NewRepository());
        var (username, password) = await IdentityAsync(kind, grant);
        var token = await _default.TokenAsync(username, password, $"repository:{seeded.Name}:pull,push,delete");

        var expectedActions = new[] { (pull, "pull"), (push, "push"), (delete, "delete") }.Where(a => a.Item1).Select(a => a.Item2).ToList();
        Assert.Equal(
            expectedActions.Count == 0 ? [] : [$"repository:{seeded.Name}:{string.Join(',', expectedActions)}"],
            Jwt.Access(token));
        Assert.Equal(new Abilities(pull, push, delete), await Probe.AbilitiesAsync(_default, seeded, token));
    }

    [Theory]
    [InlineData("admin", "", true)]
    [InlineData("token", "_repositories_pull", true)]
    [InlineData("sp", "AcrPull", true)]
    [InlineData("sp", "Owner", true)]
    [InlineData("anonymous", "", false)]
    public async Task The_catalog_needs_a_registry_wide_grant(string kind, string grant, bool allowed)
    {
        await Probe.SeedAsync(_default, RegistryClient.NewRepository());
        var (username, password) = await IdentityAsync(kind, grant);
        var token = await _default.TokenAsync(username, password, "registry:catalog:*");

        using var response = await _default.SendAsync(HttpMethod.Get, "/v2/_catalog", token);

        if (allowed)
        {
            Assert.Equal(["registry:catalog:*"], Jwt.Access(token));
            var catalog = await Expect.JsonAsync(response);
            Assert.NotEmpty(catalog.GetProperty("repositories").EnumerateArray());
        }
        else
        {
            Assert.Empty(Jwt.Access(token));
            await Expect.DeniedAsync(response, "registry:catalog:*");
        }
    }

    [Fact]
    public async Task Deleting_a_whole_repository_needs_delete_on_it_and_a_push_token_changes_nothing()
    {
        var seeded = await Probe.SeedAsync(_default, RegistryClient.NewRepository());
        var (appId, password) = await _default.CreateServicePrincipalAsync();
        await _default.AssignRoleAsync(appId, "AcrPush", $"repositories/{seeded.Name}");
        var pushToken = await _default.TokenAsync(appId, password, $"repository:{seeded.Name}:pull,push,delete");

        using (var refused = await _default.SendAsync(HttpMethod.Delete, $"/acr/v1/{seeded.Name}", pushToken))
        {
            await Expect.DeniedAsync(refused, $"repository:{seeded.Name}:delete");
        }

        using (var anonymous = await _default.SendAsync(HttpMethod.Delete, $"/acr/v1/{seeded.Name}", token: null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        var pullToken = await _default.AdminTokenAsync($"repository:{seeded.Name}:pull");
        using (var stillThere = await _default.SendAsync(HttpMethod.Get, $"/v2/{seeded.Name}/tags/list", pullToken))
        {
            Assert.Equal(HttpStatusCode.OK, stillThere.StatusCode);
        }

        var deleteToken = await _default.AdminTokenAsync($"repository:{seeded.Name}:delete");
        using (var deleted = await _default.SendAsync(HttpMethod.Delete, $"/acr/v1/{seeded.Name}", deleteToken))
        {
            Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        }

        using var gone = await _default.SendAsync(HttpMethod.Get, $"/v2/{seeded.Name}/tags/list", pullToken);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task A_token_whose_scope_map_covers_team_a_pushes_and_pulls_there_and_nowhere_else()
    {
        var teamA = await Probe.SeedAsync(_default, RegistryClient.NewRepository("team-a"));
        var teamB = await Probe.SeedAsync(_default, RegistryClient.NewRepository("team-b"));
        var map = await _default.CreateScopeMapAsync("repositories/team-a/*/content/read", "repositories/team-a/*/content/write");
        var (name, password) = await _default.CreateTokenAsync(map);

        var tokenA = await _default.TokenAsync(name, password, $"repository:{teamA.Name}:pull,push,delete");
        var tokenB = await _default.TokenAsync(name, password, $"repository:{teamB.Name}:pull,push,delete", "registry:catalog:*");

        Assert.Equal([$"repository:{teamA.Name}:pull,push"], Jwt.Access(tokenA));
        Assert.Empty(Jwt.Access(tokenB));
        Assert.Equal(new Abilities(true, true, false), await Probe.AbilitiesAsync(_default, teamA, tokenA));
        Assert.Equal(new Abilities(false, false, false), await Probe.AbilitiesAsync(_default, teamB, tokenB));

        // A token for team-a is no key to team-b either.
        Assert.Equal(new Abilities(false, false, false), await Probe.AbilitiesAsync(_default, teamB, tokenA));
    }

    [Fact]
    public async Task A_scope_map_naming_one_repository_covers_that_repository_only()
    {
        var prefix = "app" + Guid.NewGuid().ToString("N")[..8];
        var exact = await Probe.SeedAsync(_default, $"{prefix}/web");
        var sibling = await Probe.SeedAsync(_default, $"{prefix}/web2");
        var nested = await Probe.SeedAsync(_default, $"{prefix}/web/sub");
        var map = await _default.CreateScopeMapAsync($"repositories/{prefix}/web/content/read", $"repositories/{prefix}/web/content/delete");
        var (name, password) = await _default.CreateTokenAsync(map);

        foreach (var (seeded, allowed) in new[] { (exact, true), (sibling, false), (nested, false) })
        {
            var token = await _default.TokenAsync(name, password, $"repository:{seeded.Name}:pull,push,delete");
            Assert.Equal(new Abilities(allowed, false, allowed), await Probe.AbilitiesAsync(_default, seeded, token));
        }
    }

    [Fact]
    public async Task A_service_principal_with_AcrPush_on_team_a_only_pushes_there_and_sees_no_catalog()
    {
        var teamA = await Probe.SeedAsync(_default, RegistryClient.NewRepository("team-a"));
        var teamB = await Probe.SeedAsync(_default, RegistryClient.NewRepository("team-b"));
        var (appId, password) = await _default.CreateServicePrincipalAsync();
        await _default.AssignRoleAsync(appId, "AcrPush", "repositories/team-a/*");

        var tokenA = await _default.TokenAsync(appId, password, $"repository:{teamA.Name}:pull,push,delete", "registry:catalog:*");
        var tokenB = await _default.TokenAsync(appId, password, $"repository:{teamB.Name}:pull,push,delete");

        Assert.Equal([$"repository:{teamA.Name}:pull,push"], Jwt.Access(tokenA));
        Assert.Equal(new Abilities(true, true, false), await Probe.AbilitiesAsync(_default, teamA, tokenA));
        Assert.Equal(new Abilities(false, false, false), await Probe.AbilitiesAsync(_default, teamB, tokenB));
    }

    [Fact]
    public async Task Role_assignments_of_one_principal_add_up()
    {
        var seeded = await Probe.SeedAsync(_default, RegistryClient.NewRepository());
        var (appId, password) = await _default.CreateServicePrincipalAsync();
        await _default.AssignRoleAsync(appId, "AcrPull");
        await _default.AssignRoleAsync(appId, "AcrDelete", $"repositories/{seeded.Name}");

        var token = await _default.TokenAsync(appId, password, $"repository:{seeded.Name}:pull,push,delete");

        Assert.Equal(new Abilities(true, false, true), await Probe.AbilitiesAsync(_default, seeded, token));
    }

    [Fact]
    public async Task A_service_principal_user_name_is_its_app_id_in_any_case()
    {
        var seeded = await Probe.SeedAsync(_default, RegistryClient.NewRepository());
        var (appId, password) = await _default.CreateServicePrincipalAsync();
        await _default.AssignRoleAsync(appId, "AcrPull");

        var token = await _default.TokenAsync(appId.ToUpperInvariant(), password, $"repository:{seeded.Name}:pull");

        Assert.Equal($"sp:{appId}", Jwt.Payload(token).GetProperty("sub").GetString());
        Assert.True(await Probe.PullAsync(_default, seeded, token));
    }

    [Fact]
    public async Task A_disabled_token_is_refused_at_the_token_endpoint_with_its_password_and_its_refresh_token()
    {
        var (name, password) = await _default.CreateTokenAsync("_repositories_pull");
        using var login = await _default.RequestTokenAsync(name, password, [], offline: true);
        var refreshToken = (await Expect.JsonAsync(login)).GetProperty("refresh_token").GetString()!;

        await _default.ManageOkAsync(HttpMethod.Patch, $"/tokens/{name}", new { properties = new { status = "disabled" } });

        using (var withPassword = await _default.RequestTokenAsync(name, password, ["repository:a/b:pull"]))
        {
            await Expect.OciErrorAsync(withPassword, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        using (var withRefreshToken = await _default.RequestTokenAsync("00000000-0000-0000-0000-000000000000", refreshToken, []))
        {
            await Expect.OciErrorAsync(withRefreshToken, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        await _default.ManageOkAsync(HttpMethod.Patch, $"/tokens/{name}", new { properties = new { status = "enabled" } });
        await _default.TokenAsync(name, password);
    }

    [Fact]
    public async Task Moving_a_token_to_another_scope_map_changes_what_its_next_access_token_grants()
    {
        var seeded = await Probe.SeedAsync(_default, RegistryClient.NewRepository());
        var (name, password) = await _default.CreateTokenAsync("_repositories_pull");
        Assert.Equal([$"repository:{seeded.Name}:pull"], Jwt.Access(await _default.TokenAsync(name, password, $"repository:{seeded.Name}:pull,push")));

        await _default.ManageOkAsync(HttpMethod.Patch, $"/tokens/{name}", new { properties = new { scopeMapId = "_repositories_push" } });

        var token = await _default.TokenAsync(name, password, $"repository:{seeded.Name}:pull,push");
        Assert.Equal([$"repository:{seeded.Name}:pull,push"], Jwt.Access(token));
        Assert.True(await Probe.PushAsync(_default, seeded, token));
    }

    [Fact]
    public async Task A_blob_mount_from_a_repository_the_caller_may_not_pull_is_not_tried()
    {
        var secret = await Probe.SeedAsync(_default, RegistryClient.NewRepository("secret"));
        var target = RegistryClient.NewRepository("team-a");
        var map = await _default.CreateScopeMapAsync("repositories/team-a/*/content/read", "repositories/team-a/*/content/write");
        var (name, password) = await _default.CreateTokenAsync(map);
        var token = await _default.TokenAsync(name, password, $"repository:{target}:pull,push", $"repository:{secret.Name}:pull");
        var mountPath = $"/v2/{target}/blobs/uploads/?mount={secret.Image.LayerDigest}&from={secret.Name}";

        using (var refused = await _default.SendAsync(HttpMethod.Post, mountPath, token))
        {
            await Expect.StatusAsync(refused, HttpStatusCode.Accepted);
        }

        using (var probe = await _default.SendAsync(HttpMethod.Head, $"/v2/{target}/blobs/{secret.Image.LayerDigest}", token))
        {
            Assert.Equal(HttpStatusCode.NotFound, probe.StatusCode);
        }

        var adminToken = await _default.AdminTokenAsync($"repository:{target}:pull,push", $"repository:{secret.Name}:pull");
        using var mounted = await _default.SendAsync(HttpMethod.Post, mountPath, adminToken);
        await Expect.StatusAsync(mounted, HttpStatusCode.Created);
    }

    private async Task<(string? Username, string? Password)> IdentityAsync(string kind, string grant)
    {
        switch (kind)
        {
            case "admin":
                return (AuthHost.AdminUsername, AuthHost.AdminPassword);
            case "token":
                var token = await _default.CreateTokenAsync(grant);
                return (token.Name, token.Password);
            case "sp":
                var (appId, password) = await _default.CreateServicePrincipalAsync();
                if (grant.Length > 0)
                {
                    await _default.AssignRoleAsync(appId, grant);
                }

                return (appId, password);
            default:
                return (null, null);
        }
    }
}
