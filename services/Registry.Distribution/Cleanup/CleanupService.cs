using Cronos;
using Microsoft.Extensions.Options;
using Registry.Distribution.Events;
using Registry.Distribution.Usage;

namespace Registry.Distribution.Cleanup;

/// <summary>
/// Runs the clean-up of every registry: on demand (purge, garbage collection) and in the background — every
/// <see cref="CleanupOptions.PollInterval"/> it takes each registry's lease in turn and runs its due purge rules and, once
/// per <see cref="CleanupOptions.Interval"/>, the full pass: soft-delete expiry, retention, garbage collection, expiry of
/// abandoned uploads, usage reconcile. Every run that removed something is recorded (<c>GET …/cleanup/runs</c>).
/// </summary>
internal sealed partial class CleanupService(
    RegistryNames registryNames,
    IRegistryDirectory registries,
    CleanupLeases leases,
    CleanupStore store,
    Purger purger,
    SoftDeleteService softDeletes,
    GarbageCollector collector,
    UploadExpiry uploads,
    UsageService usage,
    IOptions<CleanupOptions> options,
    TimeProvider time,
    ILogger<CleanupService> logger) : BackgroundService
{
    /// <summary>The actor the background passes' deletes carry in their events.</summary>
    public const string Actor = "registry-cleanup";

    public async Task<PurgeResult> PurgeAsync(string registry, PurgeCriteria criteria, bool dryRun, string? rule, CancellationToken cancellationToken)
    {
        var result = await purger.RunAsync(registry, criteria, dryRun, cancellationToken);
        if (!dryRun)
        {
            await store.RecordRunAsync(registry, new CleanupRun(result.Id, CleanupRun.PurgeKind, rule, result.StartedAt, result.FinishedAt, result, null, null), cancellationToken);
        }

        return result;
    }

    /// <summary>Null when another instance holds the registry's clean-up lease.</summary>
    public async Task<GarbageCollectionResult?> CollectAsync(string registry, bool dryRun, DateTimeOffset? cutoff, CancellationToken cancellationToken)
    {
        await using var lease = await leases.TryAcquireAsync(registry, cancellationToken);
        return lease is null ? null : await CollectAsync(registry, dryRun, cutoff, lease, cancellationToken);
    }

    /// <summary>One registry's background work: due purge rules, and the full pass when due (or when <paramref name="force"/>).</summary>
    public async Task RunPassAsync(string registry, bool force, CancellationToken cancellationToken)
    {
        await using var lease = await leases.TryAcquireAsync(registry, cancellationToken);
        if (lease is null)
        {
            return;
        }

        using var origin = new EventOrigin(Actor, null).Use();
        await RunDueRulesAsync(registry, lease, cancellationToken);
        var now = time.GetUtcNow();
        if (!force && lease.LastPassAt is { } last && last + options.Value.Interval > now)
        {
            return;
        }

        var expired = await softDeletes.ExpireAsync(registry, cancellationToken);
        if (expired.Count > 0)
        {
            await store.RecordRunAsync(
                registry,
                new CleanupRun(Guid.NewGuid(), CleanupRun.ExpiryKind, null, now, time.GetUtcNow(), null, null, [.. expired.Select(e => new ExpiredManifest(e.Repository, e.Digest))]),
                cancellationToken);
        }

        await lease.RenewAsync(cancellationToken);
        if ((await registries.FindAsync(registry, cancellationToken))?.Policies.RetentionDays is { } days and > 0)
        {
            var result = await purger.RunAsync(registry, PurgeCriteria.Retention(days), dryRun: false, cancellationToken);
            if (result.Deleted.Count > 0 || result.Skipped.Count > 0)
            {
                await store.RecordRunAsync(registry, new CleanupRun(result.Id, CleanupRun.RetentionKind, null, result.StartedAt, result.FinishedAt, result, null, null), cancellationToken);
            }
        }

        await lease.RenewAsync(cancellationToken);
        await CollectAsync(registry, dryRun: false, cutoff: null, lease, cancellationToken);
        await lease.RenewAsync(cancellationToken);
        await uploads.RunAsync(registry, cancellationToken);
        await lease.MarkPassAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.PollInterval, time);
        do
        {
            foreach (var registry in await ListRegistriesAsync(stoppingToken))
            {
                try
                {
                    await RunPassAsync(registry, force: false, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogPassFailed(logger, ex, registry);
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task<List<string>> ListRegistriesAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await registryNames.ListAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogPassFailed(logger, ex, "*");
            return [];
        }
    }

    private async Task<GarbageCollectionResult> CollectAsync(string registry, bool dryRun, DateTimeOffset? cutoff, CleanupLease lease, CancellationToken cancellationToken)
    {
        var startedAt = time.GetUtcNow();
        var result = await collector.RunAsync(registry, dryRun, cutoff, cancellationToken);
        await lease.RenewAsync(cancellationToken);
        if (!dryRun)
        {
            if (result.BlobsDeleted > 0 || result.LinksDeleted > 0)
            {
                await store.RecordRunAsync(registry, new CleanupRun(result.Id, CleanupRun.GarbageCollectionKind, null, startedAt, time.GetUtcNow(), null, result, null), cancellationToken);
            }

            await usage.ReconcileAsync(registry, cancellationToken);
        }

        return result;
    }

    private async Task RunDueRulesAsync(string registry, CleanupLease lease, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var rule in await store.ListRulesAsync(registry, cancellationToken))
        {
            if (!rule.Enabled || NextRun(rule) is not { } next || next > now)
            {
                continue;
            }

            try
            {
                await PurgeAsync(registry, rule.Criteria(), dryRun: false, rule.Name, cancellationToken);
            }
            catch (ManagementException ex)
            {
                LogRuleInvalid(logger, registry, rule.Name, ex.Message);
            }

            await store.SaveRuleAsync(registry, rule with { LastRunAt = now }, cancellationToken);
            await lease.RenewAsync(cancellationToken);
        }
    }

    /// <summary>The schedule's first occurrence after the rule last ran (or was created).</summary>
    public static DateTimeOffset? NextRun(PurgeRule rule) =>
        CronExpression.Parse(rule.Schedule).GetNextOccurrence(rule.LastRunAt ?? rule.CreatedAt, TimeZoneInfo.Utc);

    [LoggerMessage(Level = LogLevel.Error, Message = "Clean-up of registry {Registry} failed; retrying at the next interval")]
    private static partial void LogPassFailed(ILogger logger, Exception exception, string registry);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purge rule {Rule} of registry {Registry} is not valid: {Reason}")]
    private static partial void LogRuleInvalid(ILogger logger, string registry, string rule, string reason);
}
