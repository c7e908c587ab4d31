extern alias standalone;

using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using standalone::Registry.Standalone;

namespace Registry.Auth.Tests;

/// <summary>
/// The single-process host (Registry.Standalone's composition: front door, auth, distribution) with auth on, on a
/// temporary data directory, listening on real Kestrel at a free loopback port. The admin user of the default registry
/// comes from <c>REGISTRY_ADMIN_USERNAME</c> / <c>REGISTRY_ADMIN_PASSWORD</c>. Its clock can be moved forward and
/// its log is captured (Information and up) so tests can look at audit events.
/// Built directly rather than through WebApplicationFactory (see Registry.Distribution.Tests' InProcessHost).
/// </summary>
public sealed class AuthHost : IAsyncDisposable
{
    public const string AdminUsername = "admin";
    public const string AdminPassword = "Tr0ub4dor-and-3-horses";
    public const string DefaultRegistry = "default";
    public const string Domain = "localhost";

    private readonly WebApplication _app;

    private AuthHost(WebApplication app, string dataDirectory, TestClock clock, LogCapture logs)
    {
        _app = app;
        DataDirectory = dataDirectory;
        Clock = clock;
        Logs = logs;
        BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public Uri BaseAddress { get; }

    public int Port => BaseAddress.Port;

    public string DataDirectory { get; }

    public TestClock Clock { get; }

    public LogCapture Logs { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<AuthHost> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var clock = new TestClock();
        var logs = new LogCapture();
        var builder = RegistryWebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.AddStandalone([]);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Driver"] = "FileSystem",
            ["Storage:RootDirectory"] = dataDirectory,
            ["REGISTRY_ADMIN_USERNAME"] = AdminUsername,
            ["REGISTRY_ADMIN_PASSWORD"] = AdminPassword,
            // Every test of a host logs in from 127.0.0.1: only the throttling tests want the brake to bite.
            ["Auth:MaxFailedLoginsPerClient"] = "100000",
            ["Auth:MaxFailedLoginsPerIdentity"] = "100000",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddProvider(logs);
        builder.Logging.AddFilter<LogCapture>(null, LogLevel.Information);
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapStandalone();
        await app.StartAsync();
        return new AuthHost(app, dataDirectory, clock, logs);
    }

    public HttpClient CreateHttpClient() => new(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        BaseAddress = BaseAddress,
        Timeout = TimeSpan.FromMinutes(1),
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>The system clock plus an offset the test moves forward (credential expiry, failed-login windows).</summary>
public sealed class TestClock : TimeProvider
{
    private long _offsetTicks;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
}

/// <summary>Every log entry of the host (message and structured properties), for the audit and no-secrets-logged checks.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var properties = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.ToDictionary(pair => pair.Key, pair => pair.Value?.ToString(), StringComparer.Ordinal)
                : new Dictionary<string, string?>(StringComparer.Ordinal);
            entries.Enqueue(new LogEntry(category, logLevel, formatter(state, exception), properties, exception?.ToString()));
        }
    }
}

public sealed record LogEntry(string Category, LogLevel Level, string Message, IReadOnlyDictionary<string, string?> Properties, string? Exception);
