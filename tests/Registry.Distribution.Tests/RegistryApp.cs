extern alias standalone;

using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StandaloneProgram = standalone::Program;

namespace Registry.Distribution.Tests;

/// <summary>
/// The single-process host (Registry.Standalone) on real Kestrel and a given data directory, so requests travel
/// over real HTTP (chunked bodies, raw request lines) exactly as docker's would.
/// </summary>
public sealed class RegistryApp : WebApplicationFactory<StandaloneProgram>
{
    private readonly string _dataDirectory;

    public RegistryApp(string dataDirectory)
    {
        _dataDirectory = dataDirectory;
        UseKestrel(0);
    }

    /// <summary>The registry's files: <c>&lt;data&gt;/registries/default</c>.</summary>
    public string RegistryDirectory => Path.Combine(_dataDirectory, "registries", "default");

    public Uri BaseAddress
    {
        get
        {
            Start();
            var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
            return new Uri(addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
        }
    }

    /// <summary>
    /// Hosts are started one at a time: the minimal-hosting factory finds the app's host through a process-wide
    /// DiagnosticListener, and concurrent starts can pick up each other's builder.
    /// </summary>
    public void Start()
    {
        lock (HostStarts.Lock)
        {
            StartServer();
        }
    }

    public OciClient CreateOciClient()
    {
        Start();
        var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromMinutes(2),
        };
        return new OciClient(http);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Driver"] = "FileSystem",
            ["Storage:RootDirectory"] = _dataDirectory,
            ["Logging:LogLevel:Default"] = "Warning",
        }));
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
    }
}

/// <summary>
/// Every in-process host of this assembly starts under this one lock: the minimal-hosting factory finds the app's
/// host through a process-wide DiagnosticListener, so two hosts of any kind starting at once can take each other's builder.
/// </summary>
internal static class HostStarts
{
    public static readonly Lock Lock = new();
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
