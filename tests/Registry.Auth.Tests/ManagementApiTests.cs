using System.Net;
using System.Text;
using System.Text.Json;

namespace Registry.Auth.Tests;

/// <summary>
/// The management API under <c>/api/registries/{registry}</c>: scope maps, tokens, credentials, service principals and
/// role assignments in ACR's shapes, ProblemDetails errors, and who may call it. Each test works in a registry of its own.
/// </summary>
public sealed class ManagementApiTests(AuthFixture fixture) : IClassFixture<AuthFixture>
{
    // ---- the registry ----

    [Fact]
    public async Task Get_registry_shows_its_login_server_tier_and_auth_settings()
    {
        var registry = await fixture.CreateRegistryAsync(Security.RegistryTier.Standard);

        var resource = await registry.ManageOkAsync(HttpMethod.Get, "");

        Assert.Equal(registry.Registry, resource.GetProperty("name").GetString());
        Assert.Equal("Microsoft.ContainerRegistry/registries", resource.GetProperty("type").GetString());
        Assert.Equal("Standard", resource.GetProperty("sku").GetProperty("name").GetString());
        var properties = resource.GetProperty("properties");
        Assert.Equal($"{registry.Registry}.localhost", properties.GetProperty("loginServer").GetString());
        Assert.True(properties.GetProperty("adminUserEnabled").GetBoolean());
        Assert.False(properties.GetProperty("anonymousPullEnabled").GetBoolean());
    }

    [Fact]
    public async Task The_default_registry_is_premium_with_the_configured_admin_user()
    {
        var resource = await fixture.Default.ManageOkAsync(HttpMethod.Get, "");

        Assert.Equal("default", resource.GetProperty("name").GetString());
        Assert.Equal("Premium", resource.GetProperty("sku").GetProperty("tier").GetString());
        Assert.Equal("default.localhost", resource.GetProperty("properties").GetProperty("loginServer").GetString());
        var credentials = await fixture.Default.ManageOkAsync(HttpMethod.Post, "/listCredentials");
        Assert.Equal(AuthHost.AdminUsername, credentials.GetProperty("username").GetString());
    }

    [Fact]
    public async Task Without_credentials_the_api_answers_401_with_a_Basic_challenge()
    {
        var registry = await fixture.CreateRegistryAsync();

        using var response = await registry.SendAsync(HttpMethod.Get, $"/api/registries/{registry.Registry}");

        await Expect.ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.StartsWith("Basic", Expect.Header(response, "WWW-Authenticate"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_credentials_and_bearer_tokens_are_401()
    {
        var registry = await fixture.CreateRegistryAsync();

        using (var wrong = await registry.ManageAsync(HttpMethod.Get, "", password: "nope"))
        {
            await Expect.ProblemAsync(wrong, HttpStatusCode.Unauthorized);
            Assert.StartsWith("Basic", Expect.Header(wrong, "WWW-Authenticate"), StringComparison.Ordinal);
        }

        var token = await registry.AdminTokenAsync();
        using var bearer = await registry.SendAsync(HttpMethod.Get, $"/api/registries/{registry.Registry}", authorization: RegistryClient.Bearer(token));
        await Expect.ProblemAsync(bearer, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task An_unknown_registry_is_404()
    {
        using var response = await fixture.Default.SendAsync(
            HttpMethod.Get, "/api/registries/nosuchregistry/tokens", authorization: RegistryClient.Basic(AuthHost.AdminUsername, AuthHost.AdminPassword));

        await Expect.ProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_admin_of_one_registry_cannot_manage_another()
    {
        var first = await fixture.CreateRegistryAsync();
        var second = await fixture.CreateRegistryAsync();

        using var response = await second.ManageAsync(HttpMethod.Get, "/tokens", username: first.AdminUsername, password: first.AdminPassword);

        await Expect.ProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Patch_registry_changes_only_the_settings_given_and_validates_repositories()
    {
        var registry = await fixture.CreateRegistryAsync();

        var updated = await registry.ManageOkAsync(HttpMethod.Patch, "", new { properties = new { anonymousPullRepositories = new[] { "public/*", "docs" } } });
        Assert.Equal(["public/*", "docs"], updated.GetProperty("properties").GetProperty("anonymousPullRepositories").EnumerateArray().Select(e => e.GetString()));
        Assert.True(updated.GetProperty("properties").GetProperty("adminUserEnabled").GetBoolean());

        using var invalid = await registry.ManageAsync(HttpMethod.Patch, "", new { properties = new { anonymousPullRepositories = new[] { "Not Valid/*" } } });
        await Expect.ProblemAsync(invalid, HttpStatusCode.BadRequest);

        using var missing = await registry.ManageAsync(HttpMethod.Patch, "", new { });
        await Expect.ProblemAsync(missing, HttpStatusCode.BadRequest);
    }

    // ---- the admin user ----

    [Fact]
    public async Task ListCredentials_names_the_admin_passwords_without_their_values()
    {
        var registry = await fixture.CreateRegistryAsync();
        await registry.ManageOkAsync(HttpMethod.Post, "/regenerateCredential", new { name = "password2" });

        var credentials = await registry.ManageOkAsync(HttpMethod.Post, "/listCredentials");

        Assert.Equal(AuthHost.AdminUsername, credentials.GetProperty("username").GetString());
        var passwords = credentials.GetProperty("passwords").EnumerateArray().ToList();
        Assert.Equal(["password", "password2"], passwords.Select(p => p.GetProperty("name").GetString()).Order());
        Assert.All(passwords, p => Assert.False(p.TryGetProperty("value", out _), "a password value is shown once, when generated"));
    }

    [Fact]
    public async Task RegenerateCredential_returns_the_new_value_once_and_the_old_password_stops_working()
    {
        var registry = await fixture.CreateRegistryAsync();
        var oldPassword = registry.AdminPassword;

        var regenerated = await registry.ManageOkAsync(HttpMethod.Post, "/regenerateCredential", new { name = "password" });

        var values = regenerated.GetProperty("passwords").EnumerateArray()
            .Where(p => p.TryGetProperty("value", out _)).ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("value").GetString()!);
        var newPassword = Assert.Single(values, entry => entry.Key == "password").Value;
        Assert.Single(values);
        Assert.True(newPassword.Length >= 32);

        using (var old = await registry.RequestTokenAsync(registry.AdminUsername, oldPassword, []))
        {
            await Expect.OciErrorAsync(old, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        using (var oldManagement = await registry.ManageAsync(HttpMethod.Get, "", password: oldPassword))
        {
            await Expect.ProblemAsync(oldManagement, HttpStatusCode.Unauthorized);
        }

        registry.AdminPassword = newPassword;
        await registry.AdminTokenAsync();
        var listed = await registry.ManageOkAsync(HttpMethod.Post, "/listCredentials");
        Assert.All(listed.GetProperty("passwords").EnumerateArray(), p => Assert.False(p.TryGetProperty("value", out _)));
    }

    [Fact]
    public async Task Both_admin_passwords_work_and_an_unknown_password_name_is_400()
    {
        var registry = await fixture.CreateRegistryAsync();
        var regenerated = await registry.ManageOkAsync(HttpMethod.Post, "/regenerateCredential", new { name = "password2" });
        var second = regenerated.GetProperty("passwords").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "password2").GetProperty("value").GetString()!;

        await registry.TokenAsync(registry.AdminUsername, second);
        await registry.AdminTokenAsync();

        using var invalid = await registry.ManageAsync(HttpMethod.Post, "/regenerateCredential", new { name = "password3" });
        await Expect.ProblemAsync(invalid, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Disabling_the_admin_user_ends_its_logins_and_its_credential_listing()
    {
        var registry = await fixture.CreateRegistryAsync();
        var (appId, password) = await registry.CreateServicePrincipalAsync();
        await registry.AssignRoleAsync(appId, "Owner");

        await registry.ManageOkAsync(HttpMethod.Patch, "", new { properties = new { adminUserEnabled = false } });

        using (var login = await registry.RequestTokenAsync(registry.AdminUsername, registry.AdminPassword, []))
        {
            await Expect.OciErrorAsync(login, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        using (var listing = await registry.ManageAsync(HttpMethod.Post, "/listCredentials", username: appId, password: password))
        {
            await Expect.ProblemAsync(listing, HttpStatusCode.Conflict);
        }

        using var enabled = await registry.ManageAsync(HttpMethod.Patch, "", new { properties = new { adminUserEnabled = true } }, appId, password);
        await Expect.StatusAsync(enabled, HttpStatusCode.OK);
        await registry.AdminTokenAsync();
    }

    // ---- scope maps ----

    [Fact]
    public async Task The_system_scope_maps_are_listed_readable_and_read_only()
    {
        var registry = await fixture.CreateRegistryAsync();

        var list = await registry.ManageOkAsync(HttpMethod.Get, "/scopeMaps");
        var system = list.GetProperty("value").EnumerateArray().Where(m => m.GetProperty("properties").GetProperty("type").GetString() == "SystemDefined")
            .Select(m => m.GetProperty("name").GetString()).Order().ToList();
        Assert.Equal(["_repositories_admin", "_repositories_pull", "_repositories_push"], system);

        var pull = await registry.ManageOkAsync(HttpMethod.Get, "/scopeMaps/_repositories_pull");
        Assert.Equal(
            ["repositories/*/content/read", "repositories/*/metadata/read"],
            pull.GetProperty("properties").GetProperty("actions").EnumerateArray().Select(a => a.GetString()).Order());

        using (var put = await registry.ManageAsync(HttpMethod.Put, "/scopeMaps/_repositories_pull", new { properties = new { actions = new[] { "repositories/*/content/write" } } }))
        {
            await Expect.ProblemAsync(put, HttpStatusCode.Conflict);
        }

        using (var delete = await registry.ManageAsync(HttpMethod.Delete, "/scopeMaps/_repositories_admin"))
        {
            await Expect.ProblemAsync(delete, HttpStatusCode.Conflict);
        }
    }

    [Fact]
    public async Task A_scope_map_is_created_read_changed_and_deleted()
    {
        var registry = await fixture.CreateRegistryAsync();
        string[] actions = ["repositories/team-a/*/content/read", "repositories/team-a/*/metadata/read"];

        using (var created = await registry.ManageAsync(HttpMethod.Put, "/scopeMaps/team-a-read", new { properties = new { description = "team a", actions } }))
        {
            var resource = await Expect.JsonAsync(created, HttpStatusCode.Created);
            Assert.Equal($"/api/registries/{registry.Registry}/scopeMaps/team-a-read", Expect.Header(created, "Location"));
            Assert.Equal("UserDefined", resource.GetProperty("properties").GetProperty("type").GetString());
            Assert.Equal(actions, resource.GetProperty("properties").GetProperty("actions").EnumerateArray().Select(a => a.GetString()));
        }

        var patched = await registry.ManageOkAsync(HttpMethod.Patch, "/scopeMaps/team-a-read", new { properties = new { description = "team a, read only" } });
        Assert.Equal("team a, read only", patched.GetProperty("properties").GetProperty("description").GetString());
        Assert.Equal(actions, patched.GetProperty("properties").GetProperty("actions").EnumerateArray().Select(a => a.GetString()));

        var replaced = await registry.ManageOkAsync(HttpMethod.Put, "/scopeMaps/team-a-read", new { properties = new { actions = new[] { "repositories/team-a/*/content/read" } } });
        Assert.Equal(["repositories/team-a/*/content/read"], replaced.GetProperty("properties").GetProperty("actions").EnumerateArray().Select(a => a.GetString()));

        var listed = await registry.ManageOkAsync(HttpMethod.Get, "/scopeMaps");
        Assert.Contains(listed.GetProperty("value").EnumerateArray(), m => m.GetProperty("name").GetString() == "team-a-read");

        using (var deleted = await registry.ManageAsync(HttpMethod.Delete, "/scopeMaps/team-a-read"))
        {
            await Expect.StatusAsync(deleted, HttpStatusCode.NoContent);
        }

        using var gone = await registry.ManageAsync(HttpMethod.Get, "/scopeMaps/team-a-read");
        await Expect.ProblemAsync(gone, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("repositories/team-a/content/execute")]
    [InlineData("repositories/content/read")]
    [InlineData("repos/team-a/content/read")]
    [InlineData("repositories/Team_A!/content/read")]
    [InlineData("repositories/team-a/*/*/content/read")]
    public async Task An_invalid_scope_map_action_is_400_ProblemDetails(string action)
    {
        var registry = await fixture.CreateRegistryAsync();

        using var response = await registry.ManageAsync(HttpMethod.Put, "/scopeMaps/bad-map", new { properties = new { actions = new[] { action } } });

        var problem = await Expect.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(action, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_scope_map_needs_actions_and_a_valid_name_and_patch_needs_an_existing_map()
    {
        var registry = await fixture.CreateRegistryAsync();

        using (var empty = await registry.ManageAsync(HttpMethod.Put, "/scopeMaps/empty-map", new { properties = new { actions = Array.Empty<string>() } }))
        {
            await Expect.ProblemAsync(empty, HttpStatusCode.BadRequest);
        }

        using (var badName = await registry.ManageAsync(HttpMethod.Put, "/scopeMaps/a_b", new { properties = new { actions = new[] { "repositories/x/content/read" } } }))
        {
            await Expect.ProblemAsync(badName, HttpStatusCode.BadRequest);
        }

        using var missing = await registry.ManageAsync(HttpMethod.Patch, "/scopeMaps/no-such-map", new { properties = new { description = "x" } });
        await Expect.ProblemAsync(missing, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_scope_map_in_use_cannot_be_deleted()
    {
        var registry = await fixture.CreateRegistryAsync();
        var map = await registry.CreateScopeMapAsync("repositories/x/content/read");
        var (token, _) = await registry.CreateTokenAsync(map);

        using (var refused = await registry.ManageAsync(HttpMethod.Delete, $"/scopeMaps/{map}"))
        {
            var problem = await Expect.ProblemAsync(refused, HttpStatusCode.Conflict);
            Assert.Contains(token, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        await registry.ManageOkAsync(HttpMethod.Delete, $"/tokens/{token}");
        using var deleted = await registry.ManageAsync(HttpMethod.Delete, $"/scopeMaps/{map}");
        await Expect.StatusAsync(deleted, HttpStatusCode.NoContent);
    }

    // ---- tokens ----

    [Fact]
    public async Task A_token_shows_its_passwords_once_at_creation_and_never_again()
    {
        var registry = await fixture.CreateRegistryAsync();

        using var created = await registry.ManageAsync(HttpMethod.Put, "/tokens/ci-token", new { properties = new { scopeMapId = "_repositories_pull" } });

        var resource = await Expect.JsonAsync(created, HttpStatusCode.Created);
        var properties = resource.GetProperty("properties");
        Assert.Equal("enabled", properties.GetProperty("status").GetString());
        Assert.Equal($"/registries/{registry.Registry}/scopeMaps/_repositories_pull", properties.GetProperty("scopeMapId").GetString());
        var passwords = properties.GetProperty("credentials").GetProperty("passwords").EnumerateArray()
            .ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("value").GetString()!);
        Assert.Equal(["password1", "password2"], passwords.Keys.Order());
        Assert.NotEqual(passwords["password1"], passwords["password2"]);
        foreach (var password in passwords.Values)
        {
            await registry.TokenAsync("ci-token", password);
        }

        var read = await registry.ManageOkAsync(HttpMethod.Get, "/tokens/ci-token");
        var list = await registry.ManageOkAsync(HttpMethod.Get, "/tokens");
        var listed = Assert.Single(list.GetProperty("value").EnumerateArray());
        foreach (var shown in new[] { read, listed })
        {
            Assert.Equal("ci-token", shown.GetProperty("name").GetString());
            var shownPasswords = shown.GetProperty("properties").GetProperty("credentials").GetProperty("passwords").EnumerateArray().ToList();
            Assert.Equal(2, shownPasswords.Count);
            Assert.All(shownPasswords, p => Assert.False(p.TryGetProperty("value", out _)));
        }

        // Changing a token keeps its passwords and shows none.
        var updated = await registry.ManageOkAsync(HttpMethod.Put, "/tokens/ci-token", new { properties = new { scopeMapId = "_repositories_push" } });
        Assert.All(updated.GetProperty("properties").GetProperty("credentials").GetProperty("passwords").EnumerateArray(), p => Assert.False(p.TryGetProperty("value", out _)));
        await registry.TokenAsync("ci-token", passwords["password1"]);
    }

    [Fact]
    public async Task A_token_is_disabled_enabled_and_deleted()
    {
        var registry = await fixture.CreateRegistryAsync();
        var (name, password) = await registry.CreateTokenAsync("_repositories_pull");

        var disabled = await registry.ManageOkAsync(HttpMethod.Patch, $"/tokens/{name}", new { properties = new { status = "disabled" } });
        Assert.Equal("disabled", disabled.GetProperty("properties").GetProperty("status").GetString());
        using (var refused = await registry.RequestTokenAsync(name, password, []))
        {
            await Expect.OciErrorAsync(refused, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        await registry.ManageOkAsync(HttpMethod.Patch, $"/tokens/{name}", new { properties = new { status = "enabled" } });
        await registry.TokenAsync(name, password);

        using (var deleted = await registry.ManageAsync(HttpMethod.Delete, $"/tokens/{name}"))
        {
            await Expect.StatusAsync(deleted, HttpStatusCode.NoContent);
        }

        using (var gone = await registry.ManageAsync(HttpMethod.Get, $"/tokens/{name}"))
        {
            await Expect.ProblemAsync(gone, HttpStatusCode.NotFound);
        }

        using var afterDelete = await registry.RequestTokenAsync(name, password, []);
        await Expect.OciErrorAsync(afterDelete, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Theory]
    [InlineData("tok-ok", "{\"properties\":{\"scopeMapId\":\"no-such-map\"}}", HttpStatusCode.BadRequest)]
    [InlineData("tok-ok", "{\"properties\":{}}", HttpStatusCode.BadRequest)]
    [InlineData("tok-ok", "{\"properties\":{\"scopeMapId\":\"_repositories_pull\",\"status\":\"paused\"}}", HttpStatusCode.BadRequest)]
    [InlineData("tok", "{\"properties\":{\"scopeMapId\":\"_repositories_pull\"}}", HttpStatusCode.BadRequest)]
    [InlineData("3f2504e0-4f89-11d3-9a0c-0305e82c3301", "{\"properties\":{\"scopeMapId\":\"_repositories_pull\"}}", HttpStatusCode.BadRequest)]
    public async Task An_invalid_token_is_refused(string name, string body, HttpStatusCode status)
    {
        var registry = await fixture.CreateRegistryAsync();

        using var response = await registry.SendAsync(
            HttpMethod.Put,
            $"/api/registries/{registry.Registry}/tokens/{name}",
            new StringContent(body, Encoding.UTF8, "application/json"),
            RegistryClient.Basic(registry.AdminUsername, registry.AdminPassword));

        await Expect.ProblemAsync(response, status);
    }

    [Theory]
    [InlineData("PUT", "/tokens/tok-json")]
    [InlineData("PUT", "/scopeMaps/map-json")]
    [InlineData("PATCH", "")]
    public async Task Malformed_json_is_refused_with_a_problem_that_names_it_and_changes_nothing(string method, string path)
    {
        var registry = await fixture.CreateRegistryAsync();
        var address = $"/api/registries/{registry.Registry}{path}";

        using var malformed = await registry.SendAsync(
            new HttpMethod(method), address, new StringContent("{\"properties\": {", Encoding.UTF8, "application/json"),
            RegistryClient.Basic(registry.AdminUsername, registry.AdminPassword));
        var problem = await Expect.ProblemAsync(malformed, HttpStatusCode.BadRequest);
        Assert.Contains("JSON", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var notJson = await registry.SendAsync(
            new HttpMethod(method), address, new StringContent("scopeMapId=_repositories_pull", Encoding.UTF8, "text/plain"),
            RegistryClient.Basic(registry.AdminUsername, registry.AdminPassword));
        await Expect.ProblemAsync(notJson, HttpStatusCode.UnsupportedMediaType);

        if (path.Length > 0)
        {
            using var absent = await registry.ManageAsync(HttpMethod.Get, path);
            await Expect.ProblemAsync(absent, HttpStatusCode.NotFound);
        }
    }

    [Fact]
    public async Task A_token_named_like_the_admin_user_is_a_conflict()
    {
        var registry = await fixture.CreateRegistryAsync();

        using var response = await registry.ManageAsync(HttpMethod.Put, "/tokens/ADMIN", new { properties = new { scopeMapId = "_repositories_pull" } });

        await Expect.ProblemAsync(response, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task GenerateCredentials_replaces_one_password_and_leaves_the_other()
    {
        var registry = await fixture.CreateRegistryAsync();
        using var created = await registry.ManageAsync(HttpMethod.Put, "/tokens/gen-token", new { properties = new { scopeMapId = "_repositories_pull" } });
        var original = (await Expect.JsonAsync(created, HttpStatusCode.Created)).GetProperty("properties").GetProperty("credentials").GetProperty("passwords").EnumerateArray()
            .ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("value").GetString()!);

        var generated = await registry.ManageOkAsync(HttpMethod.Post, "/generateCredentials", new { tokenId = $"/registries/{registry.Registry}/tokens/gen-token", name = "password1" });

        Assert.Equal("gen-token", generated.GetProperty("username").GetString());
        var password = Assert.Single(generated.GetProperty("passwords").EnumerateArray());
        Assert.Equal("password1", password.GetProperty("name").GetString());
        var value = password.GetProperty("value").GetString()!;
        Assert.NotEqual(original["password1"], value);
        await registry.TokenAsync("gen-token", value);
        await registry.TokenAsync("gen-token", original["password2"]);
        using var old = await registry.RequestTokenAsync("gen-token", original["password1"], []);
        await Expect.OciErrorAsync(old, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task GenerateCredentials_without_a_name_replaces_both_and_validates_its_request()
    {
        var registry = await fixture.CreateRegistryAsync();
        var (name, oldPassword) = await registry.CreateTokenAsync("_repositories_pull");

        var generated = await registry.ManageOkAsync(HttpMethod.Post, "/generateCredentials", new { tokenId = name });
        var values = generated.GetProperty("passwords").EnumerateArray().Select(p => p.GetProperty("value").GetString()!).ToList();
        Assert.Equal(2, values.Count);
        foreach (var value in values)
        {
            await registry.TokenAsync(name, value);
        }

        using (var old = await registry.RequestTokenAsync(name, oldPassword, []))
        {
            await Expect.OciErrorAsync(old, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        using (var unknownToken = await registry.ManageAsync(HttpMethod.Post, "/generateCredentials", new { tokenId = "no-such-token" }))
        {
            await Expect.ProblemAsync(unknownToken, HttpStatusCode.NotFound);
        }

        using (var badName = await registry.ManageAsync(HttpMethod.Post, "/generateCredentials", new { tokenId = name, name = "password3" }))
        {
            await Expect.ProblemAsync(badName, HttpStatusCode.BadRequest);
        }

        using var past = await registry.ManageAsync(HttpMethod.Post, "/generateCredentials", new { tokenId = name, name = "password1", expiry = DateTimeOffset.UtcNow.AddHours(-1) });
        await Expect.ProblemAsync(past, HttpStatusCode.BadRequest);
    }

    // ---- service principals and role assignments ----

    [Fact]
    public async Task A_service_principal_is_created_reset_and_deleted_with_its_role_assignments()
    {
        var registry = await fixture.CreateRegistryAsync();
        using var created = await registry.ManageAsync(HttpMethod.Post, "/servicePrincipals", new { name = "ci pipeline" });
        var resource = await Expect.JsonAsync(created, HttpStatusCode.Created);
        var appId = resource.GetProperty("appId").GetString()!;
        var password = resource.GetProperty("password").GetString()!;
        Assert.True(Guid.TryParse(appId, out _));
        Assert.Equal("ci pipeline", resource.GetProperty("name").GetString());
        var assignment = await registry.AssignRoleAsync(appId, "AcrPull");
        await registry.TokenAsync(appId, password);

        var read = await registry.ManageOkAsync(HttpMethod.Get, $"/servicePrincipals/{appId}");
        Assert.False(read.TryGetProperty("password", out _));
        var list = await registry.ManageOkAsync(HttpMethod.Get, "/servicePrincipals");
        Assert.All(list.GetProperty("value").EnumerateArray(), sp => Assert.False(sp.TryGetProperty("password", out _)));

        var reset = await registry.ManageOkAsync(HttpMethod.Post, $"/servicePrincipals/{appId}/resetCredential");
        var newPassword = reset.GetProperty("password").GetString()!;
        Assert.NotEqual(password, newPassword);
        using (var old = await registry.RequestTokenAsync(appId, password, []))
        {
            await Expect.OciErrorAsync(old, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        await registry.TokenAsync(appId, newPassword);

        using (var deleted = await registry.ManageAsync(HttpMethod.Delete, $"/servicePrincipals/{appId}"))
        {
            await Expect.StatusAsync(deleted, HttpStatusCode.NoContent);
        }

        var assignments = await registry.ManageOkAsync(HttpMethod.Get, "/roleAssignments");
        Assert.DoesNotContain(assignments.GetProperty("value").EnumerateArray(), a => a.GetProperty("name").GetString() == assignment);
        Assert.DoesNotContain(assignments.GetProperty("value").EnumerateArray(), a => a.GetProperty("properties").GetProperty("principalId").GetString() == appId);
        using (var gone = await registry.ManageAsync(HttpMethod.Get, $"/servicePrincipals/{appId}"))
        {
            await Expect.ProblemAsync(gone, HttpStatusCode.NotFound);
        }

        using var login = await registry.RequestTokenAsync(appId, newPassword, []);
        await Expect.OciErrorAsync(login, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task Role_assignments_are_listed_replaced_and_deleted()
    {
        var registry = await fixture.CreateRegistryAsync();
        var (appId, _) = await registry.CreateServicePrincipalAsync();
        var id = Guid.NewGuid().ToString("D");

        using (var created = await registry.ManageAsync(
            HttpMethod.Put, $"/roleAssignments/{id}", new { properties = new { principalId = appId, roleDefinitionName = "AcrPull", scope = "repositories/team-a/*" } }))
        {
            var resource = await Expect.JsonAsync(created, HttpStatusCode.Created);
            Assert.Equal("AcrPull", resource.GetProperty("properties").GetProperty("roleDefinitionName").GetString());
            Assert.Equal("repositories/team-a/*", resource.GetProperty("properties").GetProperty("scope").GetString());
        }

        var replaced = await registry.ManageOkAsync(HttpMethod.Put, $"/roleAssignments/{id}", new { properties = new { principalId = appId, roleDefinitionName = "AcrPush" } });
        Assert.Equal("AcrPush", replaced.GetProperty("properties").GetProperty("roleDefinitionName").GetString());
        Assert.False(replaced.GetProperty("properties").TryGetProperty("scope", out _));

        var list = await registry.ManageOkAsync(HttpMethod.Get, "/roleAssignments");
        Assert.Equal(id, Assert.Single(list.GetProperty("value").EnumerateArray()).GetProperty("name").GetString());

        using (var deleted = await registry.ManageAsync(HttpMethod.Delete, $"/roleAssignments/{id}"))
        {
            await Expect.StatusAsync(deleted, HttpStatusCode.NoContent);
        }

        using var again = await registry.ManageAsync(HttpMethod.Delete, $"/roleAssignments/{id}");
        await Expect.ProblemAsync(again, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("SuperUser", null, true)]
    [InlineData("AcrPull", null, false)]
    [InlineData("AcrPull", "registries/other", true)]
    [InlineData("AcrPull", "repositories/Bad Name", true)]
    public async Task An_invalid_role_assignment_is_400(string role, string? scope, bool realPrincipal)
    {
        var registry = await fixture.CreateRegistryAsync();
        var (appId, _) = await registry.CreateServicePrincipalAsync();
        var principalId = realPrincipal ? appId : Guid.NewGuid().ToString("D");

        using var response = await registry.ManageAsync(
            HttpMethod.Put, $"/roleAssignments/{Guid.NewGuid():D}", new { properties = new { principalId, roleDefinitionName = role, scope } });

        await Expect.ProblemAsync(response, HttpStatusCode.BadRequest);
        var list = await registry.ManageOkAsync(HttpMethod.Get, "/roleAssignments");
        Assert.Empty(list.GetProperty("value").EnumerateArray());
    }

    [Fact]
    public async Task A_principal_of_another_registry_cannot_be_assigned_a_role()
    {
        var registry = await fixture.CreateRegistryAsync();
        var other = await fixture.CreateRegistryAsync();
        var (foreignAppId, _) = await other.CreateServicePrincipalAsync();

        using var response = await registry.ManageAsync(
            HttpMethod.Put, $"/roleAssignments/{Guid.NewGuid():D}", new { properties = new { principalId = foreignAppId, roleDefinitionName = "Owner" } });

        await Expect.ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task An_Owner_service_principal_manages_the_registry()
    {
        var registry = await fixture.CreateRegistryAsync();
        var (appId, password) = await registry.CreateServicePrincipalAsync();
        await registry.AssignRoleAsync(appId, "Owner");

        using (var read = await registry.ManageAsync(HttpMethod.Get, "", username: appId, password: password))
        {
            await Expect.StatusAsync(read, HttpStatusCode.OK);
        }

        using (var patch = await registry.ManageAsync(HttpMethod.Patch, "", new { properties = new { anonymousPullRepositories = new[] { "public/*" } } }, appId, password))
        {
            var resource = await Expect.JsonAsync(patch);
            Assert.Equal("public/*", Assert.Single(resource.GetProperty("properties").GetProperty("anonymousPullRepositories").EnumerateArray()).GetString());
        }

        using var token = await registry.ManageAsync(HttpMethod.Put, "/tokens/owner-made", new { properties = new { scopeMapId = "_repositories_pull" } }, appId, password);
        await Expect.StatusAsync(token, HttpStatusCode.Created);
    }

    [Theory]
    [InlineData("AcrPush", null)]
    [InlineData("AcrPull", null)]
    [InlineData("AcrDelete", null)]
    [InlineData("Owner", "repositories/team-a/*")]
    public async Task A_service_principal_without_a_registry_wide_Owner_or_Reader_role_gets_403(string role, string? scope)
    {
        var registry = await fixture.CreateRegistryAsync();
        var (appId, password) = await registry.CreateServicePrincipalAsync();
        await registry.AssignRoleAsync(appId, role, scope);

        using (var read = await registry.ManageAsync(HttpMethod.Get, "", username: appId, password: password))
        {
            await Expect.ProblemAsync(read, HttpStatusCode.Forbidden);
        }

        using var token = await registry.ManageAsync(HttpMethod.Put, "/tokens/not-allowed", new { properties = new { scopeMapId = "_repositories_admin" } }, appId, password);
        await Expect.ProblemAsync(token, HttpStatusCode.Forbidden);
        var tokens = await registry.ManageOkAsync(HttpMethod.Get, "/tokens");
        Assert.Empty(tokens.GetProperty("value").EnumerateArray());
    }

    [Fact]
    public async Task A_Reader_service_principal_can_look_but_not_change()
    {
        var registry = await fixture.CreateRegistryAsync();
        var (appId, password) = await registry.CreateServicePrincipalAsync();
        await registry.AssignRoleAsync(appId, "Reader");

        foreach (var path in new[] { "", "/scopeMaps", "/tokens", "/servicePrincipals", "/roleAssignments" })
        {
            using var read = await registry.ManageAsync(HttpMethod.Get, path, username: appId, password: password);
            await Expect.StatusAsync(read, HttpStatusCode.OK);
        }

        using (var patch = await registry.ManageAsync(HttpMethod.Patch, "", new { properties = new { anonymousPullEnabled = true } }, appId, password))
        {
            await Expect.ProblemAsync(patch, HttpStatusCode.Forbidden);
        }

        using (var escalate = await registry.ManageAsync(
            HttpMethod.Put, $"/roleAssignments/{Guid.NewGuid():D}", new { properties = new { principalId = appId, roleDefinitionName = "Owner" } }, appId, password))
        {
            await Expect.ProblemAsync(escalate, HttpStatusCode.Forbidden);
        }

        using (var regenerate = await registry.ManageAsync(HttpMethod.Post, "/regenerateCredential", new { name = "password" }, appId, password))
        {
            await Expect.ProblemAsync(regenerate, HttpStatusCode.Forbidden);
        }

        var settings = await registry.ManageOkAsync(HttpMethod.Get, "");
        Assert.False(settings.GetProperty("properties").GetProperty("anonymousPullEnabled").GetBoolean());
        await registry.AdminTokenAsync();
    }

    [Fact]
    public async Task A_token_cannot_call_the_management_api_even_with_the_admin_scope_map()
    {
        var registry = await fixture.CreateRegistryAsync();
        var (name, password) = await registry.CreateTokenAsync("_repositories_admin");

        using var response = await registry.ManageAsync(HttpMethod.Get, "/tokens", username: name, password: password);

        await Expect.ProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Errors_are_problem_details_with_a_json_body()
    {
        var registry = await fixture.CreateRegistryAsync();

        using var response = await registry.ManageAsync(HttpMethod.Get, "/tokens/no-such-token");

        var problem = await Expect.ProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Equal(JsonValueKind.String, problem.GetProperty("title").ValueKind);
    }
}
