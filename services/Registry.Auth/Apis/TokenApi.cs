using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Primitives;
using Registry.Auth.Identity;
using Registry.Auth.Keys;
using Registry.Oci;
using Registry.Security;

namespace Registry.Auth.Apis;

/// <summary>
/// The Docker token server: <c>GET /oauth2/token</c> (Basic or anonymous, repeated <c>scope</c>, <c>offline_token</c>),
/// <c>POST /oauth2/token</c> (OAuth2 password and refresh_token grants), <c>POST /oauth2/exchange</c> (a credential for a
/// refresh token), <c>GET /oauth2/jwks</c>; and the registry lookup other services use.
/// </summary>
public static class TokenApi
{
    public static RouteGroupBuilder MapTokenApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/oauth2");
        group.MapGet("/token", GetToken).WithName("GetToken");
        group.MapPost("/token", PostToken).WithName("PostToken").DisableAntiforgery();
        group.MapPost("/exchange", Exchange).WithName("ExchangeToken").DisableAntiforgery();
        group.MapGet("/jwks", GetSigningKeys).WithName("Jwks");
        endpoints.MapGet($"{HttpRegistryDirectory.InternalPath}/{{name}}", GetRegistry).WithName("InternalGetRegistry");
        endpoints.MapPost($"{HttpRegistryDirectory.InternalPath}/{{name}}/{HttpManagementAuthorizer.PathSuffix}", AuthorizeManagement)
            .WithName("InternalAuthorizeManagement").DisableAntiforgery();
        return group;
    }

    /// <summary>docker, podman, skopeo, helm: Basic credentials (or none), <c>service</c>, repeated <c>scope</c>.</summary>
    internal static async Task<IResult> GetToken(HttpContext context, TokenEndpoint endpoint)
    {
        var query = context.Request.Query;
        var credentials = Credentials.FromBasicHeader(context.Request.Headers.Authorization);
        var offline = string.Equals(query["offline_token"], "true", StringComparison.OrdinalIgnoreCase);
        return await endpoint.IssueAsync(context, query["service"], Scopes(query["scope"]), credentials, refreshToken: null, offline, oauth: false);
    }

    /// <summary>OAuth2 form: <c>grant_type=password</c> (username, password) or <c>grant_type=refresh_token</c>.</summary>
    internal static async Task<IResult> PostToken(HttpContext context, TokenEndpoint endpoint)
    {
        if (!context.Request.HasFormContentType)
        {
            return TokenEndpoint.Error(OciErrorCode.Unsupported.WithStatus(400), "expected an application/x-www-form-urlencoded body");
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var offline = string.Equals(form["access_type"], "offline", StringComparison.Ordinal);
        return form["grant_type"].ToString() switch
        {
            "password" or "refresh_token" when Missing(form, form["grant_type"] == "password" ? ["username", "password"] : ["refresh_token"]) is { } missing =>
                TokenEndpoint.Error(OciErrorCode.Unauthorized, $"'{missing}' is required for grant_type={form["grant_type"]}"),
            "password" => await endpoint.IssueAsync(
                context, form["service"], Scopes(form["scope"]), new Credentials(form["username"].ToString(), form["password"].ToString()), null, offline, oauth: true),
            "refresh_token" => await endpoint.IssueAsync(context, form["service"], Scopes(form["scope"]), null, form["refresh_token"].ToString(), offline, oauth: true),
            var other => TokenEndpoint.Error(OciErrorCode.Unsupported.WithStatus(400), $"grant_type '{other}' is not supported; use password or refresh_token"),
        };
    }

    /// <summary>The first of <paramref name="fields"/> the form leaves empty: an OAuth2 grant without its credential is refused, not anonymous.</summary>
    private static string? Missing(IFormCollection form, string[] fields) => fields.FirstOrDefault(field => string.IsNullOrEmpty(form[field]));

    /// <summary>ACR's exchange: a credential (or a refresh token) for a registry refresh token.</summary>
    internal static async Task<IResult> Exchange(HttpContext context, TokenEndpoint endpoint)
    {
        if (!context.Request.HasFormContentType)
        {
            return TokenEndpoint.Error(OciErrorCode.Unsupported.WithStatus(400), "expected an application/x-www-form-urlencoded body");
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        return form["grant_type"].ToString() switch
        {
            "password" => await endpoint.ExchangeAsync(context, form["service"], new Credentials(form["username"].ToString(), form["password"].ToString()), null),
            "refresh_token" => await endpoint.ExchangeAsync(context, form["service"], null, form["refresh_token"].ToString()),
            var other => TokenEndpoint.Error(
                OciErrorCode.Unsupported.WithStatus(400), $"grant_type '{other}' is not supported; use password or refresh_token (there is no Entra ID here)"),
        };
    }

    /// <summary>The public keys as a JWKS with only the members an EC key has (the library's serializer adds empty arrays).</summary>
    internal static IResult GetSigningKeys(SigningKeyRing keys) => TypedResults.Json(new
    {
        keys = keys.Published().Keys.Select(key => new { kty = key.Kty, use = key.Use, alg = key.Alg, kid = key.Kid, crv = key.Crv, x = key.X, y = key.Y }),
    });

    internal static async Task<Results<Ok<RegistryInfo>, NotFound>> GetRegistry(string name, IRegistryDirectory registries, CancellationToken cancellationToken) =>
        await registries.FindAsync(name, cancellationToken) is { } info ? TypedResults.Ok(info) : TypedResults.NotFound();

    /// <summary>Scopes may be repeated and each may hold several space-separated entries (the OAuth2 form does).</summary>
    private static IEnumerable<string> Scopes(StringValues values) =>
        values.SelectMany(value => (value ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries));

    /// <summary>For other services' management endpoints: the caller's credentials and address come with the request.</summary>
    internal static async Task<IResult> AuthorizeManagement(HttpContext context, string name, bool? changes, IManagementAuthorizer authorizer) =>
        TypedResults.Ok(await authorizer.AuthorizeAsync(context, name, changes ?? true));
}

internal sealed record TokenResponse
{
    [JsonPropertyName("token")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Token { get; init; }

    [JsonPropertyName("access_token")]
    public required string AccessToken { get; init; }

    [JsonPropertyName("expires_in")]
    public required int ExpiresIn { get; init; }

    [JsonPropertyName("issued_at")]
    public required string IssuedAt { get; init; }

    [JsonPropertyName("scope")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Scope { get; init; }

    [JsonPropertyName("refresh_token")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RefreshToken { get; init; }
}

internal sealed record ExchangeResponse([property: JsonPropertyName("refresh_token")] string RefreshToken);
