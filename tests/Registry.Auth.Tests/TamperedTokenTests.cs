using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Registry.Auth.Keys;

namespace Registry.Auth.Tests;

/// <summary>
/// Tokens that must not open /v2: altered, unsigned, HMAC-signed with the public key, for another registry, expired,
/// signed by an unknown key, refresh tokens. Each forged token has a control: the same token made properly is accepted,
/// so a refusal is down to the one thing that was changed.
/// </summary>
public sealed class TamperedTokenTests(AuthFixture fixture) : IClassFixture<AuthFixture>
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    private readonly RegistryClient _default = fixture.Default;

    [Fact]
    public async Task A_token_signed_here_with_the_right_claims_is_accepted()
    {
        var seeded = await Probe.SeedAsync(_default, RegistryClient.NewRepository());

        var token = Handler.CreateToken(Claims(seeded.Name), CurrentKey());

        Assert.True(await Probe.PullAsync(_default, seeded, token));
    }

    [Fact]
    public async Task A_token_whose_payload_was_changed_is_refused()
    {
        var seeded = await Probe.SeedAsync(_default, RegistryClient.NewRepository());
        var token = await _default.AdminTokenAsync($"repository:{seeded.Name}:pull");
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1]));
        Assert.Contains("\"pull\"", payload, StringComparison.Ordinal);

        var widened = $"{parts[0]}.{Jwt.EncodeJson(payload.Replace("\"pull\"", "\"pull\",\"push\",\"delete\"", StringComparison.Ordinal))}.{parts[2]}";
        var flippedByte = $"{parts[0]}.{FlipOneCharacter(parts[1])}.{parts[2]}";
        var flippedSignature = $"{parts[0]}.{parts[1]}.{FlipOneCharacter(parts[2])}";

        foreach (var forged in new[] { widened, flippedByte, flippedSignature })
        {
            await AssertRefusedAsync(seeded, forged);
        }

        Assert.True(await Probe.PullAsync(_default, seeded, token));
    }

    [Fact]
    public async Task An_unsigned_token_alg_none_is_refused()
    {
        var seeded = await Probe.SeedAsync(_default, RegistryClient.NewRepository());
        var kid = CurrentKey().Key.KeyId;

        foreach (var alg in new[] { "none", "None", "NONE" })
        {
            var header = Jwt.Encode(new { alg, typ = "JWT", kid });
            await AssertRefusedAsync(seeded, $"{header}.{Jwt.EncodeJson(Claims(seeded.Name, allActions: true))}.", "algorithm");
        }
    }

    [Fact]
    public async Task A_token_HMAC_signed_with_the_public_key_is_refused()
    {
        var seeded = await Probe.SeedAsync(_default, RegistryClient.NewRepository());
        var kid = CurrentKey().Key.KeyId;
        using var jwks = await _default.SendAsync(HttpMethod.Get, "/oauth2/jwks");
        var jwksText = await jwks.Content.ReadAsStringAsync();
        var published = JsonDocument.Parse(jwksText).RootElement.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("kid").GetString() == kid);
        using var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint
            {
                X = Base64UrlEncoder.DecodeBytes(published.GetProperty("x").GetString()),
                Y = Base64UrlEncoder.DecodeBytes(published.GetProperty("y").GetString()),
            },
        });

        // The classic key-confusion secrets: the key as PEM, as DER, and as the JWK text.
        var secrets = new[] { Encoding.UTF8.GetBytes(ecdsa.ExportSubjectPublicKeyInfoPem()), ecdsa.ExportSubjectPublicKeyInfo(), Encoding.UTF8.GetBytes(published.GetRawText()) };
        foreach (var secret in secrets)
        {
            var header = Jwt.Encode(new { alg = "HS256", typ = "JWT", kid });
            var signingInput = $"{header}.{Jwt.EncodeJson(Claims(seeded.Name, allActions: true))}";
            var signature = Base64UrlEncoder.Encode(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signingInput)));
            await AssertRefusedAsync(seeded, $"{signingInput}.{signature}", "algorithm");
        }
    }

    [Fact]
    public async Task A_token_for_another_registry_is_refused_in_both_directions()
    {
        var other = await fixture.CreateRegistryAsync();
        var repository = RegistryClient.NewRepository();
        var seededHere = await Probe.SeedAsync(_default, repository);
        var seededThere = await Probe.SeedAsync(other, repository);
        var tokenThere = await other.AdminTokenAsync($"repository:{repository}:pull,push,delete");
        var tokenHere = await _default.AdminTokenAsync($"repository:{repository}:pull,push,delete");

        await AssertRefusedAsync(seededHere, tokenThere, "another registry");
        using var crossed = await other.GetManifestAsync(repository, "v1", tokenHere);
        await Expect.UnauthorizedAsync(crossed);
        Assert.Equal($"{other.Registry}.localhost", Expect.Challenge(crossed)["service"]);

        // Signed here, with every claim right but the audience.
        await AssertRefusedAsync(seededHere, Handler.CreateToken(Claims(repository, audience: "elsewhere.localhost"), CurrentKey()), "another registry");

        Assert.True(await Probe.PullAsync(other, seededThere, tokenThere));
        Assert.True(await Probe.PullAsync(_default, seededHere, tokenHere));
    }

    [Fact]
    public async Task An_expired_token_is_refused()
    {
        var seeded = await Probe.SeedAsync(_default, RegistryClient.NewRepository());
        var now = DateTimeOffset.UtcNow;

        var expired = Handler.CreateToken(Claims(seeded.Name, issuedAt: now.AddMinutes(-20), expires: now.AddMinutes(-10)), CurrentKey());
        var withoutExpiry = Handler.CreateToken(Claims(seeded.Name, withoutExpiry: true), CurrentKey());
        var notYetValid = Handler.CreateToken(Claims(seeded.Name, issuedAt: now.AddMinutes(10), expires: now.AddMinutes(15)), CurrentKey());

        await AssertRefusedAsync(seeded, expired, "expired");
        await AssertRefusedAsync(seeded, withoutExpiry);
        await AssertRefusedAsync(seeded, notYetValid);
    }

    [Fact]
    public async Task A_token_from_an_untrusted_issuer_is_refused()
    {
        var seeded = await Probe.SeedAsync(_default, RegistryClient.NewRepository());

        await AssertRefusedAsync(seeded, Handler.CreateToken(Claims(seeded.Name, issuer: "someone-else"), CurrentKey()), "issuer");
    }

    [Fact]
    public async Task A_token_signed_with_a_key_not_in_the_ring_is_refused()
    {
        var seeded = await Probe.SeedAsync(_default, RegistryClient.NewRepository());
        using var rogue = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var unknownKid = new SigningCredentials(new ECDsaSecurityKey(rogue) { KeyId = "rogue-" + Guid.NewGuid().ToString("N") }, SecurityAlgorithms.EcdsaSha256);
        var stolenKid = new SigningCredentials(new ECDsaSecurityKey(rogue) { KeyId = CurrentKey().Key.KeyId }, SecurityAlgorithms.EcdsaSha256);
        var noKid = new SigningCredentials(new ECDsaSecurityKey(rogue), SecurityAlgorithms.EcdsaSha256);

        await AssertRefusedAsync(seeded, Handler.CreateToken(Claims(seeded.Name), unknownKid), "unknown key");
        await AssertRefusedAsync(seeded, Handler.CreateToken(Claims(seeded.Name), stolenKid), "signature");
        await AssertRefusedAsync(seeded, Handler.CreateToken(Claims(seeded.Name), noKid), "unknown key");
    }

    [Fact]
    public async Task A_refresh_token_is_not_an_access_token()
    {
        var seeded = await Probe.SeedAsync(_default, RegistryClient.NewRepository());
        using var login = await _default.RequestTokenAsync(AuthHost.AdminUsername, AuthHost.AdminPassword, [$"repository:{seeded.Name}:pull"], offline: true);
        var refreshToken = (await Expect.JsonAsync(login)).GetProperty("refresh_token").GetString()!;

        await AssertRefusedAsync(seeded, refreshToken, "refresh token");

        // Even one carrying an access claim.
        var forged = Handler.CreateToken(Claims(seeded.Name, extra: writer => writer["grant_type"] = "refresh_token"), CurrentKey());
        await AssertRefusedAsync(seeded, forged, "refresh token");
    }

    private SigningCredentials CurrentKey() => fixture.Host.Services.GetRequiredService<SigningKeyRing>().Current;

    /// <summary>The claims the token service would put in an access token for the default registry (pull on the repository).</summary>
    private static string Claims(
        string repository,
        string audience = "default.localhost",
        string issuer = "registry-auth",
        DateTimeOffset? issuedAt = null,
        DateTimeOffset? expires = null,
        bool withoutExpiry = false,
        bool allActions = false,
        Action<Dictionary<string, object>>? extra = null)
    {
        var iat = issuedAt ?? DateTimeOffset.UtcNow;
        var claims = new Dictionary<string, object>
        {
            ["iss"] = issuer,
            ["sub"] = "admin:admin",
            ["aud"] = audience,
            ["iat"] = iat.ToUnixTimeSeconds(),
            ["nbf"] = iat.ToUnixTimeSeconds(),
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["access"] = new[] { new { type = "repository", name = repository, actions = allActions ? new[] { "pull", "push", "delete" } : new[] { "pull" } } },
        };
        if (!withoutExpiry)
        {
            claims["exp"] = (expires ?? iat.AddMinutes(5)).ToUnixTimeSeconds();
        }

        extra?.Invoke(claims);
        return JsonSerializer.Serialize(claims);
    }

    private static string FlipOneCharacter(string segment)
    {
        var middle = segment.Length / 2;
        var replacement = segment[middle] == 'A' ? 'B' : 'A';
        return string.Concat(segment.AsSpan(0, middle), replacement.ToString(), segment.AsSpan(middle + 1));
    }

    /// <summary>The token opens nothing: pull, push and delete are 401 UNAUTHORIZED (not DENIED), naming the reason when given.</summary>
    private async Task AssertRefusedAsync(SeededRepository seeded, string token, string? reason = null)
    {
        using var pull = await _default.GetManifestAsync(seeded.Name, "v1", token);
        var error = await Expect.UnauthorizedAsync(pull);
        if (reason is not null)
        {
            Assert.Contains(reason, error.GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        }

        using var push = await _default.PushBlobAsync(seeded.Name, RandomNumberGenerator.GetBytes(32), token);
        await Expect.UnauthorizedAsync(push);
        using var delete = await _default.SendAsync(HttpMethod.Delete, $"/v2/{seeded.Name}/manifests/{seeded.DoomedDigest}", token);
        await Expect.UnauthorizedAsync(delete);
        using var v2 = await _default.SendAsync(HttpMethod.Get, "/v2/", token);
        await Expect.UnauthorizedAsync(v2);
    }
}
