using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Registry.Auth.Tests;

/// <summary><c>GET/POST /oauth2/token</c> and <c>POST /oauth2/exchange</c> as docker, podman, skopeo, helm and the az CLI use them.</summary>
public sealed class TokenEndpointTests(AuthFixture fixture) : IClassFixture<AuthFixture>
{
    internal const string NullUser = "00000000-0000-0000-0000-000000000000";

    private readonly RegistryClient _default = fixture.Default;

    [Fact]
    public async Task Get_with_the_admin_user_grants_exactly_what_was_asked_in_an_ES256_token_for_the_registry()
    {
        var repository = RegistryClient.NewRepository();
        using var response = await _default.RequestTokenAsync(AuthHost.AdminUsername, AuthHost.AdminPassword, [$"repository:{repository}:pull,push", "registry:catalog:*"]);

        var body = await Expect.JsonAsync(response);
        var token = body.GetProperty("token").GetString()!;
        Assert.Equal(token, body.GetProperty("access_token").GetString());
        Assert.Equal(300, body.GetProperty("expires_in").GetInt32());
        Assert.True(DateTimeOffset.TryParse(body.GetProperty("issued_at").GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var issuedAt));
        Assert.InRange(issuedAt, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.False(body.TryGetProperty("refresh_token", out _), "no refresh token unless offline_token=true");

        var header = Jwt.Header(token);
        Assert.Equal("ES256", header.GetProperty("alg").GetString());
        Assert.False(string.IsNullOrEmpty(header.GetProperty("kid").GetString()));
        var payload = Jwt.Payload(token);
        Assert.Equal("registry-auth", payload.GetProperty("iss").GetString());
        Assert.Equal("default.localhost", payload.GetProperty("aud").GetString());
        Assert.Equal("admin:admin", payload.GetProperty("sub").GetString());
        Assert.Equal(300, payload.GetProperty("exp").GetInt64() - payload.GetProperty("iat").GetInt64());
        Assert.Equal([$"repository:{repository}:pull,push", "registry:catalog:*"], Jwt.Access(token));
    }

    [Fact]
    public async Task Unknown_actions_are_dropped_and_a_wildcard_becomes_everything_the_identity_may_do()
    {
        var first = RegistryClient.NewRepository();
        var second = RegistryClient.NewRepository();

        var token = await _default.AdminTokenAsync($"repository:{first}:pull,frobnicate", $"repository:{second}:*", "repository:Not_A_Name:pull");

        Assert.Equal(
            [$"repository:{first}:pull", $"repository:{second}:delete,metadata_read,metadata_write,pull,push"],
            Jwt.Access(token));
    }

    [Fact]
    public async Task Anonymous_get_gives_a_token_with_empty_access_that_opens_only_the_base_endpoint()
    {
        var seeded = await Probe.SeedAsync(_default, RegistryClient.NewRepository());
        using var response = await _default.RequestTokenAsync(null, null, [$"repository:{seeded.Name}:pull"], offline: true);

        var body = await Expect.JsonAsync(response);
        var token = body.GetProperty("token").GetString()!;
        Assert.False(body.TryGetProperty("refresh_token", out _), "anonymous callers get no refresh token");
        Assert.Empty(Jwt.Access(token));
        Assert.Equal("", Jwt.Payload(token).GetProperty("sub").GetString());

        using var v2 = await _default.SendAsync(HttpMethod.Get, "/v2/", token);
        await Expect.StatusAsync(v2, HttpStatusCode.OK);
        using var pull = await _default.GetManifestAsync(seeded.Name, "v1", token);
        await Expect.DeniedAsync(pull, $"repository:{seeded.Name}:pull");
        Assert.Equal("default.localhost", Expect.Challenge(pull)["service"]);
    }

    [Theory]
    [InlineData(AuthHost.AdminUsername, "not-the-password")]
    [InlineData(AuthHost.AdminUsername, "")]
    [InlineData("nobody", AuthHost.AdminPassword)]
    [InlineData("00000000-0000-0000-0000-000000000000", "not-a-refresh-token")]
    [InlineData("3f2504e0-4f89-11d3-9a0c-0305e82c3301", AuthHost.AdminPassword)]
    public async Task Wrong_credentials_are_401_UNAUTHORIZED(string username, string password)
    {
        using var response = await _default.RequestTokenAsync(username, password, ["repository:a/b:pull"]);

        await Expect.OciErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task Logins_are_audited_with_who_where_and_the_result_and_never_with_the_secret()
    {
        var wrong = "wrong-" + Guid.NewGuid().ToString("N");
        using (var failed = await _default.RequestTokenAsync(AuthHost.AdminUsername, wrong, []))
        {
            await Expect.OciErrorAsync(failed, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        var (tokenName, tokenPassword) = await _default.CreateTokenAsync("_repositories_pull");
        await _default.TokenAsync(tokenName, tokenPassword);

        var entries = fixture.Host.Logs.Entries;
        Assert.Contains(entries, entry => entry.Message.StartsWith("Login failed", StringComparison.Ordinal) &&
                                          entry.Properties.GetValueOrDefault("Registry") == "default" &&
                                          entry.Properties.GetValueOrDefault("Username") == AuthHost.AdminUsername &&
                                          entry.Properties.GetValueOrDefault("ClientAddress") == "127.0.0.1");
        Assert.Contains(entries, entry => entry.Message.StartsWith("Login succeeded", StringComparison.Ordinal) &&
                                          entry.Properties.GetValueOrDefault("Identity") == $"token:{tokenName}" &&
                                          entry.Properties.GetValueOrDefault("ClientAddress") == "127.0.0.1");
        foreach (var secret in new[] { wrong, tokenPassword, AuthHost.AdminPassword })
        {
            Assert.DoesNotContain(entries, entry => entry.Message.Contains(secret, StringComparison.Ordinal) ||
                                                    entry.Properties.Values.Any(value => value?.Contains(secret, StringComparison.Ordinal) == true));
        }
    }

    [Fact]
    public async Task Post_password_grant_with_offline_access_returns_a_refresh_token_that_the_refresh_grant_accepts()
    {
        var seeded = await Probe.SeedAsync(_default, RegistryClient.NewRepository());
        using var response = await _default.PostFormAsync("/oauth2/token", new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["service"] = _default.Service,
            ["scope"] = $"repository:{seeded.Name}:pull registry:catalog:*",
            ["client_id"] = "docker",
            ["access_type"] = "offline",
            ["username"] = AuthHost.AdminUsername,
            ["password"] = AuthHost.AdminPassword,
        });

        var body = await Expect.JsonAsync(response);
        Assert.False(body.TryGetProperty("token", out _), "the OAuth2 form answers with access_token only");
        Assert.Equal($"repository:{seeded.Name}:pull registry:catalog:*", body.GetProperty("scope").GetString());
        Assert.Equal([$"repository:{seeded.Name}:pull", "registry:catalog:*"], Jwt.Access(body.GetProperty("access_token").GetString()!));
        var refreshToken = body.GetProperty("refresh_token").GetString()!;
        Assert.Equal("refresh_token", Jwt.Payload(refreshToken).GetProperty("grant_type").GetString());

        using var refreshed = await _default.PostFormAsync("/oauth2/token", new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["service"] = _default.Service,
            ["scope"] = $"repository:{seeded.Name}:pull",
            ["refresh_token"] = refreshToken,
        });
        var refreshedBody = await Expect.JsonAsync(refreshed);
        var accessToken = refreshedBody.GetProperty("access_token").GetString()!;
        Assert.Equal("admin:admin", Jwt.Payload(accessToken).GetProperty("sub").GetString());
        Assert.True(await Probe.PullAsync(_default, seeded, accessToken));
    }

    [Fact]
    public async Task Post_password_grant_without_offline_access_has_no_refresh_token()
    {
        using var response = await _default.PostFormAsync("/oauth2/token", new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["service"] = _default.Service,
            ["username"] = AuthHost.AdminUsername,
            ["password"] = AuthHost.AdminPassword,
        });

        var body = await Expect.JsonAsync(response);
        Assert.False(body.TryGetProperty("refresh_token", out _));
        Assert.Empty(Jwt.Access(body.GetProperty("access_token").GetString()!));
    }

    [Fact]
    public async Task Post_password_grant_with_a_wrong_password_is_401()
    {
        using var response = await _default.PostFormAsync("/oauth2/token", new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["service"] = _default.Service,
            ["username"] = AuthHost.AdminUsername,
            ["password"] = "nope",
        });

        await Expect.OciErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Theory]
    [InlineData("refresh_token", "refresh_token")]
    [InlineData("password", "username")]
    [InlineData("password", "password")]
    public async Task Post_grant_without_its_credential_is_refused_not_answered_anonymously(string grantType, string missingField)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = grantType,
            ["service"] = _default.Service,
            ["scope"] = "repository:any/repo:pull",
            ["username"] = AuthHost.AdminUsername,
            ["password"] = AuthHost.AdminPassword,
            ["refresh_token"] = "x",
        };
        form.Remove(missingField);

        using var response = await _default.PostFormAsync("/oauth2/token", form);

        var error = await Expect.OciErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Contains($"'{missingField}'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_with_offline_token_returns_a_refresh_token_usable_as_the_null_guid_users_password()
    {
        var seeded = await Probe.SeedAsync(_default, RegistryClient.NewRepository());
        using var login = await _default.RequestTokenAsync(AuthHost.AdminUsername, AuthHost.AdminPassword, [], offline: true);
        var refreshToken = (await Expect.JsonAsync(login)).GetProperty("refresh_token").GetString()!;

        var token = await _default.TokenAsync(NullUser, refreshToken, $"repository:{seeded.Name}:pull");

        Assert.Equal([$"repository:{seeded.Name}:pull"], Jwt.Access(token));
        Assert.True(await Probe.PullAsync(_default, seeded, token));
    }

    [Fact]
    public async Task Exchange_turns_a_password_into_a_refresh_token_and_a_refresh_token_into_another()
    {
        var seeded = await Probe.SeedAsync(_default, RegistryClient.NewRepository());
        using var exchanged = await _default.PostFormAsync("/oauth2/exchange", new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["service"] = _default.Service,
            ["username"] = AuthHost.AdminUsername,
            ["password"] = AuthHost.AdminPassword,
        });
        var refreshToken = (await Expect.JsonAsync(exchanged)).GetProperty("refresh_token").GetString()!;

        using var again = await _default.PostFormAsync("/oauth2/exchange", new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["service"] = _default.Service,
            ["refresh_token"] = refreshToken,
        });
        var second = (await Expect.JsonAsync(again)).GetProperty("refresh_token").GetString()!;

        foreach (var refresh in new[] { refreshToken, second })
        {
            var token = await _default.TokenAsync(NullUser, refresh, $"repository:{seeded.Name}:pull");
            Assert.True(await Probe.PullAsync(_default, seeded, token));
        }
    }

    [Fact]
    public async Task Exchange_refuses_wrong_credentials_missing_credentials_and_other_grants()
    {
        using var wrong = await _default.PostFormAsync("/oauth2/exchange", new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["service"] = _default.Service,
            ["username"] = AuthHost.AdminUsername,
            ["password"] = "nope",
        });
        await Expect.OciErrorAsync(wrong, HttpStatusCode.Unauthorized, "UNAUTHORIZED");

        using var empty = await _default.PostFormAsync("/oauth2/exchange", new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["service"] = _default.Service,
        });
        await Expect.OciErrorAsync(empty, HttpStatusCode.Unauthorized, "UNAUTHORIZED");

        using var aad = await _default.PostFormAsync("/oauth2/exchange", new Dictionary<string, string>
        {
            ["grant_type"] = "access_token",
            ["service"] = _default.Service,
            ["access_token"] = "an-entra-id-token",
        });
        await Expect.OciErrorAsync(aad, HttpStatusCode.BadRequest, "UNSUPPORTED");
    }

    [Fact]
    public async Task Regenerating_the_admin_password_ends_the_refresh_tokens_issued_with_it_and_only_those()
    {
        var registry = await fixture.CreateRegistryAsync();
        var oldPassword = registry.AdminPassword;
        var withPassword = await ExchangeAsync(registry, oldPassword);

        var regenerated = await registry.ManageOkAsync(HttpMethod.Post, "/regenerateCredential", new { name = "password" });
        var newPassword = regenerated.GetProperty("passwords").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "password").GetProperty("value").GetString()!;
        registry.AdminPassword = newPassword;

        using (var stale = await registry.RequestTokenAsync(NullUser, withPassword, []))
        {
            await Expect.OciErrorAsync(stale, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        using (var staleGrant = await registry.PostFormAsync("/oauth2/token", new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["service"] = registry.Service,
            ["refresh_token"] = withPassword,
        }))
        {
            await Expect.OciErrorAsync(staleGrant, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        using (var oldLogin = await registry.RequestTokenAsync(AuthHost.AdminUsername, oldPassword, []))
        {
            await Expect.OciErrorAsync(oldLogin, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        var withNewPassword = await ExchangeAsync(registry, newPassword);
        await registry.TokenAsync(NullUser, withNewPassword);

        // password2 is another secret: regenerating it leaves refresh tokens bound to password alone.
        await registry.ManageOkAsync(HttpMethod.Post, "/regenerateCredential", new { name = "password2" });
        await registry.TokenAsync(NullUser, withNewPassword);
    }

    [Fact]
    public async Task A_refresh_token_of_one_registry_is_refused_by_another()
    {
        var other = await fixture.CreateRegistryAsync();
        var refreshToken = await ExchangeAsync(other, other.AdminPassword);

        using var response = await _default.RequestTokenAsync(NullUser, refreshToken, []);

        await Expect.OciErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await other.TokenAsync(NullUser, refreshToken);
    }

    [Fact]
    public async Task An_access_token_is_not_a_refresh_token()
    {
        var accessToken = await _default.AdminTokenAsync();

        using var response = await _default.RequestTokenAsync(NullUser, accessToken, []);

        await Expect.OciErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("POST")]
    public async Task An_unknown_service_is_404_NAME_UNKNOWN(string method)
    {
        using var response = method == "GET"
            ? await _default.RequestTokenAsync(AuthHost.AdminUsername, AuthHost.AdminPassword, ["repository:a/b:pull"], service: "nosuchreg.localhost")
            : await _default.PostFormAsync("/oauth2/token", new Dictionary<string, string>
            {
                ["grant_type"] = "password",
                ["service"] = "nosuchreg.localhost",
                ["username"] = AuthHost.AdminUsername,
                ["password"] = AuthHost.AdminPassword,
            });

        await Expect.OciErrorAsync(response, HttpStatusCode.NotFound, "NAME_UNKNOWN");
    }

    [Fact]
    public async Task A_service_outside_the_registry_domain_is_404_NAME_UNKNOWN()
    {
        using var response = await _default.RequestTokenAsync(AuthHost.AdminUsername, AuthHost.AdminPassword, [], service: "registry.example.com");

        await Expect.OciErrorAsync(response, HttpStatusCode.NotFound, "NAME_UNKNOWN");
    }

    [Fact]
    public async Task Without_a_service_the_host_names_the_registry()
    {
        using var response = await _default.RequestTokenAsync(AuthHost.AdminUsername, AuthHost.AdminPassword, ["repository:a/b:pull"], service: null);

        var token = (await Expect.JsonAsync(response)).GetProperty("token").GetString()!;
        Assert.Equal("default.localhost", Jwt.Payload(token).GetProperty("aud").GetString());
    }

    [Theory]
    [InlineData("nonsense")]
    [InlineData("repository:a/b")]
    [InlineData(":a/b:pull")]
    [InlineData("repository::pull")]
    public async Task An_invalid_scope_is_400(string scope)
    {
        using var response = await _default.RequestTokenAsync(AuthHost.AdminUsername, AuthHost.AdminPassword, [scope]);

        await Expect.OciErrorAsync(response, HttpStatusCode.BadRequest, "UNSUPPORTED");
    }

    [Fact]
    public async Task Post_needs_a_form_and_a_supported_grant_type()
    {
        using var json = await _default.SendAsync(HttpMethod.Post, "/oauth2/token", new StringContent("""{"grant_type":"password"}""", Encoding.UTF8, "application/json"));
        await Expect.OciErrorAsync(json, HttpStatusCode.BadRequest, "UNSUPPORTED");

        using var clientCredentials = await _default.PostFormAsync("/oauth2/token", new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["service"] = _default.Service,
        });
        await Expect.OciErrorAsync(clientCredentials, HttpStatusCode.BadRequest, "UNSUPPORTED");
    }

    [Fact]
    public async Task Jwks_publishes_the_public_key_that_signs_the_tokens()
    {
        var token = await _default.AdminTokenAsync();
        using var response = await _default.SendAsync(HttpMethod.Get, "/oauth2/jwks");

        var keys = (await Expect.JsonAsync(response)).GetProperty("keys").EnumerateArray().ToList();
        var key = Assert.Single(keys, k => k.GetProperty("kid").GetString() == Jwt.Header(token).GetProperty("kid").GetString());
        Assert.Equal("EC", key.GetProperty("kty").GetString());
        Assert.Equal("P-256", key.GetProperty("crv").GetString());
        Assert.Equal("ES256", key.GetProperty("alg").GetString());
        Assert.False(key.TryGetProperty("d", out _), "the private part is never published");
        Assert.Equal(JsonValueKind.String, key.GetProperty("x").ValueKind);
    }

    internal static async Task<string> ExchangeAsync(RegistryClient registry, string password)
    {
        using var response = await registry.PostFormAsync("/oauth2/exchange", new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["service"] = registry.Service,
            ["username"] = registry.AdminUsername,
            ["password"] = password,
        });
        return (await Expect.JsonAsync(response)).GetProperty("refresh_token").GetString()!;
    }
}
