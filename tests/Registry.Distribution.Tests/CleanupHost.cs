extern alias standalone;

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Registry.Security;
using standalone::Registry.Standalone;

namespace Registry.Distribution.Tests;

/// <summary>
/// The single process with the admin user known (the clean-up and usage API takes management credentials), token checks
/// on /v2 off, the background clean-up off (tests run passes themselves), and the registry's policies set by the test.
/// </summary>
public sealed class CleanupHost : IAsyncDisposable
{
    public const string AdminUsername = "admin";
    public const string AdminPassword = "Cleanup-tests-0f-the-admin";

    private readonly WebApplication _app;
    private readonly string _root;

    public CleanupHost(IReadOnlyDictionary<string, string?>? settings = null)
    {
        _root = Directory.CreateTempSubdirectory("registry-cleanup-tests-").FullName;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.AddStandalone([]);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Driver"] = "FileSystem",
            ["Storage:RootDirectory"] = Path.Combine(_root, "data"),
            ["Auth:Enabled"] = "false",
            ["REGISTRY_ADMIN_USERNAME"] = AdminUsername,
            ["REGISTRY_ADMIN_PASSWORD"] = AdminPassword,
            ["Scanner:ScanOnPush"] = "false",
            ["Cleanup:Enabled"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        var directory = builder.Services.Last(service => service.ServiceType == typeof(IRegistryDirectory));
        builder.Services.AddSingleton<IRegistryDirectory>(services => new PolicyDirectory(
            (IRegistryDirectory)(directory.ImplementationFactory?.Invoke(services) ?? directory.ImplementationInstance!), this));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapStandalone();
        _app.StartAsync().GetAwaiter().GetResult();
        var address = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        Client = new OciClient(new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) });
    }

    /// <summary>The default registry's policies as every service sees them.</summary>
    public RegistryPolicies Policies { get; set; } = new();

    public OciClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public T Service<T>()
        where T : notnull => _app.Services.GetRequiredService<T>();

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

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private sealed class PolicyDirectory(IRegistryDirectory inner, CleanupHost host) : IRegistryDirectory
    {
        public async ValueTask<RegistryInfo?> FindAsync(string name, CancellationToken cancellationToken) =>
            await inner.FindAsync(name, cancellationToken) is { } info ? info with { Policies = host.Policies } : null;
    }
}

/// <summary>A clean-up host per test class.</summary>
public sealed class CleanupHostFixture : IAsyncLifetime
{
    public CleanupHost Host { get; } = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
