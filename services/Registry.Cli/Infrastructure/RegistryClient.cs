using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Registry.Cli.Infrastructure;

/// <summary>
/// The one way the CLI talks to a server: Basic credentials on <c>/api</c>; on <c>/v2</c> and <c>/acr</c> a bearer token
/// fetched from <c>/oauth2/token</c> (with the same credentials) per scope and kept for the run; every failure turned
/// into a <see cref="CliException"/> carrying the server's own message.
/// </summary>
internal sealed partial class RegistryClient : IDisposable
{
    public static readonly string[] ManifestMediaTypes =
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ];

    private readonly HttpClient _http;
    private readonly string _username;
    private readonly string _password;
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);
    private string? _loginServer;
    private string? _hostHeader;
    private readonly bool _otherRegistry;

    public RegistryClient(CliEnvironment environment, Uri baseAddress, string registry, string username, string password, string? loginServer = null, bool otherRegistry = false)
    {
        _http = environment.Handler is { } handler ? new HttpClient(handler, disposeHandler: false) : new HttpClient();
        _http.BaseAddress = baseAddress;
        _http.Timeout = TimeSpan.FromMinutes(5);
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("registry-cli/1.0");
        Registry = registry;
        _username = username;
        _password = password;
        _loginServer = otherRegistry ? null : loginServer;
        _otherRegistry = otherRegistry;
    }

    public string Registry { get; }

    /// <summary>The server as the user named it, for messages.</summary>
    public string Server => $"{_http.BaseAddress!.Host}:{_http.BaseAddress.Port}";

    public Uri BaseAddress => _http.BaseAddress!;

    public void Dispose() => _http.Dispose();

    /// <summary>A normalized server: a URL as given, else http for loopback hosts and https for any other.</summary>
    public static Uri ParseServer(string server)
    {
        var text = server.Trim().TrimEnd('/');
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            var host = text.Split(':')[0].ToLowerInvariant();
            var loopback = host is "localhost" or "::1" || host.EndsWith(".localhost", StringComparison.Ordinal) ||
                (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
            text = (loopback ? "http://" : "https://") + text;
        }

        return Uri.TryCreate(text + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new CliException($"'{server}' is not a server address (host[:port] or an http(s) URL)");
    }

    // ---- management API: Basic credentials ----

    /// <summary><c>/api/registries/{registry}{path}</c> with a JSON body; the answer's JSON (null when empty).</summary>
    public Task<JsonNode?> ManageAsync(HttpMethod method, string path, JsonNode? body = null, CancellationToken cancellationToken = default) =>
        ApiAsync(method, $"api/registries/{Uri.EscapeDataString(Registry)}{path}", body, cancellationToken);

    public async Task<JsonNode?> ApiAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = Basic(_username, _password);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await SendAsync(request, cancellationToken);
        return await ReadJsonAsync(response, cancellationToken);
    }

    /// <summary>
    /// <c>/api/registries/{registry}</c> with Basic credentials, answering with the status rather than failing: what
    /// <c>login</c> and <c>check-health</c> want to tell apart (200 fine, 401 wrong credentials, 403 not a manager).
    /// </summary>
    public async Task<(HttpStatusCode Status, string Message)> ProbeManagementAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/registries/{Uri.EscapeDataString(Registry)}");
        request.Headers.Authorization = Basic(_username, _password);
        using var response = await SendAsync(request, cancellationToken);
        return (response.StatusCode, response.IsSuccessStatusCode ? "ok" : (await ErrorAsync(response, cancellationToken)).Message);
    }

    // ---- /v2 and /acr: bearer tokens ----

    /// <summary>
    /// A request under <c>/v2</c> or <c>/acr</c> with a token for <paramref name="scope"/>; when the server asks for
    /// another scope (a 401 challenge naming it) the token for that one is fetched and the request sent once more.
    /// The caller owns (and checks) the response.
    /// </summary>
    public async Task<HttpResponseMessage> DataAsync(
        HttpMethod method, string path, string scope, CancellationToken cancellationToken, Action<HttpRequestMessage>? configure = null)
    {
        var response = await SendDataAsync(method, path, await TokenAsync(scope, cancellationToken), configure, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized && Challenge(response) is { } challenge &&
            challenge.TryGetValue("scope", out var asked) && asked != scope)
        {
            response.Dispose();
            response = await SendDataAsync(method, path, await TokenAsync(asked, cancellationToken), configure, cancellationToken);
        }

        return response;
    }

    /// <summary><see cref="DataAsync"/> that must succeed; the answer's JSON.</summary>
    public async Task<JsonNode?> DataJsonAsync(HttpMethod method, string path, string scope, CancellationToken cancellationToken, JsonNode? body = null)
    {
        using var response = await DataAsync(method, path, scope, cancellationToken, request =>
        {
            if (body is not null)
            {
                request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            }
        });
        return await ReadJsonAsync(response, cancellationToken);
    }

    /// <summary>
    /// Every page of a <c>Link</c>-paginated list (<c>_catalog</c>, <c>_tags</c>, <c>_manifests</c>): the first page's
    /// object with <paramref name="items"/> holding the items of all pages, at most <paramref name="top"/>.
    /// </summary>
    public async Task<JsonObject> PagedAsync(string path, string items, string scope, int? top, CancellationToken cancellationToken)
    {
        JsonObject? first = null;
        var all = new JsonArray();
        string? next = path;
        while (next is not null && (top is null || all.Count < top))
        {
            using var response = await DataAsync(HttpMethod.Get, next, scope, cancellationToken);
            var page = await ReadJsonAsync(response, cancellationToken) as JsonObject ?? [];
            first ??= page;
            if (page[items] is JsonArray list)
            {
                foreach (var item in list.ToList())
                {
                    list.Remove(item);
                    all.Add(item);
                }
            }

            next = NextLink(response);
        }

        first ??= [];
        while (top is not null && all.Count > top)
        {
            all.RemoveAt(all.Count - 1);
        }

        first[items] = all;
        return first;
    }

    /// <summary>A bearer token for one scope (<c>repository:app:pull</c>), fetched once per run.</summary>
    public async Task<string> TokenAsync(string scope, CancellationToken cancellationToken)
    {
        if (_tokens.TryGetValue(scope, out var cached))
        {
            return cached;
        }

        var service = await LoginServerAsync(cancellationToken);
        using var request = new HttpRequestMessage(
            HttpMethod.Get, $"oauth2/token?service={Uri.EscapeDataString(service)}&scope={Uri.EscapeDataString(scope)}");
        request.Headers.Authorization = Basic(_username, _password);
        SetHost(request);
        using var response = await SendAsync(request, cancellationToken);
        var json = await ReadJsonAsync(response, cancellationToken);
        var token = (json?["token"] ?? json?["access_token"])?.GetValue<string>()
            ?? throw new CliException($"{Server} answered the token request without a token");
        _tokens[scope] = token;
        return token;
    }

    /// <summary>
    /// The registry's login server (the token <c>service</c>): for the registry the server's host reaches, from the
    /// <c>/v2/</c> challenge; for another one (<c>--registry</c>), from its resource, and its requests then carry it as Host.
    /// </summary>
    public async Task<string> LoginServerAsync(CancellationToken cancellationToken)
    {
        if (_loginServer is not null)
        {
            return _loginServer;
        }

        if (_otherRegistry)
        {
            var resource = await ManageAsync(HttpMethod.Get, string.Empty, cancellationToken: cancellationToken);
            _loginServer = resource?["properties"]?["loginServer"]?.GetValue<string>()
                ?? throw new CliException($"registry '{Registry}' has no login server");
            var port = BaseAddress.IsDefaultPort || _loginServer.Contains(':', StringComparison.Ordinal) ? string.Empty : $":{BaseAddress.Port}";
            _hostHeader = _loginServer + port;
            return _loginServer;
        }

        var challenge = await ChallengeAsync(cancellationToken);
        _loginServer = challenge is not null && challenge.TryGetValue("service", out var service) ? service : BaseAddress.Host;
        return _loginServer;
    }

    /// <summary>The parameters of the Bearer challenge <c>GET /v2/</c> answers with, or null when it answers without one (auth off).</summary>
    public async Task<Dictionary<string, string>?> ChallengeAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "v2/");
        SetHost(request);
        using var response = await SendAsync(request, cancellationToken);
        return Challenge(response);
    }

    // ---- plumbing ----

    /// <summary>Sends a request; a server that cannot be reached becomes "cannot reach …: is it running?".</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex) when (ex.StatusCode is null)
        {
            var reason = ex.InnerException is SocketException socket ? socket.SocketErrorCode.ToString() : ex.Message;
            throw new CliException($"cannot reach {Server}: is it running? ({reason})", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException($"{Server} did not answer within {_http.Timeout.TotalSeconds:0} s", ex);
        }
    }

    /// <summary>The JSON of a successful answer (null when it has no body); otherwise the server's error as a <see cref="CliException"/>.</summary>
    public static async Task<JsonNode?> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync(response, cancellationToken);
        }

        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            return text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (JsonException ex)
        {
            throw new CliException($"{response.RequestMessage?.RequestUri} answered with something that is not JSON", ex);
        }
    }

    /// <summary>
    /// The server's message for a failed request: ProblemDetails as <c>title: detail</c>, OCI/ACR errors as
    /// <c>CODE: message</c>, anything else as the status.
    /// </summary>
    public static async Task<CliException> ErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonNode? json = null;
        try
        {
            json = text.Length > 0 ? JsonNode.Parse(text) : null;
        }
        catch (JsonException)
        {
        }

        var status = $"{(int)response.StatusCode} {response.ReasonPhrase}";
        if (json?["errors"] is JsonArray { Count: > 0 } errors)
        {
            return new CliException(string.Join("; ", errors.Select(e => $"{e?["code"]}: {e?["message"]}")), response.StatusCode);
        }

        if (json?["title"] is { } title)
        {
            var detail = Output.Format(json["detail"]);
            return new CliException(detail.Length > 0 ? $"{title}: {detail}" : title.ToString(), response.StatusCode);
        }

        var snippet = text.Length is > 0 and < 300 && json is null ? $": {text.Trim()}" : string.Empty;
        return new CliException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath} answered {status}{snippet}", response.StatusCode);
    }

    private static AuthenticationHeaderValue Basic(string username, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));

    private async Task<HttpResponseMessage> SendDataAsync(
        HttpMethod method, string path, string token, Action<HttpRequestMessage>? configure, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        SetHost(request);
        configure?.Invoke(request);
        return await SendAsync(request, cancellationToken);
    }

    private void SetHost(HttpRequestMessage request)
    {
        if (_hostHeader is not null)
        {
            request.Headers.Host = _hostHeader;
        }
    }

    private static Dictionary<string, string>? Challenge(HttpResponseMessage response)
    {
        var bearer = response.Headers.WwwAuthenticate.FirstOrDefault(h => h.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase));
        return bearer?.Parameter is { } parameter
            ? ChallengeParameter().Matches(parameter).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal)
            : null;
    }

    /// <summary>The path and query of a <c>Link: &lt;…&gt;; rel="next"</c> header, or null.</summary>
    private static string? NextLink(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var links))
        {
            return null;
        }

        var match = links.Select(link => LinkNext().Match(link)).FirstOrDefault(m => m.Success);
        if (match is null)
        {
            return null;
        }

        var target = match.Groups[1].Value;
        return Uri.TryCreate(target, UriKind.Absolute, out var absolute) ? absolute.PathAndQuery.TrimStart('/') : target.TrimStart('/');
    }

    [GeneratedRegex(@"(\w+)=""([^""]*)""")]
    private static partial Regex ChallengeParameter();

    [GeneratedRegex("""<([^>]+)>\s*;\s*rel="?next"?""")]
    private static partial Regex LinkNext();
}
