using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Registry.Oci;

namespace Registry.Distribution.Apis;

/// <summary>
/// Which registry a <c>/v2</c> request addresses (its host, DESIGN.md principle 6) and whether its bearer token allows
/// what the request does. Tokens are checked locally against the published signing keys; nothing is asked per request.
/// </summary>
public sealed class V2Access(RegistryHosts hosts, AccessTokenValidator validator, IOptions<AccessTokenOptions> options)
{
    private const string GrantItem = "registry.grant";

    public bool Enabled => options.Value.Enabled;

    public string RegistryOf(HttpContext context) =>
        hosts.Resolve(context.Request.Host).Registry
        ?? throw new OciException(OciErrorCode.NameUnknown, $"no registry is served at '{context.Request.Host.Host}'", new { host = context.Request.Host.Value });

    /// <summary>What a request needs: pull to read, pull and push to write, delete to delete, the catalog scope to list it.</summary>
    internal static IReadOnlyList<AccessScope> Required(V2Route route, string method)
    {
        if (route.Endpoint == V2Endpoint.Catalog)
        {
            return [AccessScope.Catalog];
        }

        var read = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
        return (route.Endpoint, read) switch
        {
            (V2Endpoint.Upload or V2Endpoint.UploadStart, _) => [AccessScope.Repository(route.Name, RegistryActions.Pull, RegistryActions.Push)],
            (_, true) => [AccessScope.Repository(route.Name, RegistryActions.Pull)],
            (_, false) when HttpMethods.IsDelete(method) => [AccessScope.Repository(route.Name, RegistryActions.Delete)],
            _ => [AccessScope.Repository(route.Name, RegistryActions.Pull, RegistryActions.Push)],
        };
    }

    /// <summary>Null when the request may go on; else the 401 that tells the client where to get a token and for what.</summary>
    public async Task<IResult?> AuthorizeAsync(HttpContext context, string registry, IReadOnlyList<AccessScope> required)
    {
        if (!Enabled)
        {
            return null;
        }

        var service = hosts.LoginServer(registry);
        if (await validator.ValidateBearerAsync(context.Request.Headers.Authorization.ToString(), service, context.RequestAborted) is not { } check)
        {
            return Challenge(context, service, required, OciErrorCode.Unauthorized, "authentication required", insufficientScope: false);
        }

        if (check.Grant is not { } grant)
        {
            return Challenge(context, service, required, OciErrorCode.Unauthorized, $"authentication required: {check.Failure}", insufficientScope: false);
        }

        context.Items[GrantItem] = grant;
        var missing = required.Where(scope => scope.Actions.Any(action => !grant.Allows(scope.Type, scope.Name, action))).ToList();
        return missing.Count == 0
            ? null
            : Challenge(context, service, required, OciErrorCode.Denied, $"requested access to the resource is denied: needs {string.Join(' ', missing)}", insufficientScope: true);
    }

    /// <summary>Whether this request's token (if tokens are checked at all) may pull from <paramref name="repository"/>.</summary>
    public bool MayPull(HttpContext context, string repository) => Allows(context, repository, RegistryActions.Pull);

    /// <summary>Whether this request's token (if tokens are checked at all) grants <paramref name="action"/> on <paramref name="repository"/>.</summary>
    public bool Allows(HttpContext context, string repository, string action) =>
        !Enabled || (context.Items[GrantItem] is AccessGrant grant && grant.Allows(RegistryActions.RepositoryType, repository, action));

    /// <summary>The identity whose token this request carried (the token's subject); null when tokens are not checked.</summary>
    public static string? ActorOf(HttpContext context) => (context.Items[GrantItem] as AccessGrant)?.Subject;

    private static OciErrorResult Challenge(
        HttpContext context, string service, IReadOnlyList<AccessScope> required, OciErrorCode code, string message, bool insufficientScope)
    {
        context.Response.Headers[HeaderNames.WWWAuthenticate] = BearerChallenge.Header(context.Request, service, required, insufficientScope);
        return OciErrorResult.Of(code.WithStatus(StatusCodes.Status401Unauthorized), message, required.Count == 0 ? null : new { scope = string.Join(' ', required) });
    }
}
