using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Registry.Testing;

/// <summary>Small images pushed over the plain HTTP API (a token from <c>/oauth2/token</c>, monolithic blob uploads, one manifest).</summary>
public static class OciImages
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";

    /// <summary>A bearer token from the registry's token endpoint for <paramref name="scope"/>, with Basic credentials.</summary>
    public static async Task<string> TokenAsync(HttpClient http, string service, string username, string password, string scope)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"oauth2/token?service={Uri.EscapeDataString(service)}&scope={Uri.EscapeDataString(scope)}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"token request for {scope} answered {(int)response.StatusCode}: {body}", null, response.StatusCode);
        }

        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>Pushes an image of one small layer (<paramref name="content"/>, else random) as <c>repository:tag</c>; its manifest digest.</summary>
    public static async Task<string> PushAsync(HttpClient http, string token, string repository, string tag, string? content = null)
    {
        var layer = Encoding.UTF8.GetBytes(content ?? Guid.NewGuid().ToString("N"));
        var config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}""");
        var manifest = Encoding.UTF8.GetBytes($$"""
            {"schemaVersion":2,"mediaType":"{{OciManifest}}",
             "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{await PushBlobAsync(http, token, repository, config)}}","size":{{config.Length}}},
             "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{{await PushBlobAsync(http, token, repository, layer)}}","size":{{layer.Length}}}]}
            """);
        using var content2 = new ByteArrayContent(manifest);
        content2.Headers.ContentType = new MediaTypeHeaderValue(OciManifest);
        await SendAsync(http, token, HttpMethod.Put, $"v2/{repository}/manifests/{tag}", content2);
        return DigestOf(manifest);
    }

    public static string DigestOf(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    private static async Task<string> PushBlobAsync(HttpClient http, string token, string repository, byte[] blob)
    {
        var digest = DigestOf(blob);
        using var content = new ByteArrayContent(blob);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        await SendAsync(http, token, HttpMethod.Post, $"v2/{repository}/blobs/uploads/?digest={digest}", content);
        return digest;
    }

    private static async Task SendAsync(HttpClient http, string token, HttpMethod method, string path, HttpContent content)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{method} {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}", null, response.StatusCode);
        }
    }
}
