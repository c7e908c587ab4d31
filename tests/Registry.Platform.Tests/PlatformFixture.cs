using System.Collections.Concurrent;
using System.Security.Cryptography;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Registry.Testing;

namespace Registry.Platform.Tests;

/// <summary>
/// The whole platform as <c>dotnet run --project AppHost</c> starts it — Redis, RabbitMQ and Azurite as local executables,
/// auth, two distribution replicas and the gateway — with a known admin password, once for all the tests of a class.
/// Clients reach it only through the gateway.
/// </summary>
public sealed class PlatformFixture : IAsyncLifetime
{
    public const string AdminUser = "admin";
    public const int DistributionReplicas = 2;
    public const int BasicReadsPerMinute = 20;

    /// <summary>The default registry's login server: the <c>service</c> of its challenges and the audience of its tokens.</summary>
    public const string DefaultLoginServer = "default.localhost";

    /// <summary>
    /// Longer than any test: a kept manifest answer that changes during a test can only have been dropped by an
    /// invalidation, never by its age.
    /// </summary>
    public static readonly TimeSpan ManifestCacheLifetime = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(8);

    private DistributedApplication? _app;

    /// <summary>Each resource's last state and health while starting, for the message when the start times out.</summary>
    private readonly ConcurrentDictionary<string, string> _startStates = new(StringComparer.Ordinal);

    public string AdminPassword { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("registry-platform-").FullName;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("the platform is not started");

    /// <summary>The gateway as clients reach it (<c>http://localhost:port/</c>).</summary>
    public Uri GatewayAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        try
        {
            var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Registry_AppHost>(
            [
                "Infrastructure:Mode=Executables",
                $"Infrastructure:DataDirectory={DataDirectory}",
                $"Distribution:Replicas={DistributionReplicas}",
                $"Parameters:registry-admin-password={AdminPassword}",
                // The tests' webhook receiver listens on loopback, which outbound safety refuses by default.
                "Webhooks:AllowPrivateNetworks=true",
                // The import test's source is this platform's own gateway, on loopback.
                "Import:AllowPrivateNetworks=true",
                // A Basic registry's reads run out quickly, so the rate test reaches 429 through the gateway.
                $"Tiers:Basic:ReadOpsPerMinute={BasicReadsPerMinute}",
                $"Gateway:ManifestCacheLifetime={ManifestCacheLifetime}",
            ]);
            appHost.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));

            _app = await appHost.BuildAsync();
            using var cancellation = new CancellationTokenSource(StartTimeout);
            using var tracking = CancellationTokenSource.CreateLinkedTokenSource(cancellation.Token);
            var tracked = TrackStartStatesAsync(tracking.Token);
            await _app.StartAsync(cancellation.Token);
            await _app.ResourceNotifications.WaitForResourceHealthyAsync("auth", cancellation.Token);
            await WaitForHealthyReplicasAsync("distribution", DistributionReplicas, cancellation.Token);
            await _app.ResourceNotifications.WaitForResourceHealthyAsync("webhooks", cancellation.Token);
            await _app.ResourceNotifications.WaitForResourceHealthyAsync("replication", cancellation.Token);
            await _app.ResourceNotifications.WaitForResourceHealthyAsync("scanner", cancellation.Token);
            await _app.ResourceNotifications.WaitForResourceHealthyAsync("gateway", cancellation.Token);

            using var client = _app.CreateHttpClient("gateway");
            GatewayAddress = client.BaseAddress!;
            await tracking.CancelAsync();
            await tracked;
        }
        catch (Exception ex)
        {
            await DisposeAsync();
            if (ex is OperationCanceledException)
            {
                // Aspire's "-rebuilder-" companions never start in a test run; they would only be noise here.
                var states = string.Join("; ", _startStates
                    .Where(state => !state.Key.Contains("-rebuilder-", StringComparison.Ordinal))
                    .OrderBy(state => state.Key, StringComparer.Ordinal)
                    .Select(state => $"{state.Key}: {state.Value}"));
                throw new TimeoutException(
                    $"the platform (auth, {DistributionReplicas} distribution replicas, webhooks, replication, scanner, gateway) was not healthy within {StartTimeout}; " +
                    $"resources then: {states}", ex);
            }

            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            using (var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
            {
                try
                {
                    await _app.StopAsync(cancellation.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }

            await _app.DisposeAsync();
            _app = null;
        }

        TestDirectories.TryDelete(DataDirectory);
    }

    /// <summary>A client of the gateway (no credentials; each test gets its own tokens).</summary>
    public HttpClient CreateGatewayClient() => App.CreateHttpClient("gateway");

    private async Task TrackStartStatesAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var notification in App.ResourceNotifications.WatchAsync(cancellationToken))
            {
                _startStates[notification.ResourceId] = $"{notification.Snapshot.State?.Text ?? "unknown"}, {notification.Snapshot.HealthStatus?.ToString() ?? "no health yet"}";
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Waits until <paramref name="count"/> distinct replicas of a project report healthy, so reads really spread.</summary>
    private async Task WaitForHealthyReplicasAsync(string resource, int count, CancellationToken cancellationToken)
    {
        var healthy = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var notification in App.ResourceNotifications.WatchAsync(cancellationToken))
        {
            if (notification.Resource.Name == resource && notification.Snapshot.HealthStatus == HealthStatus.Healthy)
            {
                healthy.Add(notification.ResourceId);
                if (healthy.Count >= count)
                {
                    return;
                }
            }
        }
    }
}
