using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Registry.Benchmarks;

/// <summary>The few Distribution API calls the benchmark needs, over one pooled HttpClient.</summary>
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

    public RegistryClient(Uri baseUri, int maxConnections)
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
    }

    public void Dispose() => _http.Dispose();

    /// <summary><c>GET /v2/</c>; true when the registry answers 200 (anonymous access).</summary>
    public async Task<HttpStatusCode> PingAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri("/v2/", UriKind.Relative), cancellationToken);
        return response.StatusCode;
    }

    /// <summary>docker's check before an upload: <c>HEAD /v2/&lt;name&gt;/blobs/&lt;digest&gt;</c>.</summary>
    public async Task<bool> BlobExistsAsync(string repository, string digest, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/blobs/{digest}");
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
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
        using (var post = new HttpRequestMessage(HttpMethod.Post, $"/v2/{repository}/blobs/uploads/"))
        {
            post.Content = new ByteArrayContent([]);
            using var response = await _http.SendAsync(post, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            location = Expect(response, HttpStatusCode.Accepted, "POST upload");
        }

        using (var patch = new HttpRequestMessage(HttpMethod.Patch, location))
        {
            patch.Content = body;
            patch.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var response = await _http.SendAsync(patch, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            location = Expect(response, HttpStatusCode.Accepted, "PATCH upload");
        }

        var separator = location.OriginalString.Contains('?', StringComparison.Ordinal) ? "&" : "?";
        var put = new Uri(location.OriginalString + separator + "digest=" + Uri.EscapeDataString(digest()), location.IsAbsoluteUri ? UriKind.Absolute : UriKind.Relative);
        using (var request = new HttpRequestMessage(HttpMethod.Put, put))
        {
            request.Content = new ByteArrayContent([]);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            Expect(response, HttpStatusCode.Created, "PUT upload");
        }
    }

    public Task PushBlobAsync(string repository, ReadOnlyMemory<byte> content, string digest, CancellationToken cancellationToken) =>
        PushBlobAsync(repository, new StreamedMemoryContent(content), () => digest, cancellationToken);

    /// <summary><c>GET /v2/&lt;name&gt;/blobs/&lt;digest&gt;</c>, read and discarded (or hashed); returns the byte count.</summary>
    public async Task<long> PullBlobAsync(string repository, string digest, byte[] buffer, IncrementalHash? hash, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri($"/v2/{repository}/blobs/{digest}", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw Unexpected(response, "GET blob");
        }

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
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/v2/{repository}/manifests/{reference}");
        request.Content = new ByteArrayContent(manifest);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(OciManifest);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Expect(response, HttpStatusCode.Created, "PUT manifest");
    }

    /// <summary>A manifest request by tag or digest (HEAD or GET); returns the body length read.</summary>
    public async Task<long> ManifestAsync(HttpMethod method, string repository, string reference, byte[] buffer, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, $"/v2/{repository}/manifests/{reference}");
        foreach (var accept in ManifestAccept)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        }

        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw Unexpected(response, $"{method} manifest");
        }

        if (method == HttpMethod.Head)
        {
            return 0;
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
        }

        return total;
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

        return new HttpRequestException($"{what}: HTTP {(int)response.StatusCode} {body}", null, response.StatusCode);
    }
}

internal static class Target
{
    public static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
