using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Registry.GeoReplication.Tests;

/// <summary>What a request answered: status, body, media type and <c>Docker-Content-Digest</c>.</summary>
public sealed record Answer(HttpStatusCode Status, byte[] Content, string? MediaType, string? DockerContentDigest, Uri? Location)
{
    public string Text => Encoding.UTF8.GetString(Content);

    public JsonElement Json => JsonDocument.Parse(Content).RootElement.Clone();

    public string Describe(string what) => $"{what} answered {(int)Status} {MediaType}: {(Content.Length > 2000 ? Text[..2000] : Text)}";
}

/// <summary>
/// One region's HTTP API as its admin user: <c>/v2</c> with Docker token auth (a token per repository with pull, push and
/// delete, fetched from the realm the registry names), and the management API with Basic credentials.
/// </summary>
public sealed partial class RegionClient : IDisposable
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
    private readonly ConcurrentDictionary<string, string> _tokens = new(StringComparer.Ordinal);

    public RegionClient(Uri baseAddress, string username, string password)
    {
        _username = username;
        _password = password;
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = true, PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromMinutes(5),
        };
    }

    public static string Sha256(ReadOnlySpan<byte> content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    // ------------------------------------------------------------------ management API (Basic)

    /// <summary>A call to <c>/api/registries/default{path}</c> as the admin user (<paramref name="anonymous"/>: no credentials).</summary>
    public async Task<Answer> ManageAsync(HttpMethod method, string path, object? body = null, bool anonymous = false)
    {
        using var request = new HttpRequestMessage(method, $"api/registries/default{path}");
        if (!anonymous)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_username}:{_password}")));
        }

        if (body is not null)
        {
            request.Content = body as HttpContent ?? JsonContent.Create(body);
        }

        return await ReadAsync(await _http.SendAsync(request));
    }

    // ------------------------------------------------------------------ /v2 (token auth)

    public Task<Answer> GetManifestAsync(string repository, string reference) =>
        V2Async(HttpMethod.Get, $"v2/{repository}/manifests/{reference}", repository, prepare: AcceptManifests);

    public Task<Answer> DeleteManifestAsync(string repository, string reference) =>
        V2Async(HttpMethod.Delete, $"v2/{repository}/manifests/{reference}", repository);

    /// <summary>ACR's <c>DELETE /acr/v1/{repository}</c>: the whole repository (202 expected by callers).</summary>
    public Task<Answer> DeleteRepositoryAsync(string repository) =>
        V2Async(HttpMethod.Delete, $"acr/v1/{repository}", repository);

    /// <summary>ACR's <c>GET</c> (no body) or <c>PATCH</c> of <c>/acr/v1/{repository}{path}</c>: changeable attributes of the repository, a tag or a manifest.</summary>
    public async Task<Answer> AttributesAsync(string repository, string path, object? change = null)
    {
        var token = await TokenAsync($"repository:{repository}:metadata_read,metadata_write");
        using var request = new HttpRequestMessage(change is null ? HttpMethod.Get : HttpMethod.Patch, $"acr/v1/{repository}{path}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Content = change is null ? null : JsonContent.Create(change);
        return await ReadAsync(await _http.SendAsync(request));
    }

    /// <summary>The digests of the manifests referring to <paramref name="subject"/> (<c>/v2/…/referrers/{digest}</c>), sorted.</summary>
    public async Task<IReadOnlyList<string>> ReferrersAsync(string repository, string subject)
    {
        var answer = await V2Async(HttpMethod.Get, $"v2/{repository}/referrers/{subject}", repository);
        Assert.True(answer.Status == HttpStatusCode.OK, answer.Describe($"referrers of {repository}@{subject}"));
        return [.. answer.Json.GetProperty("manifests").EnumerateArray().Select(m => m.GetProperty("digest").GetString()!).Order(StringComparer.Ordinal)];
    }

    public Task<Answer> HeadBlobAsync(string repository, string digest) =>
        V2Async(HttpMethod.Head, $"v2/{repository}/blobs/{digest}", repository);

    /// <summary>The sha256 digest and length of what <c>GET /v2/…/blobs/{digest}</c> streams (without holding it in memory).</summary>
    public async Task<(HttpStatusCode Status, string? Digest, long Length)> HashBlobAsync(string repository, string digest)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v2/{repository}/blobs/{digest}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await RepositoryTokenAsync(repository));
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return (response.StatusCode, null, 0);
        }

        await using var body = await response.Content.ReadAsStreamAsync();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1024 * 1024];
        long length = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            length += read;
        }

        return (response.StatusCode, "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset()), length);
    }

    /// <summary>The repository's tags; empty when it has none (404 <c>NAME_UNKNOWN</c>).</summary>
    public async Task<IReadOnlyList<string>> TagsAsync(string repository)
    {
        var answer = await V2Async(HttpMethod.Get, $"v2/{repository}/tags/list?n=1000", repository);
        if (answer.Status == HttpStatusCode.NotFound)
        {
            return [];
        }

        Assert.True(answer.Status == HttpStatusCode.OK, answer.Describe($"tags/list of {repository}"));
        var tags = answer.Json.GetProperty("tags");
        return tags.ValueKind == JsonValueKind.Null ? [] : [.. tags.EnumerateArray().Select(tag => tag.GetString()!).Order(StringComparer.Ordinal)];
    }

    /// <summary>Every repository of the registry (<c>/v2/_catalog</c>).</summary>
    public async Task<IReadOnlyList<string>> CatalogAsync()
    {
        var answer = await V2Async(HttpMethod.Get, "v2/_catalog?n=1000", repository: null);
        Assert.True(answer.Status == HttpStatusCode.OK, answer.Describe("/v2/_catalog"));
        var repositories = answer.Json.GetProperty("repositories");
        return repositories.ValueKind == JsonValueKind.Null ? [] : [.. repositories.EnumerateArray().Select(r => r.GetString()!).Order(StringComparer.Ordinal)];
    }

    /// <summary>Uploads a blob in one PUT (POST, then PUT with the digest); must be 201.</summary>
    public async Task PushBlobAsync(string repository, byte[] content)
    {
        var start = await V2Async(HttpMethod.Post, $"v2/{repository}/blobs/uploads/", repository);
        Assert.True(start.Status == HttpStatusCode.Accepted && start.Location is not null, start.Describe($"starting an upload to {repository}"));
        var put = await V2Async(HttpMethod.Put, WithDigest(start.Location!, Sha256(content)), repository, () => Octets(content));
        Assert.True(put.Status == HttpStatusCode.Created, put.Describe($"completing the upload of {Sha256(content)} to {repository}"));
    }

    /// <summary>
    /// Uploads <paramref name="length"/> bytes that <paramref name="fill"/> writes, chunk by chunk (PATCH), without holding
    /// them in memory; the digest is computed as they go. Returns the digest.
    /// </summary>
    public async Task<string> PushLargeBlobAsync(string repository, long length, int chunkBytes, Action<Memory<byte>, long> fill)
    {
        var start = await V2Async(HttpMethod.Post, $"v2/{repository}/blobs/uploads/", repository);
        Assert.True(start.Status == HttpStatusCode.Accepted && start.Location is not null, start.Describe($"starting an upload to {repository}"));
        var location = start.Location!;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[chunkBytes];
        for (long offset = 0; offset < length; offset += chunkBytes)
        {
            var count = (int)Math.Min(chunkBytes, length - offset);
            fill(buffer.AsMemory(0, count), offset);
            hash.AppendData(buffer, 0, count);
            var chunk = buffer[..count];
            var patch = await V2Async(HttpMethod.Patch, location.ToString(), repository, () =>
            {
                var content = Octets(chunk);
                content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + count - 1}");
                return content;
            });
            Assert.True(patch.Status == HttpStatusCode.Accepted && patch.Location is not null, patch.Describe($"PATCH at {offset} of the upload to {repository}"));
            location = patch.Location!;
        }

        var digest = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
        var put = await V2Async(HttpMethod.Put, WithDigest(location, digest), repository);
        Assert.True(put.Status == HttpStatusCode.Created, put.Describe($"completing the upload of {digest} to {repository}"));
        return digest;
    }

    /// <summary><c>PUT /v2/{repository}/manifests/{reference}</c>; the answer (201 expected by callers).</summary>
    public Task<Answer> PutManifestAsync(string repository, string reference, byte[] content, string mediaType) =>
        V2Async(HttpMethod.Put, $"v2/{repository}/manifests/{reference}", repository, () =>
        {
            var body = new ByteArrayContent(content);
            body.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            return body;
        });

    public void Dispose() => _http.Dispose();

    private static void AcceptManifests(HttpRequestMessage request)
    {
        foreach (var mediaType in ManifestMediaTypes)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(mediaType));
        }
    }

    private static ByteArrayContent Octets(byte[] content)
    {
        var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return body;
    }

    private string WithDigest(Uri location, string digest)
    {
        var text = location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString;
        return text.TrimStart('/') + (text.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest);
    }

    private async Task<Answer> V2Async(HttpMethod method, string path, string? repository, Func<HttpContent>? content = null, Action<HttpRequestMessage>? prepare = null)
    {
        var token = repository is null ? await TokenAsync("registry:catalog:*") : await RepositoryTokenAsync(repository);
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Content = content?.Invoke();
        prepare?.Invoke(request);
        return await ReadAsync(await _http.SendAsync(request));
    }

    private static async Task<Answer> ReadAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var content = await response.Content.ReadAsByteArrayAsync();
            var digest = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.First() : null;
            return new Answer(response.StatusCode, content, response.Content.Headers.ContentType?.MediaType, digest, response.Headers.Location);
        }
    }

    private Task<string> RepositoryTokenAsync(string repository) => TokenAsync($"repository:{repository}:pull,push,delete");

    /// <summary>A token for <paramref name="scope"/> from the realm and service the registry's challenge names.</summary>
    private async Task<string> TokenAsync(string scope)
    {
        if (_tokens.TryGetValue(scope, out var cached))
        {
            return cached;
        }

        using var challengeResponse = await _http.GetAsync(new Uri("v2/", UriKind.Relative));
        var bearer = challengeResponse.Headers.WwwAuthenticate.First(h => string.Equals(h.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase));
        var challenge = ChallengeParameter().Matches(bearer.Parameter!).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.OrdinalIgnoreCase);
        var uri = $"{challenge["realm"]}?service={Uri.EscapeDataString(challenge.GetValueOrDefault("service") ?? string.Empty)}&scope={Uri.EscapeDataString(scope)}";
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(uri));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_username}:{_password}")));
        using var response = await _http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {uri} as {_username} answered {(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        var token = (json.RootElement.TryGetProperty("token", out var value) ? value : json.RootElement.GetProperty("access_token")).GetString()!;
        _tokens[scope] = token;
        return token;
    }

    [GeneratedRegex("(\\w+)=\"([^\"]*)\"")]
    private static partial Regex ChallengeParameter();
}
