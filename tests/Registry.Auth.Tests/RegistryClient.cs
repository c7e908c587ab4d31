using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Registry.Auth.Tests;

/// <summary>
/// Speaks to one registry of the host over real HTTP: the token endpoint, the management API and a tiny OCI push/pull
/// (blobs, an image manifest) with raw requests. A registry other than the default is addressed with its Host header.
/// </summary>
public sealed class RegistryClient(HttpClient http, string registry, string? hostHeader, string adminUsername, string adminPassword)
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar+gzip";

    public HttpClient Http => http;

    public string Registry => registry;

    /// <summary>The login server: the challenge's <c>service</c> and the token audience.</summary>
    public string Service => $"{registry}.{AuthHost.Domain}";

    /// <summary>The <c>Host</c> the client uses (null: the plain address, which is the default registry).</summary>
    public string? HostHeader => hostHeader;

    /// <summary>The token endpoint as this client reaches it (the realm the challenges name).</summary>
    public string Realm => $"http://{hostHeader ?? $"{http.BaseAddress!.Host}:{http.BaseAddress.Port}"}/oauth2/token";

    public string AdminUsername => adminUsername;

    public string AdminPassword { get; set; } = adminPassword;

    public static string NewRepository(string prefix = "test") => $"{prefix}/r{Guid.NewGuid():N}";

    public static AuthenticationHeaderValue Basic(string username, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));

    public static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);

    public async Task<HttpResponseMessage> SendAsync(
        HttpMethod method, string path, HttpContent? content = null, AuthenticationHeaderValue? authorization = null, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (hostHeader is not null)
        {
            request.Headers.Host = hostHeader;
        }

        request.Headers.Authorization = authorization;
        configure?.Invoke(request);
        return await http.SendAsync(request);
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, HttpContent? content = null) =>
        SendAsync(method, path, content, token is null ? null : Bearer(token));

    // ---- token endpoint ----

    /// <summary><c>GET /oauth2/token</c> as docker does it: Basic credentials (or none), <c>service</c>, repeated <c>scope</c>.</summary>
    public Task<HttpResponseMessage> RequestTokenAsync(
        string? username, string? password, IEnumerable<string> scopes, string? service = "", bool offline = false)
    {
        var query = new List<string>();
        if (service is not null)
        {
            query.Add("service=" + Uri.EscapeDataString(service.Length == 0 ? Service : service));
        }

        query.AddRange(scopes.Select(scope => "scope=" + Uri.EscapeDataString(scope)));
        if (offline)
        {
            query.Add("offline_token=true");
        }

        var path = "/oauth2/token" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
        return SendAsync(HttpMethod.Get, path, authorization: username is null ? null : Basic(username, password!));
    }

    /// <summary>An access token for these credentials (asserts 200 and that <c>token</c> and <c>access_token</c> agree).</summary>
    public async Task<string> TokenAsync(string? username, string? password, params string[] scopes)
    {
        using var response = await RequestTokenAsync(username, password, scopes);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"token for {username ?? "anonymous"}: {(int)response.StatusCode} {body}");
        using var document = JsonDocument.Parse(body);
        var token = document.RootElement.GetProperty("token").GetString()!;
        Assert.Equal(token, document.RootElement.GetProperty("access_token").GetString());
        return token;
    }

    public Task<string> AdminTokenAsync(params string[] scopes) => TokenAsync(adminUsername, AdminPassword, scopes);

    public Task<HttpResponseMessage> PostFormAsync(string path, IReadOnlyDictionary<string, string> form) =>
        SendAsync(HttpMethod.Post, path, new FormUrlEncodedContent(form));

    // ---- management API ----

    public Task<HttpResponseMessage> ManageAsync(HttpMethod method, string relativePath, object? body = null, string? username = null, string? password = null) =>
        SendAsync(
            method,
            $"/api/registries/{registry}{relativePath}",
            body is null ? null : JsonContent.Create(body),
            Basic(username ?? adminUsername, password ?? AdminPassword));

    /// <summary>A management call as the admin user that must succeed; returns the body.</summary>
    public async Task<JsonElement> ManageOkAsync(HttpMethod method, string relativePath, object? body = null)
    {
        using var response = await ManageAsync(method, relativePath, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {relativePath}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>A token bound to <paramref name="scopeMap"/>; returns its name and the value of <c>password1</c>.</summary>
    public async Task<(string Name, string Password)> CreateTokenAsync(string scopeMap)
    {
        var name = "tok-" + Guid.NewGuid().ToString("N")[..12];
        var created = await ManageOkAsync(HttpMethod.Put, $"/tokens/{name}", new { properties = new { scopeMapId = $"/registries/{registry}/scopeMaps/{scopeMap}" } });
        var password = created.GetProperty("properties").GetProperty("credentials").GetProperty("passwords").EnumerateArray()
            .Single(p => p.GetProperty("name").GetString() == "password1").GetProperty("value").GetString()!;
        return (name, password);
    }

    public async Task<string> CreateScopeMapAsync(params string[] actions)
    {
        var name = "map-" + Guid.NewGuid().ToString("N")[..12];
        await ManageOkAsync(HttpMethod.Put, $"/scopeMaps/{name}", new { properties = new { actions } });
        return name;
    }

    /// <summary>A service principal; returns its app id (its user name) and password.</summary>
    public async Task<(string AppId, string Password)> CreateServicePrincipalAsync(string? name = null)
    {
        var created = await ManageOkAsync(HttpMethod.Post, "/servicePrincipals", new { name = name ?? "sp " + Guid.NewGuid().ToString("N")[..8] });
        return (created.GetProperty("appId").GetString()!, created.GetProperty("password").GetString()!);
    }

    public async Task<string> AssignRoleAsync(string principalId, string role, string? scope = null)
    {
        var id = Guid.NewGuid().ToString("D");
        await ManageOkAsync(HttpMethod.Put, $"/roleAssignments/{id}", new { properties = new { principalId, roleDefinitionName = role, scope } });
        return id;
    }

    // ---- OCI ----

    public static string DigestOf(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>Monolithic blob upload (<c>POST /blobs/uploads/?digest=</c>).</summary>
    public Task<HttpResponseMessage> PushBlobAsync(string repository, byte[] content, string? token) =>
        SendAsync(HttpMethod.Post, $"/v2/{repository}/blobs/uploads/?digest={DigestOf(content)}", token, new ByteArrayContent(content));

    public Task<HttpResponseMessage> PutManifestAsync(string repository, string reference, byte[] manifest, string? token)
    {
        var content = new ByteArrayContent(manifest);
        content.Headers.ContentType = new MediaTypeHeaderValue(OciManifest);
        return SendAsync(HttpMethod.Put, $"/v2/{repository}/manifests/{reference}", token, content);
    }

    public Task<HttpResponseMessage> GetManifestAsync(string repository, string reference, string? token) =>
        SendAsync(HttpMethod.Get, $"/v2/{repository}/manifests/{reference}", token, null);

    /// <summary>Pushes a config and a layer, then an OCI image manifest tagged <paramref name="tag"/>; asserts every step.</summary>
    public async Task<TestImage> PushImageAsync(string repository, string tag, string token)
    {
        var config = Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"nonce":"{{Guid.NewGuid()}}"}""");
        var layer = RandomNumberGenerator.GetBytes(200);
        foreach (var blob in new[] { config, layer })
        {
            using var pushed = await PushBlobAsync(repository, blob, token);
            Assert.True(pushed.StatusCode == HttpStatusCode.Created, $"push blob: {(int)pushed.StatusCode} {await pushed.Content.ReadAsStringAsync()}");
        }

        var image = new TestImage(DigestOf(config), config.Length, DigestOf(layer), layer.Length);
        var manifest = image.Manifest();
        using var response = await PutManifestAsync(repository, tag, manifest, token);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"push manifest: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return image;
    }

    /// <summary>The admin pushes an image (a setup step for pull and delete checks).</summary>
    public async Task<TestImage> SeedImageAsync(string repository, string tag = "v1") =>
        await PushImageAsync(repository, tag, await AdminTokenAsync($"repository:{repository}:pull,push"));
}

/// <summary>A pushed image: its config and layer blobs; <see cref="Manifest"/> makes the manifest (a nonce keeps digests apart).</summary>
public sealed record TestImage(string ConfigDigest, long ConfigSize, string LayerDigest, long LayerSize)
{
    public byte[] Manifest(string? annotation = null) => JsonSerializer.SerializeToUtf8Bytes(new
    {
        schemaVersion = 2,
        mediaType = RegistryClient.OciManifest,
        config = new { mediaType = RegistryClient.OciConfig, digest = ConfigDigest, size = ConfigSize },
        layers = new[] { new { mediaType = RegistryClient.OciLayer, digest = LayerDigest, size = LayerSize } },
        annotations = new Dictionary<string, string> { ["test"] = annotation ?? "seed" },
    });

    public string ManifestDigest(string? annotation = null) => RegistryClient.DigestOf(Manifest(annotation));
}
