using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Registry.Webhooks.Tests;

/// <summary>A manifest the tests pushed: where, and what the registry must report about it.</summary>
public sealed record PushedManifest(string Repository, string? Tag, string Digest, long Size, string MediaType, string RequestId);

/// <summary>
/// Speaks to a host over real HTTP as the admin of the default registry: the webhooks management API (Basic
/// credentials), and a tiny OCI push and delete through <c>/v2</c> with a token fetched the way docker does (the
/// realm and service of the 401 challenge, Basic credentials, the repository's scope).
/// </summary>
public sealed partial class RegistryApi(HttpClient http) : IDisposable
{
    public const string UserAgent = "registry-webhooks-tests/1.0";
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string HelmConfig = "application/vnd.cncf.helm.config.v1+json";
    public const string HelmChartLayer = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
    public const string WebhooksPath = "/api/registries/" + TestHost.Registry + "/webhooks";

    private readonly ConcurrentDictionary<string, string?> _tokens = new(StringComparer.Ordinal);

    /// <summary>The host:port the client addresses (the <c>request.host</c> of the events it causes).</summary>
    public string Host => $"{http.BaseAddress!.Host}:{http.BaseAddress.Port}";

    public static string NewName(string prefix) => prefix + Guid.NewGuid().ToString("N")[..12];

    public static string NewRepository(string prefix) => $"{prefix}{Guid.NewGuid().ToString("N")[..10]}/app";

    public static string WebhookPath(string webhook) => "/" + webhook;

    // ---- management API ----

    /// <summary>A management call below <see cref="WebhooksPath"/> as the admin (with this password; none when null).</summary>
    public Task<HttpResponseMessage> ManageAsync(HttpMethod method, string relativePath, object? body = null, string? password = TestHost.AdminPassword) =>
        SendAsync(method, WebhooksPath + relativePath, body, password);

    /// <summary>A request to an absolute path (a <c>nextLink</c>) as the admin (with this password; none when null).</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, string? password = TestHost.AdminPassword)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = password is null ? null : Basic(password);
        return await http.SendAsync(request);
    }

    /// <summary>A management call that must succeed; its JSON body (default when empty).</summary>
    public Task<JsonElement> ManageOkAsync(HttpMethod method, string relativePath, object? body = null) => OkAsync(method, WebhooksPath + relativePath, body);

    /// <summary>A call to an absolute path that must succeed; its JSON body (default when empty).</summary>
    public async Task<JsonElement> OkAsync(HttpMethod method, string path, object? body = null)
    {
        using var response = await SendAsync(method, path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Creates a webhook (201) with these <c>properties</c>; returns the resource.</summary>
    public async Task<JsonElement> CreateWebhookAsync(string name, object properties)
    {
        using var response = await ManageAsync(HttpMethod.Put, "/" + name, new { properties });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"create webhook {name}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public Task<JsonElement> WebhookAsync(string name) => ManageOkAsync(HttpMethod.Get, "/" + name);

    /// <summary>One delivery with every attempt.</summary>
    public Task<JsonElement> EventAsync(string webhook, string id) => ManageOkAsync(HttpMethod.Get, $"/{webhook}/events/{id}");

    /// <summary>Every delivery of the webhook (all pages), newest first, without attempts.</summary>
    public async Task<List<JsonElement>> EventsAsync(string webhook)
    {
        var events = new List<JsonElement>();
        string? next = $"{WebhooksPath}/{webhook}/events";
        while (next is not null)
        {
            var page = await OkAsync(HttpMethod.Get, next);
            events.AddRange(page.GetProperty("value").EnumerateArray());
            next = page.TryGetProperty("nextLink", out var link) && link.ValueKind == JsonValueKind.String ? link.GetString() : null;
        }

        return events;
    }

    /// <summary>
    /// Polls the webhook's history until <paramref name="count"/> deliveries are finished (delivered or failed); returns
    /// them with every attempt, oldest first.
    /// </summary>
    public async Task<List<JsonElement>> WaitForFinishedAsync(string webhook, int count, TimeSpan timeout)
    {
        List<JsonElement> seen = [];
        var finished = await Eventually.GetAsync(
            async () =>
            {
                seen = await EventsAsync(webhook);
                var done = seen.Where(delivery => delivery.GetProperty("status").GetString() != "pending").ToList();
                return done.Count >= count ? done : null;
            },
            timeout,
            () => $"{count} finished deliveries of {webhook}; history: " +
                string.Join(", ", seen.Select(delivery => $"{delivery.GetProperty("id").GetString()}={delivery.GetProperty("status").GetString()}")));

        var full = new List<JsonElement>();
        foreach (var delivery in finished.AsEnumerable().Reverse())
        {
            full.Add(await EventAsync(webhook, delivery.GetProperty("id").GetString()!));
        }

        return full;
    }

    /// <summary>Polls one delivery until <paramref name="until"/> holds for it (with every attempt); returns it.</summary>
    public async Task<JsonElement> WaitForEventAsync(string webhook, string id, Func<JsonElement, bool> until, TimeSpan timeout, string what)
    {
        var last = string.Empty;
        JsonElement delivery = default;
        await Eventually.UntilAsync(
            async () =>
            {
                using var response = await ManageAsync(HttpMethod.Get, $"/{webhook}/events/{id}");
                last = await response.Content.ReadAsStringAsync();
                return response.IsSuccessStatusCode && until(delivery = JsonDocument.Parse(last).RootElement.Clone());
            },
            timeout,
            () => $"delivery {id} of {webhook} {what}; last: {last}");
        return delivery;
    }

    /// <summary>Polls until the webhook has one delivery at least (finished or not); returns its id.</summary>
    public Task<string> WaitForFirstDeliveryIdAsync(string webhook, TimeSpan timeout) => Eventually.GetAsync(
        async () => (await EventsAsync(webhook)).Select(delivery => delivery.GetProperty("id").GetString()).FirstOrDefault(),
        timeout,
        () => $"a delivery of {webhook}");

    // ---- OCI ----

    public static string DigestOf(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>
    /// Pushes a config blob and a layer, then an OCI image manifest referring to them (by <paramref name="tag"/>, or by
    /// digest when null), with our own request id; asserts 201 at every step. A nonce makes every manifest unique.
    /// </summary>
    public async Task<PushedManifest> PushAsync(string repository, string? tag, string configMediaType = OciConfig, string layerMediaType = OciLayer)
    {
        var config = configMediaType == HelmConfig
            ? Encoding.UTF8.GetBytes($$"""{"apiVersion":"v2","name":"{{repository[(repository.LastIndexOf('/') + 1)..]}}","version":"{{tag ?? "0.0.0"}}","description":"{{Guid.NewGuid()}}"}""")
            : Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"nonce":"{{Guid.NewGuid()}}"}""");
        var layer = RandomNumberGenerator.GetBytes(256);
        foreach (var blob in new[] { config, layer })
        {
            using var pushed = await SendV2Async(repository, () => new HttpRequestMessage(HttpMethod.Post, $"/v2/{repository}/blobs/uploads/?digest={DigestOf(blob)}")
            {
                Content = new ByteArrayContent(blob),
            });
            Assert.True(pushed.StatusCode == HttpStatusCode.Created, $"push blob to {repository}: {(int)pushed.StatusCode} {await pushed.Content.ReadAsStringAsync()}");
        }

        var manifest = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = OciManifest,
            config = new { mediaType = configMediaType, digest = DigestOf(config), size = config.Length },
            layers = new[] { new { mediaType = layerMediaType, digest = DigestOf(layer), size = layer.Length } },
        });
        var requestId = "req" + Guid.NewGuid().ToString("N");
        using var response = await SendV2Async(repository, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, $"/v2/{repository}/manifests/{tag ?? DigestOf(manifest)}") { Content = new ByteArrayContent(manifest) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(OciManifest);
            request.Headers.TryAddWithoutValidation("X-Request-Id", requestId);
            return request;
        });
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"push manifest {repository}:{tag}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal(DigestOf(manifest), response.Headers.GetValues("Docker-Content-Digest").Single());
        return new PushedManifest(repository, tag, DigestOf(manifest), manifest.Length, OciManifest, requestId);
    }

    /// <summary>Pushes <paramref name="count"/> manifests to <paramref name="repository"/>, tagged <c>v0</c>, <c>v1</c>, … in turn.</summary>
    public async Task<List<PushedManifest>> PushTagsAsync(string repository, int count)
    {
        var pushed = new List<PushedManifest>();
        for (var i = 0; i < count; i++)
        {
            pushed.Add(await PushAsync(repository, $"v{i}"));
        }

        return pushed;
    }

    /// <summary><c>DELETE /v2/{repository}/manifests/{reference}</c> (a tag or a digest); asserts 202.</summary>
    public async Task DeleteManifestAsync(string repository, string reference)
    {
        using var response = await SendV2Async(repository, () => new HttpRequestMessage(HttpMethod.Delete, $"/v2/{repository}/manifests/{reference}"));
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"delete {repository}/{reference}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>ACR's <c>DELETE /acr/v1/{repository}</c>: the whole repository; asserts 202.</summary>
    public async Task DeleteRepositoryAsync(string repository)
    {
        using var response = await SendV2Async(repository, () => new HttpRequestMessage(HttpMethod.Delete, $"/acr/v1/{repository}"));
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"delete repository {repository}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public void Dispose() => http.Dispose();

    /// <summary>Sends a <c>/v2</c> request with the repository's token (none when the host does not ask for one).</summary>
    private async Task<HttpResponseMessage> SendV2Async(string repository, Func<HttpRequestMessage> create)
    {
        var token = _tokens.TryGetValue(repository, out var cached) ? cached : _tokens[repository] = await TokenAsync(repository);
        using var request = create();
        request.Headers.UserAgent.ParseAdd(UserAgent);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await http.SendAsync(request);
    }

    /// <summary>The challenge of <c>GET /v2/</c> names the token realm and service; the admin asks there for pull, push and delete.</summary>
    private async Task<string?> TokenAsync(string repository)
    {
        using var probe = await http.GetAsync(new Uri("/v2/", UriKind.Relative));
        if (probe.StatusCode != HttpStatusCode.Unauthorized)
        {
            return null;
        }

        var challenge = probe.Headers.WwwAuthenticate.Single(header => header.Scheme == "Bearer").Parameter!;
        var parameters = ChallengeParameter().Matches(challenge).ToDictionary(match => match.Groups[1].Value, match => match.Groups[2].Value, StringComparer.Ordinal);
        var address = $"{parameters["realm"]}?service={Uri.EscapeDataString(parameters["service"])}&scope={Uri.EscapeDataString($"repository:{repository}:pull,push,delete")}";
        using var request = new HttpRequestMessage(HttpMethod.Get, address);
        request.Headers.Authorization = Basic(TestHost.AdminPassword);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"token for {repository}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("token").GetString();
    }

    private static AuthenticationHeaderValue Basic(string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestHost.AdminUsername}:{password}")));

    [GeneratedRegex("(\\w+)=\"([^\"]*)\"")]
    private static partial Regex ChallengeParameter();
}
