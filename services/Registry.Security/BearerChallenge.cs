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

    /// <summary><c>realm="…",service="…",scope="…"</c> → its parameters.</summary>
    public static Dictionary<string, string> Parse(string parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var position = 0;
        while (position < parameter.Length)
        {
            var equals = parameter.IndexOf('=', position);
            if (equals < 0)
            {
                break;
            }

            var name = parameter[position..equals].Trim(' ', ',');
            position = equals + 1;
            string value;
            if (position < parameter.Length && parameter[position] == '"')
            {
                var close = parameter.IndexOf('"', position + 1);
                close = close < 0 ? parameter.Length : close;
                value = parameter[(position + 1)..close];
                position = close + 1;
            }
            else
            {
                var comma = parameter.IndexOf(',', position);
                comma = comma < 0 ? parameter.Length : comma;
                value = parameter[position..comma].Trim();
                position = comma;
            }

            values[name] = value;
            position++;
        }

        return values;
    }
}
