extern alias standalone;

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Registry.Security;
using standalone::Registry.Standalone;

namespace Registry.Distribution.Tests;

/// <summary>
/// The single process with the admin user known (the clean-up and usage API takes management credentials), token checks
/// on /v2 off, the background clean-up off (tests run passes themselves), and the registry's policies set by the test.
/// </summary>
public sealed class CleanupHost : InProcessHost
{
    public const string AdminUsername = "admin";
    public const string AdminPassword = "Cleanup-tests-0f-the-admin";

    private readonly string _root;
    private readonly PolicyHolder _policies;

    public CleanupHost(IReadOnlyDictionary<string, string?>? settings = null)
        : this(Directory.CreateTempSubdirectory("registry-cleanup-tests-").FullName, new PolicyHolder(), settings)
    {
    }

    private CleanupHost(string root, PolicyHolder policies, IReadOnlyDictionary<string, string?>? settings)
        : base(
            new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
            {
                ["Storage:Driver"] = "FileSystem",
                ["Storage:RootDirectory"] = Path.Combine(root, "data"),
                ["Auth:Enabled"] = "false",
                ["REGISTRY_ADMIN_USERNAME"] = AdminUsername,
                ["REGISTRY_ADMIN_PASSWORD"] = AdminPassword,
                ["Scanner:ScanOnPush"] = "false",
                ["Cleanup:Enabled"] = "false",
            },
            builder =>
            {
                builder.AddStandalone([]);
                PolicyDirectory.Overlay(builder, _ => policies.Value);
            },
            app => app.MapStandalone())
    {
        _root = root;
        _policies = policies;
        Client = CreateOciClient();
    }

    /// <summary>The default registry's policies as every service sees them.</summary>
    public RegistryPolicies Policies
    {
        get => _policies.Value;
        set => _policies.Value = value;
    }

    public OciClient Client { get; }

    public T Service<T>()
        where T : notnull => Services.GetRequiredService<T>();

    /// <summary>A management call as the admin user; asserts the status and returns the JSON body (or an empty object).</summary>
    public async Task<JsonElement> ManageAsync(HttpMethod method, string path, object? body = null, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(method, $"/api/registries/default/{path}")
        {
            Content = body is null ? null : JsonContent.Create(body),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AdminUsername}:{AdminPassword}")));
        using var response = await Client.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{method} {path}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? JsonDocument.Parse("{}").RootElement : JsonDocument.Parse(text).RootElement.Clone();
    }

    public Task<JsonElement> PurgeAsync(object request) => ManageAsync(HttpMethod.Post, "purge", request);

    public Task<JsonElement> ReconcileUsageAsync() => ManageAsync(HttpMethod.Post, "usage/reconcile");

    /// <summary>Locks (or unlocks) a manifest through the ACR repository API.</summary>
    public async Task PatchManifestAsync(string repository, string digest, object attributes)
    {
        using var response = await Client.Http.PatchAsJsonAsync($"/acr/v1/{repository}/_manifests/{digest}", attributes);
        Assert.True(response.IsSuccessStatusCode, $"PATCH manifest: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public async Task<HttpStatusCode> ManifestStatusAsync(string repository, string reference)
    {
        using var response = await Client.SendAsync(HttpMethod.Get, $"/v2/{repository}/manifests/{reference}", configure: request =>
            request.Headers.Accept.ParseAdd($"{OciClient.OciManifest}, {OciClient.OciIndex}"));
        return response.StatusCode;
    }

    /// <summary>Asserts the manifest and every blob it refers to can be pulled, byte for byte.</summary>
    public async Task AssertPullableAsync(string repository, TestImage image)
    {
        using var response = await Client.SendAsync(HttpMethod.Get, $"/v2/{repository}/manifests/{image.Digest}", configure: request =>
            request.Headers.Accept.ParseAdd(image.MediaType));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(image.Manifest, await response.Content.ReadAsByteArrayAsync());
        using var manifest = JsonDocument.Parse(image.Manifest);
        var blobs = manifest.RootElement.GetProperty("layers").EnumerateArray().Append(manifest.RootElement.GetProperty("config"));
        foreach (var blob in blobs)
        {
            var digest = blob.GetProperty("digest").GetString()!;
            using var pulled = await Client.SendAsync(HttpMethod.Get, $"/v2/{repository}/blobs/{digest}");
            Assert.True(pulled.StatusCode == HttpStatusCode.OK, $"blob {digest} of {repository}@{image.Digest}: {(int)pulled.StatusCode}");
            Assert.Equal(digest, OciClient.DigestOf(await pulled.Content.ReadAsByteArrayAsync()));
        }
    }

    public override async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await base.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private sealed class PolicyHolder
    {
        public RegistryPolicies Value { get; set; } = new();
    }
}

/// <summary>A clean-up host per test class.</summary>
public sealed class CleanupHostFixture : IAsyncLifetime
{
    public CleanupHost Host { get; } = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
