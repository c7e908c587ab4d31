using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Registry.Auth.Keys;

namespace Registry.Auth.Tests;

/// <summary>Signing key rotation without downtime: the new key signs, the old one stays published and honoured.</summary>
public sealed class KeyRotationTests(KeyRotationFixture fixture) : IClassFixture<KeyRotationFixture>
{
    private const string NullUser = "00000000-0000-0000-0000-000000000000";

    private readonly RegistryClient _default = fixture.Default;

    [Fact]
    public async Task Tokens_signed_before_a_rotation_still_open_v2_and_new_ones_carry_the_new_key()
    {
        var seeded = await Probe.SeedAsync(_default, RegistryClient.NewRepository());
        var before = await KeyIdsAsync();
        var oldToken = await _default.AdminTokenAsync($"repository:{seeded.Name}:pull"); // not used before the rotation
        using var login = await _default.RequestTokenAsync(AuthHost.AdminUsername, AuthHost.AdminPassword, [], offline: true);
        var oldRefreshToken = (await Expect.JsonAsync(login)).GetProperty("refresh_token").GetString()!;
        var oldKid = Jwt.Header(oldToken).GetProperty("kid").GetString()!;
        Assert.Contains(oldKid, before);

        await fixture.Host.Services.GetRequiredService<SigningKeyRing>().RotateAsync(CancellationToken.None);

        var after = await KeyIdsAsync();
        Assert.Equal(before.Count + 1, after.Count);
        Assert.Superset(before.ToHashSet(), after.ToHashSet());
        var newKid = Assert.Single(after.Except(before));

        Assert.True(await Probe.PullAsync(_default, seeded, oldToken));

        var newToken = await _default.AdminTokenAsync($"repository:{seeded.Name}:pull");
        Assert.Equal(newKid, Jwt.Header(newToken).GetProperty("kid").GetString());
        Assert.True(await Probe.PullAsync(_default, seeded, newToken));

        var refreshed = await _default.TokenAsync(NullUser, oldRefreshToken, $"repository:{seeded.Name}:pull");
        Assert.Equal(newKid, Jwt.Header(refreshed).GetProperty("kid").GetString());
        Assert.True(await Probe.PullAsync(_default, seeded, refreshed));
    }

    [Fact]
    public async Task Another_service_can_check_a_token_with_nothing_but_the_published_keys()
    {
        var token = await _default.AdminTokenAsync("repository:any/thing:pull");
        using var response = await _default.SendAsync(HttpMethod.Get, "/oauth2/jwks");
        var keys = new JsonWebKeySet(await response.Content.ReadAsStringAsync());

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = "registry-auth",
            ValidAudience = "default.localhost",
            IssuerSigningKeys = keys.Keys,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
        });

        Assert.True(result.IsValid, result.Exception?.Message);
    }

    private async Task<List<string>> KeyIdsAsync()
    {
        using var response = await _default.SendAsync(HttpMethod.Get, "/oauth2/jwks");
        var keys = (await Expect.JsonAsync(response, HttpStatusCode.OK)).GetProperty("keys").EnumerateArray().ToList();
        Assert.All(keys, key =>
        {
            Assert.Equal("EC", key.GetProperty("kty").GetString());
            Assert.Equal("ES256", key.GetProperty("alg").GetString());
            Assert.Equal("sig", key.GetProperty("use").GetString());
            Assert.False(key.TryGetProperty("d", out _));
            Assert.Equal(JsonValueKind.String, key.GetProperty("y").ValueKind);
        });
        return keys.Select(key => key.GetProperty("kid").GetString()!).ToList();
    }
}
