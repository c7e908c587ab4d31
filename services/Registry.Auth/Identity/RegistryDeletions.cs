using Registry.Security;
using Registry.Storage;

namespace Registry.Auth.Identity;

/// <summary>
/// Removes a deleted registry's data from every region: its whole partition and its replicas. A second sweep follows
/// once every service's directory has forgotten the registry, for anything a request already under way wrote.
/// </summary>
internal sealed partial class RegistryDeletions(RegionalStorage regions, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<RegistryDeletions> logger)
{
    /// <summary>Longer than any service remembers a registry (<see cref="HttpRegistryDirectory.PositiveLifetime"/>).</summary>
    public static readonly TimeSpan SecondSweepDelay = HttpRegistryDirectory.PositiveLifetime * 2;

    public async Task SweepAsync(string registry, CancellationToken cancellationToken)
    {
        foreach (var region in regions.Regions)
        {
            var storage = regions.For(region);
            await storage.DeleteRegistryAsync(registry, cancellationToken);
            await storage.ForPlatform().DeletePrefixAsync(StoragePaths.Replicas(registry), cancellationToken);
        }

        LogSwept(logger, registry, regions.Regions.Count);
    }

    public void SweepAgainLater(string registry) => _ = SweepLaterAsync(registry, lifetime.ApplicationStopping);

    private async Task SweepLaterAsync(string registry, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(SecondSweepDelay, time, stopping);
            await SweepAsync(registry, stopping);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            LogSecondSweepFailed(logger, ex, registry);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Deleted the data of registry {Registry} in {Regions} region(s)")]
    private static partial void LogSwept(ILogger logger, string registry, int regions);

    [LoggerMessage(2, LogLevel.Error, "The second sweep of deleted registry {Registry} failed; its leftovers stay until deleted by hand")]
    private static partial void LogSecondSweepFailed(ILogger logger, Exception exception, string registry);
}
