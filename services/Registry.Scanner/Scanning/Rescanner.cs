using Registry.Distribution.Core;
using Registry.Oci;
using Registry.Scanner.Database;
using Registry.Storage;

namespace Registry.Scanner.Scanning;

/// <summary>
/// When the vulnerability database changes, every image scanned before is matched again: layer inventories come from
/// the cache, so a rescan costs the matching and new referrers, not reading layers. Of the instances that see a new
/// version, the one that claims it in storage (<c>vulndb/rescans/&lt;version&gt;</c>, written only if absent) does the
/// work; an image it did not reach (the instance stopped) is rescanned when next pushed or scanned on demand.
/// </summary>
internal sealed partial class Rescanner(IStorageDriverFactory storage, ScanStore store, ImageScanner scanner, VulnerabilityDatabase database, IHostApplicationLifetime lifetime, ILogger<Rescanner> logger)
{
    private const string ReportsRoot = "scans/reports";
    private int _running;

    /// <summary>Starts the rescan for <paramref name="version"/> here unless another instance claimed it first.</summary>
    public async Task StartIfClaimedAsync(string version, CancellationToken cancellationToken)
    {
        try
        {
            await storage.ForPlatform().WriteAsync($"vulndb/rescans/{version}.json", "{}"u8.ToArray(), StorageCondition.NotExists, cancellationToken);
        }
        catch (StoragePreconditionFailedException)
        {
            return;
        }

        Start();
    }

    public void Start()
    {
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            return; // the running pass reads the database version per image, so it covers this change too
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await RescanAllAsync(lifetime.ApplicationStopping);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRescanFailed(logger, ex);
            }
            finally
            {
                Volatile.Write(ref _running, 0);
            }
        });
    }

    internal async Task<int> RescanAllAsync(CancellationToken cancellationToken)
    {
        var rescanned = 0;
        await foreach (var name in storage.ForPlatform().ListAsync(StoragePaths.RegistryRecords, cancellationToken))
        {
            if (!name.EndsWith(".json", StringComparison.Ordinal) || !OciGrammar.IsRegistryName(name[..^5]))
            {
                continue;
            }

            var registry = name[..^5];
            foreach (var algorithm in new[] { Digest.Sha256, Digest.Sha512 })
            {
                await foreach (var file in storage.ForRegistry(registry).ListAsync($"{ReportsRoot}/{algorithm}", cancellationToken))
                {
                    if (!file.EndsWith(".json", StringComparison.Ordinal) || !Digest.TryParse($"{algorithm}:{file[..^5]}", out var digest)
                        || await store.FindReportAsync(registry, digest, cancellationToken) is not { } report
                        || report.DatabaseVersion == database.Version)
                    {
                        continue;
                    }

                    try
                    {
                        await scanner.ScanAsync(new RepositoryPath(registry, report.Repository), Reference.Parse(report.Digest), cancellationToken);
                        rescanned++;
                    }
                    catch (OciException ex) when (ex.Error == OciErrorCode.ManifestUnknown)
                    {
                        // deleted since: its report stays until the registry's clean-up
                    }
                }
            }
        }

        LogRescanned(logger, rescanned, database.Version);
        return rescanned;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rescanned {Images} images with vulnerability database {Version}")]
    private static partial void LogRescanned(ILogger logger, int images, string version);

    [LoggerMessage(Level = LogLevel.Error, Message = "Rescanning after a vulnerability database change failed; images are rescanned when next pushed or on demand")]
    private static partial void LogRescanFailed(ILogger logger, Exception exception);
}
