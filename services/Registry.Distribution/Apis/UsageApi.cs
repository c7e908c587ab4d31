using Registry.Distribution.Usage;

namespace Registry.Distribution.Apis;

/// <summary><c>GET /api/registries/{registry}/usage</c> and <c>POST …/usage/reconcile</c> (ADR 0013).</summary>
public static class UsageApi
{
    public static RouteGroupBuilder MapUsageApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/registries/{registry}/usage")
            .AddEndpointFilter(ManagementFilter.AuthorizeRouteRegistryAsync)
            .DisableAntiforgery();
        group.MapGet("", GetUsage).WithName("GetUsage");
        group.MapPost("/reconcile", Reconcile).WithName("ReconcileUsage");
        return group;
    }

    internal static async Task<IResult> GetUsage(string registry, UsageService usage, CancellationToken cancellationToken) =>
        TypedResults.Ok(await usage.ViewAsync(await usage.GetAsync(registry, cancellationToken), cancellationToken));

    internal static async Task<IResult> Reconcile(string registry, UsageService usage, CancellationToken cancellationToken) =>
        TypedResults.Ok(await usage.ViewAsync(await usage.ReconcileAsync(registry, cancellationToken), cancellationToken));
}
