using System.Text.Json.Serialization;
using Cronos;
using Microsoft.AspNetCore.Mvc;
using Registry.Distribution.Cleanup;
using Registry.Distribution.Core;
using Registry.Oci;
using Registry.Storage;

namespace Registry.Distribution.Apis;

public sealed record RestoreRequest
{
    [JsonPropertyName("repository")]
    public string? Repository { get; init; }

    [JsonPropertyName("digest")]
    public string? Digest { get; init; }

    [JsonPropertyName("tag")]
    public string? Tag { get; init; }

    [JsonPropertyName("force")]
    public bool Force { get; init; }
}

public sealed record GarbageCollectionRequest
{
    [JsonPropertyName("dryRun")]
    public bool DryRun { get; init; }
}

internal sealed record DeletedList([property: JsonPropertyName("value")] IReadOnlyList<SoftDeletedManifest> Value);

internal sealed record PurgeRuleList([property: JsonPropertyName("value")] IReadOnlyList<PurgeRuleView> Value);

internal sealed record PurgeRuleView(
    string Name, IReadOnlyList<string> Filters, string? Ago, bool Untagged, int? Keep, string? LastPulledBefore, string Schedule, bool Enabled,
    DateTimeOffset? LastRunAt, DateTimeOffset? NextRunAt)
{
    public static PurgeRuleView Of(PurgeRule rule) => new(
        rule.Name, rule.Filters, rule.Ago, rule.Untagged, rule.Keep, rule.LastPulledBefore, rule.Schedule, rule.Enabled, rule.LastRunAt,
        rule.Enabled ? CleanupService.NextRun(rule) : null);
}

internal sealed record CleanupRunList([property: JsonPropertyName("value")] IReadOnlyList<CleanupRun> Value);

/// <summary>
/// Clean-up under <c>/api/registries/{registry}</c> (ADR 0013): purge on demand, purge rules, soft-deleted manifests and
/// their restore, garbage collection, the record of runs. Management credentials; ProblemDetails errors.
/// </summary>
public static class CleanupApi
{
    public static RouteGroupBuilder MapCleanupApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/registries/{registry}")
            .AddEndpointFilter(ManagementFilter.AuthorizeRouteRegistryAsync)
            .DisableAntiforgery();
        group.MapPost("/purge", Purge).WithName("Purge");
        group.MapGet("/purgeRules", ListRules).WithName("ListPurgeRules");
        group.MapGet("/purgeRules/{name}", GetRule).WithName("GetPurgeRule");
        group.MapPut("/purgeRules/{name}", PutRule).WithName("PutPurgeRule");
        group.MapDelete("/purgeRules/{name}", DeleteRule).WithName("DeletePurgeRule");
        group.MapGet("/deleted", ListDeleted).WithName("ListDeletedManifests");
        group.MapPost("/deleted/restore", Restore).WithName("RestoreDeletedManifest");
        group.MapPost("/gc", CollectGarbage).WithName("CollectGarbage");
        group.MapGet("/cleanup/runs", ListRuns).WithName("ListCleanupRuns");
        return group;
    }

    internal static async Task<IResult> Purge(string registry, PurgeRequest request, CleanupService cleanup, CancellationToken cancellationToken)
    {
        var criteria = PurgeCriteria.Parse(request);
        return TypedResults.Ok(await cleanup.PurgeAsync(registry, criteria, request.DryRun, null, cancellationToken));
    }

    internal static async Task<IResult> ListRules(string registry, CleanupStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(new PurgeRuleList([.. (await store.ListRulesAsync(registry, cancellationToken)).Select(PurgeRuleView.Of)]));

    internal static async Task<IResult> GetRule(string registry, string name, CleanupStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(PurgeRuleView.Of(await ExistingRuleAsync(registry, name, store, cancellationToken)));

    /// <summary>Creates or replaces the rule; the filters and durations are checked as a purge's, the schedule as a 5-field cron expression.</summary>
    internal static async Task<IResult> PutRule(string registry, string name, PurgeRuleRequest request, CleanupStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        CheckRuleName(name);
        PurgeCriteria.Parse(request);
        try
        {
            CronExpression.Parse(request.Schedule ?? throw ManagementException.Invalid("schedule (a 5-field cron expression, UTC) is required"));
        }
        catch (CronFormatException ex)
        {
            throw ManagementException.Invalid($"schedule '{request.Schedule}' is not a 5-field cron expression: {ex.Message}");
        }

        var existing = await store.GetRuleAsync(registry, name, cancellationToken);
        var rule = new PurgeRule
        {
            Name = name,
            Filters = request.Filters!,
            Ago = request.Ago,
            Untagged = request.Untagged,
            Keep = request.Keep,
            LastPulledBefore = request.LastPulledBefore,
            Schedule = request.Schedule,
            Enabled = request.Enabled,
            CreatedAt = existing?.CreatedAt ?? time.GetUtcNow(),
            LastRunAt = existing?.LastRunAt,
        };
        await store.SaveRuleAsync(registry, rule, cancellationToken);
        return existing is null ? TypedResults.Created($"/api/registries/{registry}/purgeRules/{name}", PurgeRuleView.Of(rule)) : TypedResults.Ok(PurgeRuleView.Of(rule));
    }

    internal static async Task<IResult> DeleteRule(string registry, string name, CleanupStore store, CancellationToken cancellationToken)
    {
        CheckRuleName(name);
        return await store.DeleteRuleAsync(registry, name, cancellationToken) ? TypedResults.NoContent() : throw ManagementException.NotFound($"purge rule '{name}'");
    }

    internal static async Task<IResult> ListDeleted(string registry, string? repository, SoftDeleteService softDeletes, CancellationToken cancellationToken)
    {
        var name = repository is null ? null : Repository(registry, repository).Name;
        return TypedResults.Ok(new DeletedList(await softDeletes.ListAsync(registry, name, cancellationToken)));
    }

    internal static async Task<IResult> Restore(string registry, RestoreRequest request, SoftDeleteService softDeletes, CancellationToken cancellationToken)
    {
        var repository = Repository(registry, request.Repository ?? throw ManagementException.Invalid("repository is required"));
        return TypedResults.Ok(await softDeletes.RestoreAsync(repository, request.Digest, request.Tag, request.Force, cancellationToken));
    }

    internal static async Task<IResult> CollectGarbage(
        string registry, [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] GarbageCollectionRequest? request,
        CleanupService cleanup, CancellationToken cancellationToken) =>
        await cleanup.CollectAsync(registry, request?.DryRun ?? false, null, cancellationToken) is { } result
            ? TypedResults.Ok(result)
            : throw ManagementException.Conflict($"a clean-up of registry '{registry}' is running on another instance; try again later");

    internal static async Task<IResult> ListRuns(string registry, CleanupStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(new CleanupRunList(await store.ListRunsAsync(registry, cancellationToken)));

    private static async Task<PurgeRule> ExistingRuleAsync(string registry, string name, CleanupStore store, CancellationToken cancellationToken)
    {
        CheckRuleName(name);
        return await store.GetRuleAsync(registry, name, cancellationToken) ?? throw ManagementException.NotFound($"purge rule '{name}'");
    }

    private static void CheckRuleName(string name)
    {
        if (!StoragePaths.IsWebhookName(name))
        {
            throw ManagementException.Invalid($"'{name}' is not a purge rule name: 5 to 50 letters and digits");
        }
    }

    private static RepositoryPath Repository(string registry, string name) =>
        OciGrammar.IsRepositoryName(name) ? new RepositoryPath(registry, name) : throw ManagementException.Invalid($"'{name}' is not a repository name");
}
