using System.Globalization;
using Registry.Auth.Identity;
using Registry.Oci;
using Registry.Security;

namespace Registry.Auth.Apis;

/// <summary>The token endpoint's flow shared by its GET, POST and exchange forms.</summary>
internal sealed class TokenEndpoint(RegistryStore registries, RegistryHosts hosts, TokenService tokens, Authenticator authenticator, TimeProvider time)
{
    public async Task<IResult> IssueAsync(
        HttpContext context, string? service, IEnumerable<string> scopeValues, Credentials? credentials, string? refreshToken, bool offline, bool oauth)
    {
        var scopes = new List<AccessScope>();
        foreach (var value in scopeValues)
        {
            if (!AccessScope.TryParse(value, out var scope))
            {
                return Error(OciErrorCode.Unsupported.WithStatus(400), $"invalid scope '{value}'; expected type:name:actions", new { scope = value });
            }

            scopes.Add(scope);
        }

        var (record, failure) = await FindRegistryAsync(context, service);
        if (record is null)
        {
            return failure!;
        }

        var (caller, refused) = await IdentifyAsync(context, record, credentials, refreshToken);
        if (caller is null)
        {
            return refused!;
        }

        var granted = AccessPolicy.Grant(record, caller, scopes);
        var accessToken = tokens.IssueAccessToken(record, caller, granted);
        return TypedResults.Json(new TokenResponse
        {
            Token = oauth ? null : accessToken,
            AccessToken = accessToken,
            ExpiresIn = (int)tokens.AccessTokenLifetime.TotalSeconds,
            IssuedAt = time.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            Scope = oauth ? string.Join(' ', granted) : null,
            RefreshToken = offline && caller.Kind != IdentityKind.Anonymous ? tokens.IssueRefreshToken(record, caller) : null,
        });
    }

    public async Task<IResult> ExchangeAsync(HttpContext context, string? service, Credentials? credentials, string? refreshToken)
    {
        var (record, failure) = await FindRegistryAsync(context, service);
        if (record is null)
        {
            return failure!;
        }

        if (credentials is null && string.IsNullOrEmpty(refreshToken))
        {
            return Error(OciErrorCode.Unauthorized, "credentials or a refresh token are required");
        }

        var (caller, refused) = await IdentifyAsync(context, record, credentials, refreshToken);
        return caller is null ? refused! : TypedResults.Json(new ExchangeResponse(tokens.IssueRefreshToken(record, caller)));
    }

    public static IResult Error(OciErrorCode code, string message, object? detail = null, TimeSpan? retryAfter = null) =>
        new OciErrorResult(code, message, detail, retryAfter is { } wait ? new Dictionary<string, string> { ["Retry-After"] = Authentication.RetryAfterSeconds(wait) } : null);

    private async Task<(Caller? Caller, IResult? Refused)> IdentifyAsync(HttpContext context, RegistryRecord record, Credentials? credentials, string? refreshToken)
    {
        if (!string.IsNullOrEmpty(refreshToken))
        {
            credentials = new Credentials(TokenService.RefreshTokenUser, refreshToken);
        }

        if (credentials is null)
        {
            return (Caller.Anonymous, null);
        }

        var authentication = await authenticator.AuthenticateAsync(context, record, credentials);
        return authentication.Succeeded
            ? (authentication.Caller, null)
            : authentication.RetryAfter is { } wait
                ? (null, Error(OciErrorCode.TooManyRequests, "too many failed logins; try again later", null, wait))
                : (null, Error(OciErrorCode.Unauthorized, "authentication required: the user name or password is not valid for this registry"));
    }

    /// <summary>The registry named by <c>service</c> (a login server), else by the host the client used.</summary>
    private async Task<(RegistryRecord? Record, IResult? Failure)> FindRegistryAsync(HttpContext context, string? service)
    {
        var name = string.IsNullOrEmpty(service) ? hosts.Resolve(context.Request.Host).Registry : hosts.RegistryOfLoginServer(service);
        var record = name is null ? null : await registries.GetAsync(name, context.RequestAborted);
        return record is null
            ? (null, Error(OciErrorCode.NameUnknown, $"no registry has the login server '{service ?? context.Request.Host.Value}'", new { service }))
            : (record, null);
    }
}
