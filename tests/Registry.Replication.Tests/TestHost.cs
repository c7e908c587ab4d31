extern alias standalone;

using Microsoft.Extensions.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Registry.Testing;
using standalone::Registry.Standalone;

namespace Registry.Replication.Tests;

/// <summary>
/// The single process (front door, auth, distribution, webhooks, replication, in-memory bus) composed in this test process
/// with the same <c>AddStandalone</c> / <c>MapStandalone</c> its Program calls, on filesystem storage in a temporary data
/// directory of its own (deleted on dispose; or a given one, for a restart), listening on real Kestrel at a free loopback
/// port. Token auth is on; the default registry's admin user is <see cref="AdminUsername"/> with <see cref="AdminPassword"/>.
/// </summary>
public sealed class TestHost : IAsyncDisposable
{
    public const string Registry = "default";

    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(30);

    private readonly WebApplication _app;
    private readonly bool _ownsDataDirectory;
    private int _disposed;

    private TestHost(WebApplication app, HostLog log, string dataDirectory, bool ownsDataDirectory, string adminUsername, string adminPassword)
    {
        _app = app;
        _ownsDataDirectory = ownsDataDirectory;
        Log = log;
        DataDirectory = dataDirectory;
        AdminUsername = adminUsername;
        AdminPassword = adminPassword;
        BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    /// <summary><c>http://127.0.0.1:port/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary><c>127.0.0.1:port</c>, as clients name the registry.</summary>
    public string Host => BaseAddress.Authority;

    public string DataDirectory { get; }

    public string AdminUsername { get; }

    public string AdminPassword { get; }

    /// <summary><c>user:password</c> of the admin user, as skopeo's <c>--creds</c> takes it.</summary>
    public string AdminCreds => $"{AdminUsername}:{AdminPassword}";

    /// <summary>The host's warnings and errors.</summary>
    public HostLog Log { get; }

    /// <summary>
    /// Starts a host. <paramref name="settings"/> go over the base settings: storage, the admin user, webhook deliveries to
    /// loopback allowed and retried quickly. Imports from loopback are NOT allowed unless the settings say so
    /// (<c>Import:AllowPrivateNetworks</c>).
    /// </summary>
    /// <param name="dataDirectory">An existing data directory (a restart), which the caller deletes; by default a new one the host deletes.</param>
    /// <param name="adminPassword">The admin's password (the same again on a restart); by default a random one.</param>
    public static async Task<TestHost> StartAsync(
        string adminUsername, IReadOnlyDictionary<string, string?>? settings = null, string? dataDirectory = null, string? adminPassword = null)
    {
        var ownsDataDirectory = dataDirectory is null;
        dataDirectory ??= Directory.CreateTempSubdirectory("registry-replication-tests-").FullName;
        adminPassword ??= "Replication-tests-" + Guid.NewGuid().ToString("N")[..16];
        var all = new Dictionary<string, string?>
        {
            ["Storage:Driver"] = "FileSystem",
            ["Storage:RootDirectory"] = dataDirectory,
            ["REGISTRY_ADMIN_USERNAME"] = adminUsername,
            ["REGISTRY_ADMIN_PASSWORD"] = adminPassword,
            ["Webhooks:AllowPrivateNetworks"] = "true",
            ["Webhooks:InitialRetryDelay"] = "00:00:00.200",
            ["Webhooks:MaxRetryDelay"] = "00:00:01.500",
            ["Webhooks:RecoveryInterval"] = "00:00:01",
            ["Outbox:SweepInterval"] = "00:00:00.500",
            ["Outbox:ClaimAge"] = "00:00:01",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        try
        {
            var builder = RegistryWebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });

            // The settings go in before the composition (some registrations read configuration while registering) and
            // again after it, over the defaults the standalone composition adds (its data directory).
            builder.Configuration.AddInMemoryCollection(all);
            builder.AddStandalone([]);
            builder.Configuration.AddInMemoryCollection(all);
            var log = new HostLog();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Logging.AddProvider(log);
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            app.MapStandalone();
            await app.StartAsync();
            return new TestHost(app, log, dataDirectory, ownsDataDirectory, adminUsername, adminPassword);
        }
        catch
        {
            if (ownsDataDirectory)
            {
                TestDirectories.TryDelete(dataDirectory);
            }

            throw;
        }
    }

    /// <summary>The host's last warnings and errors, for failure messages.</summary>
    public string Describe() => Log.Lines.Count == 0
        ? $"host {Host}: no warnings or errors logged"
        : $"host {Host} logged:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", Log.Lines.TakeLast(30));

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            try
            {
                await _app.StopAsync().WaitAsync(StopLimit);
                await _app.DisposeAsync();
            }
            catch (TimeoutException)
            {
                // Left behind rather than holding up the run; the data directory goes anyway.
            }

            if (_ownsDataDirectory)
            {
                TestDirectories.TryDelete(DataDirectory);
            }
        }
    }
}
