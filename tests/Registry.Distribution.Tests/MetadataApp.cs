extern alias standalone;

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Registry.Security;
using standalone::Registry.Standalone;

namespace Registry.Distribution.Tests;

/// <summary>
/// The single-process host as <see cref="RegistryApp"/>, with pull statistics flushed every 200 ms and the registry
/// directory's immutable-tags policy settable by the test (the auth service's PATCH of policies is not this suite's).
/// </summary>
public sealed class MetadataApp(string dataDirectory, PolicySwitch policy) : InProcessHost(
    new Dictionary<string, string?>
    {
        ["Storage:Driver"] = "FileSystem",
        ["Storage:RootDirectory"] = dataDirectory,
        ["Auth:Enabled"] = "false",
        ["Scanner:ScanOnPush"] = "false",
        ["Distribution:PullStatisticsFlushInterval"] = "00:00:00.200",
    },
    builder =>
    {
        builder.AddStandalone([]);
        PolicyDirectory.Overlay(builder, policies => policies with { ImmutableTags = policy.ImmutableTags });
    },
    app => app.MapStandalone())
{
    public string RegistryDirectory => Path.Combine(dataDirectory, "registries", "default");
}

/// <summary>Whether the test registry's immutable-tags policy is on.</summary>
public sealed class PolicySwitch
{
    public bool ImmutableTags { get; set; }
}

/// <summary>One <see cref="MetadataApp"/> on a fresh data directory per test class.</summary>
public class MetadataFixture : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("registry-metadata-tests-").FullName;

    public MetadataFixture()
    {
        App = new MetadataApp(Path.Combine(_root, "data"), Policy);
        Client = App.CreateOciClient();
    }

    public PolicySwitch Policy { get; } = new();

    public MetadataApp App { get; }

    public OciClient Client { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>The ACR repository API as the tests call it.</summary>
internal static class Acr
{
    public static async Task<JsonElement> GetAsync(OciClient client, string path)
    {
        using var response = await client.Http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<JsonElement> PatchAsync(OciClient client, string path, object change)
    {
        using var response = await client.Http.PatchAsync(path, JsonContent.Create(change));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"PATCH {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<string> DeniedMessageAsync(HttpResponseMessage response)
    {
        var error = await OciClient.AssertErrorAsync(response, HttpStatusCode.Forbidden, "DENIED");
        return error.GetProperty("message").GetString()!;
    }
}
