using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Registry.Benchmarks;

/// <summary>
/// The few Distribution API calls the benchmark needs, over one pooled HttpClient. With a token server in front (a 401
/// Bearer challenge), requests carry docker-style bearer tokens: see <see cref="TokenAuthenticator"/>.
/// </summary>
internal sealed class RegistryClient : IDisposable
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar+gzip";

    private static readonly string[] ManifestAccept =
    [
        OciManifest,
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ];

    private readonly HttpClient _http;
    private readonly Uri _base;
    private readonly TokenAuthenticator _auth;

    public RegistryClient(Uri baseUri, int maxConnections, string? username = null, string? password = null)
    {
        _base = baseUri;
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        _http = new HttpClient(handler) { BaseAddress = baseUri, Timeout = TimeSpan.FromMinutes(10) };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("registry-benchmark/1.0");
        _auth = new TokenAuthenticator(_http, username, password);
    }

    public void Dispose() => _http.Dispose();

    public TokenAuthenticator Auth => _auth;

    /// <summary>
    /// <c>GET /v2/</c> (answering its challenge with a token, as docker does): the final status, and the challenge of the
    /// first answer when the registry asked for a token (null when it let the request through anonymously).
    /// </summary>
    public async Task<(HttpStatusCode Status, BearerChallenge? Challenge)> PingAsync(CancellationToken cancellationToken)
    {
        BearerChallenge? challenge;
        using (var first = await _http.GetAsync(new Uri("/v2/", UriKind.Relative), cancellationToken))
        {
            challenge = first.StatusCode == HttpStatusCode.Unauthorized ? BearerChallenge.From(first) : null;
            if (challenge is null)
            {
                return (first.StatusCode, null);
            }
        }

        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, "/v2/"), cancellationToken);
        return (response.StatusCode, challenge);
    }

    /// <summary>
    /// Sends a request with the cached token of its repository; on a 401 Bearer challenge gets a token for the
    /// challenge's scope and sends a fresh copy once more (only when <paramref name="replayable"/>: a streamed body
    /// cannot be sent twice, and the upload's POST has fetched its push token before).
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, CancellationToken cancellationToken, bool replayable = true)
    {
        var request = create();
        var repository = TokenAuthenticator.RepositoryOf(request.RequestUri!);
        if (_auth.TokenFor(repository) is { } cached)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", cached);
        }

        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized || !replayable || BearerChallenge.From(response) is not { } challenge)
        {
            return response;
        }

        response.Dispose();
        request.Dispose();
        var token = await _auth.AuthorizeAsync(challenge, repository, cancellationToken);
        request = create();
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    /// <summary>One token-server request as the token phase makes it (absolute URL, given credentials); returns the body length.</summary>
    public async Task<long> TokenRequestAsync(Uri url, AuthenticationHeaderValue authorization, byte[] buffer, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = authorization;
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw Unexpected(response, "GET token");
        }

        return await DrainAsync(response, buffer, null, cancellationToken);
    }

    /// <summary>The body of one token-server answer, for checking it once before a measurement.</summary>
    public async Task<string> TokenResponseAsync(Uri url, AuthenticationHeaderValue authorization, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = authorization;
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw Unexpected(response, "GET token");
        }

        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    /// <summary>docker's check before an upload: <c>HEAD /v2/&lt;name&gt;/blobs/&lt;digest&gt;</c>.</summary>
    public async Task<bool> BlobExistsAsync(string repository, string digest, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/blobs/{digest}"), cancellationToken);
        return response.StatusCode switch
        {
            HttpStatusCode.OK => true,
            HttpStatusCode.NotFound => false,
            _ => throw Unexpected(response, "HEAD blob"),
        };
    }

    /// <summary>docker-style upload: POST, one streamed PATCH, PUT ?digest=. Returns the digest the registry reported.</summary>
    public async Task PushBlobAsync(string repository, HttpContent body, Func<string> digest, CancellationToken cancellationToken)
    {
        Uri location;
        using (var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, $"/v2/{repository}/blobs/uploads/") { Content = new ByteArrayContent([]) }, cancellationToken))
        {
            location = Expect(response, HttpStatusCode.Accepted, "POST upload");
        }

        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var patchTo = location;
        using (var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Patch, patchTo) { Content = body }, cancellationToken, replayable: false))
        {
            location = Expect(response, HttpStatusCode.Accepted, "PATCH upload");
        }

        var separator = location.OriginalString.Contains('?', StringComparison.Ordinal) ? "&" : "?";
        var put = new Uri(location.OriginalString + separator + "digest=" + Uri.EscapeDataString(digest()), location.IsAbsoluteUri ? UriKind.Absolute : UriKind.Relative);
        using (var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Put, put) { Content = new ByteArrayContent([]) }, cancellationToken))
        {
            Expect(response, HttpStatusCode.Created, "PUT upload");
        }
    }

    public Task PushBlobAsync(string repository, ReadOnlyMemory<byte> content, string digest, CancellationToken cancellationToken) =>
        PushBlobAsync(repository, new StreamedMemoryContent(content), () => digest, cancellationToken);

    /// <summary><c>GET /v2/&lt;name&gt;/blobs/&lt;digest&gt;</c>, read and discarded (or hashed); returns the byte count.</summary>
    public async Task<long> PullBlobAsync(string repository, string digest, byte[] buffer, IncrementalHash? hash, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/blobs/{digest}"), cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw Unexpected(response, "GET blob");
        }

        return await DrainAsync(response, buffer, hash, cancellationToken);
    }

    private static async Task<long> DrainAsync(HttpResponseMessage response, byte[] buffer, IncrementalHash? hash, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash?.AppendData(buffer, 0, read);
            total += read;
        }

        return total;
    }

    public async Task PutManifestAsync(string repository, string reference, byte[] manifest, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() =>
        {
            var content = new ByteArrayContent(manifest);
            content.Headers.ContentType = new MediaTypeHeaderValue(OciManifest);
            return new HttpRequestMessage(HttpMethod.Put, $"/v2/{repository}/manifests/{reference}") { Content = content };
        }, cancellationToken);
        Expect(response, HttpStatusCode.Created, "PUT manifest");
    }

    /// <summary>A manifest request by tag or digest (HEAD or GET); returns the body length read.</summary>
    public async Task<long> ManifestAsync(HttpMethod method, string repository, string reference, byte[] buffer, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(method, $"/v2/{repository}/manifests/{reference}");
            foreach (var accept in ManifestAccept)
            {
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
            }

            return request;
        }, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw Unexpected(response, $"{method} manifest");
        }

        return method == HttpMethod.Head ? 0 : await DrainAsync(response, buffer, null, cancellationToken);
    }

    /// <summary>An OCI image manifest for one config and the given layers.</summary>
    public static byte[] ImageManifest((string Digest, long Size) config, params (string Digest, long Size)[] layers)
    {
        var builder = new StringBuilder();
        builder.Append("{\"schemaVersion\":2,\"mediaType\":\"").Append(OciManifest).Append("\",");
        builder.Append("\"config\":{\"mediaType\":\"").Append(OciConfig).Append("\",\"digest\":\"").Append(config.Digest)
            .Append("\",\"size\":").Append(config.Size).Append("},\"layers\":[");
        for (var i = 0; i < layers.Length; i++)
        {
            builder.Append(i == 0 ? "" : ",").Append("{\"mediaType\":\"").Append(OciLayer).Append("\",\"digest\":\"")
                .Append(layers[i].Digest).Append("\",\"size\":").Append(layers[i].Size).Append('}');
        }

        builder.Append("]}");
        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    /// <summary>A small image config naming the layer as its only diff id.</summary>
    public static byte[] ImageConfig(string layerDigest, string label) => Encoding.UTF8.GetBytes(
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"bench\":\"" + label + "\"}}," +
        "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + layerDigest + "\"]}}");

    private Uri Expect(HttpResponseMessage response, HttpStatusCode expected, string what)
    {
        if (response.StatusCode != expected)
        {
            throw Unexpected(response, what);
        }

        var location = response.Headers.Location;
        if (location is null)
        {
            return _base;
        }

        if (location.IsAbsoluteUri && !Target.IsLoopback(location))
        {
            throw new InvalidOperationException($"{what}: the registry sent Location {location}, which is not a loopback address");
        }

        return location;
    }

    private static HttpRequestException Unexpected(HttpResponseMessage response, string what)
    {
        string body;
        try
        {
            body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        }
        catch (HttpRequestException)
        {
            body = "";
        }

        if (body.Length > 300)
        {
            body = body[..300];
        }

        var hint = response.StatusCode == HttpStatusCode.Unauthorized ? " (the registry wants a bearer token: give --username and --password)" : "";
        return new HttpRequestException($"{what}: HTTP {(int)response.StatusCode} {body}{hint}", null, response.StatusCode);
    }
}

internal static class Target
{
    public static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
