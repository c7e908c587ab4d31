using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Registry.Replication.Tests;

/// <summary>What a <c>/v2</c> GET answered: status, body, media type and <c>Docker-Content-Digest</c>.</summary>
public sealed record Fetched(HttpStatusCode Status, byte[] Content, string? MediaType, string? DockerContentDigest)
{
    public string Text => Encoding.UTF8.GetString(Content);

    /// <summary>The sha256 digest of the body.</summary>
    public string ComputedDigest => OciClient.Sha256(Content);

    public JsonElement Json => JsonDocument.Parse(Content).RootElement.Clone();

    /// <summary>The first OCI error code of an error body, or null.</summary>
    public string? ErrorCode => Content.Length > 0 && Json is { ValueKind: JsonValueKind.Object } root && root.TryGetProperty("errors", out var errors)
        && errors.GetArrayLength() > 0 ? errors[0].GetProperty("code").GetString() : null;

    public string Describe(string what) => $"{what} answered {(int)Status} {MediaType}: {(Content.Length > 2000 ? Text[..2000] : Text)}";
}

/// <summary>
/// Reads a registry over its <c>/v2</c> API (manifests, blobs, tags) as a pulling client: anonymously, or with Docker token
/// auth as <c>username</c> when given.
/// </summary>
public sealed class OciClient : IDisposable
{
    public static readonly string[] ManifestMediaTypes =
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ];

    private readonly HttpClient _http;

    public OciClient(Uri baseAddress, string? username = null, string? password = null)
    {
        HttpMessageHandler handler = new SocketsHttpHandler { AllowAutoRedirect = true, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (username is not null)
        {
            handler = new BearerTokenHandler(username, password ?? string.Empty) { InnerHandler = handler };
        }

        _http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public static string Sha256(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary><c>GET /v2/{repository}/manifests/{reference}</c> accepting every manifest type.</summary>
    public Task<Fetched> GetManifestAsync(string repository, string reference) => GetAsync($"v2/{repository}/manifests/{reference}", request =>
    {
        foreach (var mediaType in ManifestMediaTypes)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(mediaType));
        }
    });

    public Task<Fetched> GetBlobAsync(string repository, string digest) => GetAsync($"v2/{repository}/blobs/{digest}");

    public Task<Fetched> GetTagsAsync(string repository) => GetAsync($"v2/{repository}/tags/list");

    /// <summary>The repository's tags: empty when the registry answers 404 <c>NAME_UNKNOWN</c> (no manifests) or an empty list.</summary>
    public async Task<IReadOnlyList<string>> TagsAsync(string repository)
    {
        var fetched = await GetTagsAsync(repository);
        if (fetched.Status == HttpStatusCode.NotFound)
        {
            Assert.True(fetched.ErrorCode == "NAME_UNKNOWN", fetched.Describe($"tags/list of {repository}"));
            return [];
        }

        Assert.True(fetched.Status == HttpStatusCode.OK, fetched.Describe($"tags/list of {repository}"));
        var tags = fetched.Json.GetProperty("tags");
        return tags.ValueKind == JsonValueKind.Null ? [] : tags.EnumerateArray().Select(tag => tag.GetString()!).ToList();
    }

    /// <summary>The digest the tag points at (<c>Docker-Content-Digest</c> of the manifest), or null when it does not exist.</summary>
    public async Task<string?> ResolveAsync(string repository, string tag)
    {
        var fetched = await GetManifestAsync(repository, tag);
        if (fetched.Status == HttpStatusCode.NotFound)
        {
            return null;
        }

        Assert.True(fetched.Status == HttpStatusCode.OK, fetched.Describe($"GET manifest {repository}:{tag}"));
        return fetched.DockerContentDigest;
    }

    public void Dispose() => _http.Dispose();

    private async Task<Fetched> GetAsync(string path, Action<HttpRequestMessage>? prepare = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        prepare?.Invoke(request);
        using var response = await _http.SendAsync(request);
        var content = await response.Content.ReadAsByteArrayAsync();
        var digest = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.First() : null;
        return new Fetched(response.StatusCode, content, response.Content.Headers.ContentType?.MediaType, digest);
    }
}
