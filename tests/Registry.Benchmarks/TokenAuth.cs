using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Registry.Benchmarks;

/// <summary>A <c>WWW-Authenticate: Bearer realm="…",service="…",scope="…"</c> challenge (Docker token authentication).</summary>
internal sealed record BearerChallenge(Uri Realm, string Service, string Scope)
{
    /// <summary>The Bearer challenge of a 401, or null when there is none (or its realm is not an absolute http(s) URL).</summary>
    public static BearerChallenge? From(HttpResponseMessage response)
    {
        foreach (var header in response.Headers.WwwAuthenticate)
        {
            if (!string.Equals(header.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
            {
                continue;
            }

            var parameters = Parameters(header.Parameter);
            if (parameters.TryGetValue("realm", out var realm) && Uri.TryCreate(realm, UriKind.Absolute, out var realmUri) &&
                realmUri.Scheme is "http" or "https")
            {
                return new BearerChallenge(realmUri, parameters.GetValueOrDefault("service", ""), parameters.GetValueOrDefault("scope", ""));
            }
        }

        return null;
    }

    /// <summary><c>key="value",key=value</c> pairs; quoted values may hold commas and spaces (<c>scope="repository:a:pull,push"</c>).</summary>
    internal static Dictionary<string, string> Parameters(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ',' || char.IsWhiteSpace(text[i])))
            {
                i++;
            }

            var equals = text.IndexOf('=', i);
            if (equals < 0)
            {
                break;
            }

            var key = text[i..equals].Trim();
            i = equals + 1;
            var value = new StringBuilder();
            if (i < text.Length && text[i] == '"')
            {
                for (i++; i < text.Length && text[i] != '"'; i++)
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        i++;
                    }

                    value.Append(text[i]);
                }

                i++; // closing quote
            }
            else
            {
                for (; i < text.Length && text[i] != ','; i++)
                {
                    value.Append(text[i]);
                }
            }

            result[key] = value.ToString().Trim();
        }

        return result;
    }
}

/// <summary>An access token from the token server and the local time after which it is not used any more.</summary>
internal sealed record BearerToken(string Value, string Scope, long RenewAfterTimestamp)
{
    public bool IsFresh => Stopwatch.GetTimestamp() < RenewAfterTimestamp;
}

/// <summary>
/// What docker does with a 401 Bearer challenge: ask the realm for a token (Basic credentials when given, else anonymous)
/// for the challenge's service and scope, keep it per scope until shortly before it expires, and send it with every
/// request to that repository. Credentials are only ever sent to a loopback realm.
/// </summary>
internal sealed class TokenAuthenticator(HttpClient http, string? username, string? password)
{
    /// <summary>A token is renewed this long before it expires (at most half its lifetime).</summary>
    private static readonly TimeSpan RenewMargin = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, BearerToken> _byScope = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _scopeOfRepository = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _fetch = new(1, 1);
    private long _fetched;

    public bool HasCredentials => username is not null;

    /// <summary>How many tokens were fetched from the token server so far.</summary>
    public long Fetched => Interlocked.Read(ref _fetched);

    public AuthenticationHeaderValue? Basic => username is null ? null : BasicHeader(username, password ?? "");

    public static AuthenticationHeaderValue BasicHeader(string user, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{secret}")));

    /// <summary>The cached token for the repository a request path addresses (<c>""</c> for <c>/v2/</c> itself), if still fresh.</summary>
    public string? TokenFor(string repository) =>
        _scopeOfRepository.TryGetValue(repository, out var scope) && _byScope.TryGetValue(scope, out var token) && token.IsFresh ? token.Value : null;

    /// <summary>Gets (or reuses, when another request just fetched it) a token for the challenge's scope and remembers it for the repository.</summary>
    public async Task<string> AuthorizeAsync(BearerChallenge challenge, string repository, CancellationToken cancellationToken)
    {
        if (!Target.IsLoopback(challenge.Realm))
        {
            throw new InvalidOperationException($"the registry names the token realm {challenge.Realm}, which is not a loopback address; no credentials are sent there");
        }

        await _fetch.WaitAsync(cancellationToken);
        try
        {
            if (!_byScope.TryGetValue(challenge.Scope, out var token) || !token.IsFresh)
            {
                token = await FetchAsync(challenge, cancellationToken);
                _byScope[challenge.Scope] = token;
            }

            _scopeOfRepository[repository] = challenge.Scope;
            return token.Value;
        }
        finally
        {
            _fetch.Release();
        }
    }

    /// <summary>The token request URL: <c>realm?service=…&amp;scope=…</c>, one <c>scope</c> parameter per space-separated scope.</summary>
    public static Uri TokenUrl(Uri realm, string service, string scope)
    {
        var query = new StringBuilder(realm.Query.Length > 1 ? realm.Query[1..] + "&" : "");
        query.Append("service=").Append(Uri.EscapeDataString(service));
        foreach (var entry in scope.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            query.Append("&scope=").Append(Uri.EscapeDataString(entry));
        }

        return new UriBuilder(realm) { Query = query.ToString() }.Uri;
    }

    /// <summary>Reads a token response: <c>token</c> (or <c>access_token</c>), <c>expires_in</c> (60 s when absent, as the spec says).</summary>
    public static (string Token, TimeSpan Lifetime, string? RefreshToken) ParseResponse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var token = root.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()
            : root.TryGetProperty("access_token", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null;
        if (string.IsNullOrEmpty(token))
        {
            throw new InvalidDataException("the token server's answer has neither token nor access_token");
        }

        var seconds = root.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var value) && value > 0 ? value : 60;
        var refresh = root.TryGetProperty("refresh_token", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
        return (token, TimeSpan.FromSeconds(seconds), refresh);
    }

    /// <summary>docker login's offline token: <c>POST realm</c> form <c>grant_type=password&amp;access_type=offline</c>; returns the refresh token.</summary>
    public async Task<string> RefreshTokenAsync(Uri realm, string service, string scope, CancellationToken cancellationToken)
    {
        if (username is null)
        {
            throw new InvalidOperationException("a refresh token needs --username and --password");
        }

        if (!Target.IsLoopback(realm))
        {
            throw new InvalidOperationException($"the token realm {realm} is not a loopback address");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, realm)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "password",
                ["username"] = username,
                ["password"] = password ?? "",
                ["service"] = service,
                ["scope"] = scope,
                ["access_type"] = "offline",
                ["client_id"] = "registry-benchmark",
            }),
        };
        using var response = await http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new HttpRequestException($"POST {realm} (grant_type=password, access_type=offline): HTTP {(int)response.StatusCode} {Truncate(body)}", null, response.StatusCode);
        }

        return ParseResponse(body).RefreshToken ?? throw new InvalidDataException("the token server gave no refresh_token for access_type=offline");
    }

    private async Task<BearerToken> FetchAsync(BearerChallenge challenge, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, TokenUrl(challenge.Realm, challenge.Service, challenge.Scope));
        request.Headers.Authorization = Basic;
        using var response = await http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var who = username is null ? "anonymously (give --username and --password)" : $"as {username}";
            throw new HttpRequestException(
                $"token for scope '{challenge.Scope}' {who}: {challenge.Realm} answered HTTP {(int)response.StatusCode} {Truncate(body)}", null, response.StatusCode);
        }

        var (token, lifetime, _) = ParseResponse(body);
        var margin = TimeSpan.FromTicks(Math.Min(RenewMargin.Ticks, lifetime.Ticks / 2));
        Interlocked.Increment(ref _fetched);
        return new BearerToken(token, challenge.Scope, Stopwatch.GetTimestamp() + (long)((lifetime - margin).TotalSeconds * Stopwatch.Frequency));
    }

    private static string Truncate(string body) => body.Length > 300 ? body[..300] : body;

    /// <summary>The repository a <c>/v2/&lt;name&gt;/(blobs|manifests|tags|referrers)/…</c> path addresses; <c>""</c> for anything else.</summary>
    public static string RepositoryOf(Uri uri)
    {
        var path = uri.IsAbsoluteUri ? uri.AbsolutePath : uri.OriginalString.Split('?', 2)[0];
        if (!path.StartsWith("/v2/", StringComparison.Ordinal))
        {
            return "";
        }

        // The endpoint marker is the last one in the path: a repository may itself be called ".../blobs".
        var end = -1;
        foreach (var marker in (ReadOnlySpan<string>)["/blobs/", "/manifests/", "/tags/", "/referrers/"])
        {
            end = Math.Max(end, path.LastIndexOf(marker, StringComparison.Ordinal));
        }

        return end > 4 ? path[4..end] : "";
    }
}
