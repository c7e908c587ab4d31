using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Registry.Distribution.Tests;

/// <summary>A small OCI distribution client for the tests: push blobs and manifests, build random images, check errors.</summary>
public sealed class OciClient(HttpClient http) : IDisposable
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciEmpty = "application/vnd.oci.empty.v1+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayer = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public const string DockerSchema1 = "application/vnd.docker.distribution.manifest.v1+prettyjws";

    public HttpClient Http => http;

    public void Dispose() => http.Dispose();

    public static string NewRepository(string prefix = "test") => $"{prefix}/r{Guid.NewGuid():N}";

    public static byte[] RandomBytes(int length) => RandomNumberGenerator.GetBytes(length);

    public static string DigestOf(byte[] content, string algorithm = "sha256") => algorithm switch
    {
        "sha256" => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content)),
        "sha512" => "sha512:" + Convert.ToHexStringLower(SHA512.HashData(content)),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content = null, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        configure?.Invoke(request);
        return http.SendAsync(request);
    }

    /// <summary>Monolithic upload (<c>POST ?digest=</c>); asserts 201 and returns the digest.</summary>
    public async Task<string> PushBlobAsync(string repository, byte[] content, string algorithm = "sha256")
    {
        var digest = DigestOf(content, algorithm);
        using var response = await http.PostAsync($"/v2/{repository}/blobs/uploads/?digest={digest}", new ByteArrayContent(content));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return digest;
    }

    public Task<HttpResponseMessage> PutManifestAsync(string repository, string reference, byte[] manifest, string? mediaType, string query = "")
    {
        var content = new ByteArrayContent(manifest);
        if (mediaType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(mediaType);
        }

        return http.PutAsync($"/v2/{repository}/manifests/{reference}{query}", content);
    }

    /// <summary>Pushes a manifest and asserts 201 with the digest of exactly these bytes.</summary>
    public async Task<string> PushManifestAsync(string repository, string reference, byte[] manifest, string mediaType, string algorithm = "sha256")
    {
        using var response = await PutManifestAsync(repository, reference, manifest, mediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"PUT manifest: {(int)response.StatusCode} {body}");
        var digest = DigestOf(manifest, algorithm);
        Assert.Equal(digest, Header(response, "Docker-Content-Digest"));
        return digest;
    }

    /// <summary>Pushes a config and random layers, then an image manifest of <paramref name="mediaType"/> referring to them.</summary>
    public async Task<TestImage> PushImageAsync(
        string repository,
        string? tag = null,
        string mediaType = OciManifest,
        int layers = 2,
        JsonObject? subject = null,
        string? artifactType = null,
        string? configMediaType = null,
        IReadOnlyDictionary<string, string>? annotations = null)
    {
        var docker = mediaType == DockerManifest;
        var config = Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"nonce":"{{Guid.NewGuid()}}"}""");
        var configDescriptor = Descriptor(configMediaType ?? (docker ? DockerConfig : OciConfig), await PushBlobAsync(repository, config), config.Length);
        var layerDescriptors = new List<JsonObject>();
        for (var i = 0; i < layers; i++)
        {
            var layer = RandomBytes(100 + Random.Shared.Next(2000));
            layerDescriptors.Add(Descriptor(docker ? DockerLayer : OciLayer, await PushBlobAsync(repository, layer), layer.Length));
        }

        var manifest = ImageManifest(mediaType, configDescriptor, layerDescriptors, subject, artifactType, annotations);
        var digest = await PushManifestAsync(repository, tag ?? DigestOf(manifest), manifest, mediaType);
        return new TestImage(manifest, digest, mediaType);
    }

    public static JsonObject Descriptor(string mediaType, string digest, long size) => new()
    {
        ["mediaType"] = mediaType,
        ["digest"] = digest,
        ["size"] = size,
    };

    public static JsonObject Descriptor(TestImage image) => Descriptor(image.MediaType, image.Digest, image.Manifest.Length);

    public static byte[] ImageManifest(
        string mediaType,
        JsonObject config,
        IEnumerable<JsonObject> layers,
        JsonObject? subject = null,
        string? artifactType = null,
        IReadOnlyDictionary<string, string>? annotations = null)
    {
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = mediaType,
        };
        if (artifactType is not null)
        {
            manifest["artifactType"] = artifactType;
        }

        manifest["config"] = config.DeepClone();
        manifest["layers"] = new JsonArray([.. layers.Select(layer => (JsonNode)layer.DeepClone())]);
        if (subject is not null)
        {
            manifest["subject"] = subject.DeepClone();
        }

        if (annotations is not null)
        {
            manifest["annotations"] = Annotations(annotations);
        }

        return Encoding.UTF8.GetBytes(manifest.ToJsonString());
    }

    public static byte[] IndexManifest(
        string mediaType,
        IEnumerable<JsonObject> manifests,
        JsonObject? subject = null,
        string? artifactType = null,
        IReadOnlyDictionary<string, string>? annotations = null)
    {
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = mediaType,
        };
        if (artifactType is not null)
        {
            index["artifactType"] = artifactType;
        }

        index["manifests"] = new JsonArray([.. manifests.Select(m => (JsonNode)m.DeepClone())]);
        if (subject is not null)
        {
            index["subject"] = subject.DeepClone();
        }

        if (annotations is not null)
        {
            index["annotations"] = Annotations(annotations);
        }

        return Encoding.UTF8.GetBytes(index.ToJsonString());
    }

    public static JsonObject WithPlatform(JsonObject descriptor, string architecture, string os = "linux")
    {
        var copy = (JsonObject)descriptor.DeepClone();
        copy["platform"] = new JsonObject { ["architecture"] = architecture, ["os"] = os };
        return copy;
    }

    public static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.NonValidated.TryGetValues(name, out var values) ? values.ToString()
        : response.Content.Headers.NonValidated.TryGetValues(name, out var contentValues) ? contentValues.ToString()
        : null;

    /// <summary>Asserts the status and the OCI error body <c>{"errors":[{"code","message","detail"}]}</c>; returns the error.</summary>
    public static async Task<JsonElement> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status} {code}, got {(int)response.StatusCode}: {body}");
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(body);
        var errors = document.RootElement.GetProperty("errors");
        Assert.Equal(JsonValueKind.Array, errors.ValueKind);
        var error = Assert.Single(errors.EnumerateArray());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.True(error.TryGetProperty("detail", out _), $"error has no detail: {body}");
        Assert.All(error.EnumerateObject(), property => Assert.Contains(property.Name, new[] { "code", "message", "detail" }));
        return error.Clone();
    }

    private static JsonObject Annotations(IReadOnlyDictionary<string, string> annotations)
    {
        var result = new JsonObject();
        foreach (var (key, value) in annotations)
        {
            result[key] = value;
        }

        return result;
    }
}

public sealed record TestImage(byte[] Manifest, string Digest, string MediaType);
