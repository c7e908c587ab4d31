using Microsoft.AspNetCore.Http;

namespace Registry.Security;

/// <summary>The Docker token auth challenge: <c>Bearer realm="…/oauth2/token",service="…",scope="…"[,error="insufficient_scope"]</c>.</summary>
public static class BearerChallenge
{
    public const string TokenPath = "/oauth2/token";

    /// <summary>The token endpoint as the client reached us (behind the gateway, its forwarded scheme and host).</summary>
    public static string Realm(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}{TokenPath}";

    public static string Header(HttpRequest request, string service, IEnumerable<AccessScope> scopes, bool insufficientScope = false)
    {
        var header = $"Bearer realm=\"{Realm(request)}\",service=\"{service}\"";
        var scope = string.Join(' ', scopes.Select(s => s.ToString()));
        if (scope.Length > 0)
        {
            header += $",scope=\"{scope}\"";
        }

        return insufficientScope ? header + ",error=\"insufficient_scope\"" : header;
    }
}
