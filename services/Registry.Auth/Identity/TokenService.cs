using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Registry.Auth.Keys;
using Registry.Security;

namespace Registry.Auth.Identity;

/// <summary>Checks credentials against a registry's identities and signs access and refresh tokens for it.</summary>
internal sealed class TokenService(
    SigningKeyRing keys,
    AccessTokenValidator validator,
    RegistryHosts hosts,
    IOptions<AuthOptions> options,
    IOptions<AccessTokenOptions> tokenOptions,
    TimeProvider time)
{
    /// <summary>docker's user name when the password is a refresh token (its identity token).</summary>
    public const string RefreshTokenUser = "00000000-0000-0000-0000-000000000000";
    private const string CredentialClaim = "cred";

    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false, SetDefaultTimesOnTokenCreation = false };

    private readonly TokenMemo<VerifiedRefreshToken> _verifiedRefreshTokens = new();

    public TimeSpan AccessTokenLifetime => options.Value.AccessTokenLifetime;

    /// <summary>The identity these credentials prove in this registry, or null (wrong secret, disabled, expired, unknown).</summary>
    public async Task<Caller?> AuthenticateAsync(RegistryRecord record, string username, string password, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (username == RefreshTokenUser)
        {
            return await ValidateRefreshTokenAsync(record, password, cancellationToken);
        }

        if (record.Settings.AdminUserEnabled && string.Equals(username, AdminUsername(record), StringComparison.OrdinalIgnoreCase))
        {
            return Match(record.Admin.Passwords, password, now) is { } secret ? new Caller(IdentityKind.Admin, AdminUsername(record), secret.Name, secret.Stamp) : null;
        }

        if (Guid.TryParse(username, out _) && record.ServicePrincipals.TryGetValue(username.ToLowerInvariant(), out var principal))
        {
            return Match(principal.Secrets, password, now) is { } secret ? new Caller(IdentityKind.ServicePrincipal, username.ToLowerInvariant(), secret.Name, secret.Stamp) : null;
        }

        if (record.Tokens.TryGetValue(username, out var token) && token.Enabled)
        {
            return Match(token.Passwords, password, now) is { } secret ? new Caller(IdentityKind.Token, username, secret.Name, secret.Stamp) : null;
        }

        return null;
    }

    public static string AdminUsername(RegistryRecord record) => record.Admin.Username ?? record.Name;

    public string IssueAccessToken(RegistryRecord record, Caller caller, IReadOnlyList<AccessScope> access)
    {
        var payload = Payload(record, caller, options.Value.AccessTokenLifetime, writer =>
        {
            writer.WriteStartArray(AccessTokenValidator.AccessClaim);
            foreach (var entry in access)
            {
                writer.WriteStartObject();
                writer.WriteString("type", entry.Type);
                writer.WriteString("name", entry.Name);
                writer.WriteStartArray("actions");
                foreach (var action in entry.Actions)
                {
                    writer.WriteStringValue(action);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            if (caller.Kind == IdentityKind.Token && record.Tokens.GetValueOrDefault(caller.Id)?.RateLimitPerMinute is { } rate)
            {
                writer.WriteNumber(AccessTokenValidator.RateLimitClaim, rate);
            }
        });
        return Handler.CreateToken(payload, keys.Current);
    }

    /// <summary>A refresh token bound to the secret that was used: regenerating that secret ends it.</summary>
    public string IssueRefreshToken(RegistryRecord record, Caller caller) =>
        Handler.CreateToken(
            Payload(record, caller, options.Value.RefreshTokenLifetime, writer =>
            {
                writer.WriteString(AccessTokenValidator.GrantTypeClaim, AccessTokenValidator.RefreshGrant);
                writer.WriteString(CredentialClaim, $"{caller.SecretName}:{caller.Stamp}");
            }),
            keys.Current);

    public async Task<Caller?> ValidateRefreshTokenAsync(RegistryRecord record, string token, CancellationToken cancellationToken)
    {
        var audience = hosts.LoginServer(record.Name);
        var verified = _verifiedRefreshTokens.Find(token, audience, time.GetUtcNow());
        if (verified is null)
        {
            verified = await VerifyRefreshTokenAsync(token, audience, cancellationToken);
            if (verified is null)
            {
                return null;
            }

            _verifiedRefreshTokens.Remember(token, audience, verified, verified.Expires);
        }

        // The signature is checked once per token; the identity and the secret it was issued with are checked every time.
        var (subject, credential) = (verified.Subject, verified.Credential);
        var separator = subject.IndexOf(':', StringComparison.Ordinal);
        var (kind, id) = separator < 0 ? ("", "") : (subject[..separator], subject[(separator + 1)..]);
        var now = time.GetUtcNow();
        var (secrets, caller) = kind switch
        {
            "admin" when record.Settings.AdminUserEnabled && string.Equals(id, AdminUsername(record), StringComparison.OrdinalIgnoreCase) =>
                (record.Admin.Passwords, new Caller(IdentityKind.Admin, AdminUsername(record))),
            "token" when record.Tokens.TryGetValue(id, out var t) && t.Enabled => (t.Passwords, new Caller(IdentityKind.Token, id)),
            "sp" when record.ServicePrincipals.TryGetValue(id, out var sp) => (sp.Secrets, new Caller(IdentityKind.ServicePrincipal, id)),
            _ => (null, null),
        };
        var secret = secrets?.FirstOrDefault(s => $"{s.Name}:{s.Stamp}" == credential && (s.Expiry is null || s.Expiry > now));
        return secret is null ? null : caller! with { SecretName = secret.Name, Stamp = secret.Stamp };
    }

    private async Task<VerifiedRefreshToken?> VerifyRefreshTokenAsync(string token, string audience, CancellationToken cancellationToken)
    {
        var (jwt, _) = await validator.VerifyAsync(token, audience, cancellationToken);
        return jwt is not null &&
               jwt.TryGetPayloadValue<string>(AccessTokenValidator.GrantTypeClaim, out var grant) && grant == AccessTokenValidator.RefreshGrant &&
               jwt.TryGetPayloadValue<string>(CredentialClaim, out var credential) && jwt.Subject is { } subject
            ? new VerifiedRefreshToken(subject, credential, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero))
            : null;
    }

    private sealed record VerifiedRefreshToken(string Subject, string Credential, DateTimeOffset Expires);

    private string Payload(RegistryRecord record, Caller caller, TimeSpan lifetime, Action<Utf8JsonWriter> claims)
    {
        var now = time.GetUtcNow();
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("iss", tokenOptions.Value.Issuer);
            writer.WriteString("sub", caller.Subject);
            writer.WriteString("aud", hosts.LoginServer(record.Name));
            writer.WriteNumber("iat", now.ToUnixTimeSeconds());
            writer.WriteNumber("nbf", now.ToUnixTimeSeconds());
            writer.WriteNumber("exp", (now + lifetime).ToUnixTimeSeconds());
            writer.WriteString("jti", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
            claims(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static SecretRecord? Match(IEnumerable<SecretRecord> secrets, string presented, DateTimeOffset now)
    {
        SecretRecord? match = null;
        foreach (var secret in secrets)
        {
            // Every secret is checked, so the time taken does not tell which one (if any) matched.
            if (Secrets.Verify(presented, secret.Hash) && (secret.Expiry is null || secret.Expiry > now))
            {
                match ??= secret;
            }
        }

        return match;
    }
}
