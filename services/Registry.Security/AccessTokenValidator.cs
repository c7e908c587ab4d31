using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Registry.Security;

/// <summary>What a valid access token grants: who it was issued to and its <c>access</c> entries.</summary>
public sealed record AccessGrant(string Subject, IReadOnlyList<AccessScope> Access)
{
    /// <summary>Beyond ACR: the most requests per minute the identity may make (a token's own rate limit), if it has one.</summary>
    public int? RateLimitPerMinute { get; init; }

    public bool Allows(string type, string name, string action) => Access.Any(entry => entry.Allows(type, name, action));
}

/// <summary>The result of checking a bearer token: a grant, or why it was refused (never shown with the token itself).</summary>
public readonly record struct TokenCheck(AccessGrant? Grant, string? Failure)
{
    public static TokenCheck Refused(string reason) => new(null, reason);

    /// <summary>When the granting token expires.</summary>
    public DateTimeOffset Expires { get; init; }
}

/// <summary>
/// Checks access tokens locally: ES256 signature by a published key, issuer, audience (the registry's login server),
/// lifetime. Refresh tokens are refused here: they only buy access tokens at the token endpoint.
/// </summary>
public sealed class AccessTokenValidator(ISigningKeySource keys, IOptions<AccessTokenOptions> options, TimeProvider time)
{
    public const string AccessClaim = "access";
    public const string GrantTypeClaim = "grant_type";
    public const string RateLimitClaim = "rate_limit";
    public const string RefreshGrant = "refresh_token";
    public const string Algorithm = SecurityAlgorithms.EcdsaSha256;

    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };

    private const string BearerPrefix = "Bearer ";

    // A client sends the same token with every request of a push or pull: its checked grant is remembered until it expires,
    // so the signature is verified once per token, not once per request.
    private readonly TokenMemo<AccessGrant> _valid = new();

    /// <summary>Checks the token of an <c>Authorization: Bearer …</c> header; null when the header carries no bearer token.</summary>
    public async Task<TokenCheck?> ValidateBearerAsync(string authorization, string audience, CancellationToken cancellationToken) =>
        authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)
            ? await ValidateAsync(authorization[BearerPrefix.Length..].Trim(), audience, cancellationToken)
            : null;

    public async Task<TokenCheck> ValidateAsync(string token, string audience, CancellationToken cancellationToken)
    {
        if (_valid.Find(token, audience, time.GetUtcNow()) is { } remembered)
        {
            return new TokenCheck(remembered, null);
        }

        var check = await CheckAsync(token, audience, cancellationToken);
        if (check.Grant is { } grant)
        {
            _valid.Remember(token, audience, grant, check.Expires);
        }

        return check;
    }

    /// <summary>
    /// The checks every token of ours passes, access or refresh: ES256 by a published key, issuer, audience, lifetime on the
    /// service's clock. The token, or why it was refused.
    /// </summary>
    public async Task<(JsonWebToken? Token, string? Failure)> VerifyAsync(string token, string audience, CancellationToken cancellationToken)
    {
        if (!Handler.CanReadToken(token))
        {
            return (null, "malformed token");
        }

        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return (null, "malformed token");
        }

        if (!string.Equals(jwt.Alg, Algorithm, StringComparison.Ordinal))
        {
            return (null, $"algorithm '{jwt.Alg}' is not accepted");
        }

        var key = string.IsNullOrEmpty(jwt.Kid) ? null : await keys.FindAsync(jwt.Kid, cancellationToken);
        if (key is null)
        {
            return (null, "token signed with an unknown key");
        }

        var result = await Handler.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            ValidIssuer = options.Value.Issuer,
            ValidAudience = audience,
            LifetimeValidator = LifetimeOn(time),
            IssuerSigningKey = key,
            ValidAlgorithms = [Algorithm],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = options.Value.ClockSkew,
        });
        return result.IsValid
            ? (jwt, null)
            : (null, result.Exception switch
            {
                SecurityTokenExpiredException or SecurityTokenInvalidLifetimeException => "token expired or not yet valid",
                SecurityTokenInvalidAudienceException => "token was issued for another registry",
                SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "token signature is invalid",
                SecurityTokenInvalidIssuerException => "token issuer is not trusted",
                _ => "token is invalid",
            });
    }

    private async Task<TokenCheck> CheckAsync(string token, string audience, CancellationToken cancellationToken)
    {
        var (jwt, failure) = await VerifyAsync(token, audience, cancellationToken);
        if (jwt is null)
        {
            return TokenCheck.Refused(failure!);
        }

        if (jwt.TryGetPayloadValue<string>(GrantTypeClaim, out var grantType) && grantType == RefreshGrant)
        {
            return TokenCheck.Refused("a refresh token is not an access token");
        }

        var grant = new AccessGrant(jwt.Subject ?? "", ReadAccess(jwt))
        {
            RateLimitPerMinute = jwt.TryGetPayloadValue<int>(RateLimitClaim, out var rate) && rate > 0 ? rate : null,
        };
        return new TokenCheck(grant, null) { Expires = new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero) };
    }

    /// <summary>Lifetime checked against the service's clock (the library's own check reads the system clock); skew included.</summary>
    private static LifetimeValidator LifetimeOn(TimeProvider time) => (notBefore, expires, _, parameters) =>
    {
        var now = time.GetUtcNow().UtcDateTime;
        return expires is { } end && end > now - parameters.ClockSkew && (notBefore is not { } start || start <= now + parameters.ClockSkew);
    };

    private static List<AccessScope> ReadAccess(JsonWebToken jwt)
    {
        var payload = Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload);
        using var document = JsonDocument.Parse(payload);
        var access = new List<AccessScope>();
        if (!document.RootElement.TryGetProperty(AccessClaim, out var entries) || entries.ValueKind != JsonValueKind.Array)
        {
            return access;
        }

        foreach (var entry in entries.EnumerateArray())
        {
            if (entry.ValueKind == JsonValueKind.Object &&
                entry.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String &&
                entry.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String &&
                entry.TryGetProperty("actions", out var actions) && actions.ValueKind == JsonValueKind.Array)
            {
                access.Add(new AccessScope(
                    type.GetString()!,
                    name.GetString()!,
                    actions.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!).ToArray()));
            }
        }

        return access;
    }
}
