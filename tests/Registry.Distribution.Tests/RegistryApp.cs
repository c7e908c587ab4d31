extern alias standalone;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Registry.Testing;
using standalone::Registry.Standalone;

namespace Registry.Distribution.Tests;

/// <summary>
/// A host composed in this process from the same registration methods the real hosts call, listening on real
/// Kestrel at a free loopback port, so requests travel over real HTTP (chunked bodies, raw request lines).
/// Built directly rather than through WebApplicationFactory: its entry-point interception picked up the wrong host
/// when several hosts started at once under load.
/// </summary>
public abstract class InProcessHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    protected InProcessHost(IReadOnlyDictionary<string, string?> settings, Action<WebApplicationBuilder> compose, Action<WebApplication> map)
    {
        var builder = RegistryWebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        compose(builder);
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Warning" });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddProvider(Log);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        map(_app);
        _app.StartAsync().GetAwaiter().GetResult();
        BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public Uri BaseAddress { get; }

    /// <summary>The host's warnings and errors.</summary>
    public HostLog Log { get; } = new();

    public IServiceProvider Services => _app.Services;

    public OciClient CreateOciClient() => new(new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        BaseAddress = BaseAddress,
        Timeout = TimeSpan.FromMinutes(2),
    });

    public virtual async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// The single-process host (Registry.Standalone's composition) on a given data directory, with token checks off: these
/// tests are about the distribution API; Registry.Auth.Tests and the end-to-end tests cover it with auth on.
/// </summary>
public sealed class RegistryApp(string dataDirectory) : InProcessHost(
    new Dictionary<string, string?>
    {
        ["Storage:Driver"] = "FileSystem",
        ["Storage:RootDirectory"] = dataDirectory,
        ["Auth:Enabled"] = "false",
        ["Scanner:ScanOnPush"] = "false", // this suite is about distribution; the scanner suites push with it on
    },
    builder => builder.AddStandalone([]),
    app => app.MapStandalone())
{
    /// <summary>The registry's files: <c>&lt;data&gt;/registries/default</c>.</summary>
    public string RegistryDirectory => Path.Combine(dataDirectory, "registries", "default");
}

/// <summary>One host on a fresh temporary data directory, shared by the tests of a class; each test uses its own repositories.</summary>
public class RegistryFixture : IAsyncLifetime
{
    public RegistryFixture()
    {
        Root = Directory.CreateTempSubdirectory("registry-tests-").FullName;
        DataDirectory = Path.Combine(Root, "data");
        Directory.CreateDirectory(DataDirectory);
        App = new RegistryApp(DataDirectory);
        Client = App.CreateOciClient();
    }

    /// <summary>The temporary directory; the data directory is <c>data</c> inside it, so escapes can be detected next to it.</summary>
    public string Root { get; }

    public string DataDirectory { get; }

    public RegistryApp App { get; }

    public OciClient Client { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A fixture of its own for tests that look at the whole registry (catalog) or at the data directory.</summary>
public sealed class IsolatedRegistryFixture : RegistryFixture;
