extern alias standalone;

using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Registry.Auth;
using Registry.Distribution;
using Registry.Distribution.Apis;
using Registry.Messaging;
using Registry.Security;
using standalone::Registry.Standalone;

namespace Registry.Webhooks.Tests;

/// <summary>
/// A host composed in this process from the same registration methods the real hosts call (the single process, or one
/// service of the platform), on filesystem storage in a given directory, listening on real Kestrel at a free loopback
/// port. Built directly rather than through WebApplicationFactory, as in the other test projects.
/// </summary>
public sealed class TestHost : IAsyncDisposable
{
    public const string AdminUsername = "admin";
    public const string AdminPassword = "Webhook-tests-0f-the-admin";
    public const string Registry = "default";

    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(90);

    private readonly WebApplication _app;
    private int _disposed;

    private TestHost(WebApplication app, HostLog log)
    {
        _app = app;
        Log = log;
        BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>The host's warnings and errors.</summary>
    public HostLog Log { get; }

    /// <summary>
    /// What every host of these tests runs with: short retry delays and outbox sweeps so that waiting tests are quick,
    /// deliveries to the loopback receiver allowed, the admin user of the default registry known.
    /// </summary>
    public static Dictionary<string, string?> BaseSettings(string dataDirectory) => new()
    {
        ["Storage:Driver"] = "FileSystem",
        ["Storage:RootDirectory"] = dataDirectory,
        ["REGISTRY_ADMIN_USERNAME"] = AdminUsername,
        ["REGISTRY_ADMIN_PASSWORD"] = AdminPassword,
        ["Webhooks:AllowPrivateNetworks"] = "true",
        ["Scanner:ScanOnPush"] = "false", // the scanner's own suites cover its events; here every delivery is a user's change
        ["Webhooks:InitialRetryDelay"] = "00:00:00.200",
        ["Webhooks:MaxRetryDelay"] = "00:00:01.500",
        ["Webhooks:MaxAttempts"] = "5",
        ["Webhooks:RecoveryInterval"] = "00:00:01",
        ["Outbox:SweepInterval"] = "00:00:00.500",
        ["Outbox:ClaimAge"] = "00:00:01",
        ["Outbox:PublishTimeout"] = "00:00:02",
        ["Logging:LogLevel:Default"] = "Warning",
    };

    /// <summary>The single process (front door, auth, distribution, webhooks, in-memory bus) with auth on.</summary>
    public static Task<TestHost> StandaloneAsync(string dataDirectory, IReadOnlyDictionary<string, string?>? settings = null) =>
        StartAsync(With(BaseSettings(dataDirectory), settings), builder => builder.AddStandalone([]), app => app.MapStandalone());

    /// <summary>The auth service of the platform: token server, management authorization, registry directory.</summary>
    public static Task<TestHost> AuthAsync(string dataDirectory) => StartAsync(
        BaseSettings(dataDirectory),
        builder =>
        {
            builder.AddServiceDefaults();
            builder.AddAuth();
        },
        app =>
        {
            app.UseGatewayForwardedHeaders();
            app.MapDefaultEndpoints();
            app.MapAuth();
        });

    /// <summary>The distribution service of the platform (token checks off: these tests are about events), on RabbitMQ.</summary>
    public static Task<TestHost> DistributionAsync(string dataDirectory, string messaging) => StartAsync(
        With(BaseSettings(dataDirectory), new Dictionary<string, string?> { ["Auth:Enabled"] = "false", ["ConnectionStrings:messaging"] = messaging }),
        builder =>
        {
            builder.AddServiceDefaults();
            builder.AddDistribution();
            builder.AddRegistryBus();
            builder.Services.AddSingleton<Registry.Security.IRegistryDirectory>(new FixedRegistryDirectory()); // no auth service here
            WaitForTheBus(builder);
        },
        app =>
        {
            app.UseGatewayForwardedHeaders();
            app.MapDefaultEndpoints();
            app.MapDistributionApi();
        });

    /// <summary>
    /// The webhooks service of the platform, as its Program composes it, on RabbitMQ. Management calls are authorized by
    /// the auth service at <paramref name="authority"/> over HTTP (<c>Auth:Authority</c>), as in the platform. Its queues'
    /// names start with <paramref name="queuePrefix"/>: one test's hosts never take another test's messages.
    /// </summary>
    public static Task<TestHost> WebhooksAsync(
        string dataDirectory, string messaging, Uri authority, string queuePrefix, IReadOnlyDictionary<string, string?>? settings = null) => StartAsync(
        With(BaseSettings(dataDirectory), new Dictionary<string, string?>
        {
            ["ConnectionStrings:messaging"] = messaging,
            ["Auth:Authority"] = authority.ToString(),
        }, settings),
        builder =>
        {
            builder.AddServiceDefaults();
            builder.AddWebhooks();
            builder.AddRegistryConsumers(bus => bus.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(queuePrefix, includeNamespace: false)));
            builder.AddRegistryBus();
            WaitForTheBus(builder);
        },
        app =>
        {
            app.UseGatewayForwardedHeaders();
            app.MapDefaultEndpoints();
            app.MapWebhooks();
        });

    public RegistryApi CreateApi() => new(new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        BaseAddress = BaseAddress,
        Timeout = TimeSpan.FromMinutes(1),
    });

    /// <summary>
    /// Stops the host (graceful shutdown: consumers drained, deliveries in flight abandoned to recovery); idempotent.
    /// A host whose bus does not stop within <see cref="StopLimit"/> is left behind rather than holding up the run: seen
    /// once, after a broker restart, with a MassTransit receive endpoint waiting forever for the broker to answer its
    /// topology declarations (the stop waits for it and ignores its own timeout).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            try
            {
                await _app.StopAsync().WaitAsync(StopLimit);
            }
            catch (TimeoutException)
            {
                return;
            }

            await _app.DisposeAsync();
        }
    }

    private static async Task<TestHost> StartAsync(IReadOnlyDictionary<string, string?> settings, Action<WebApplicationBuilder> compose, Action<WebApplication> map)
    {
        var builder = RegistryWebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });

        // Some registrations read configuration while registering (the bus reads ConnectionStrings:messaging), so the
        // settings go in first; and again afterwards, over the defaults a composition adds (the standalone data directory).
        builder.Configuration.AddInMemoryCollection(settings);
        compose(builder);
        builder.Configuration.AddInMemoryCollection(settings);
        var log = new HostLog();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddProvider(log);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return new TestHost(app, log);
    }

    /// <summary>
    /// The services start their bus in the background (a broker that is down must not stop a service from starting).
    /// A test that stops a host soon after starting it must find the bus started, else MassTransit cannot stop it
    /// ("Not Started") and the bus of the stopped host goes on consuming (with a disposed container, so the messages end
    /// in the error queue) beside the next host; so these hosts start only once their bus has.
    /// </summary>
    private static void WaitForTheBus(WebApplicationBuilder builder) => builder.Services.Configure<MassTransitHostOptions>(options =>
    {
        options.WaitUntilStarted = true;
        options.StartTimeout = TimeSpan.FromSeconds(120);
        options.StopTimeout = TimeSpan.FromSeconds(30);
    });

    private static Dictionary<string, string?> With(Dictionary<string, string?> settings, params IReadOnlyDictionary<string, string?>?[] overrides)
    {
        foreach (var (key, value) in overrides.OfType<IReadOnlyDictionary<string, string?>>().SelectMany(pairs => pairs))
        {
            settings[key] = value;
        }

        return settings;
    }
}
