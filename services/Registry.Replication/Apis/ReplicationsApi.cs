using System.Text.Json;
using System.Text.Json.Serialization;
using Registry.Replication.Geo;
using Registry.Security;
using Registry.Storage;

namespace Registry.Replication.Apis;

/// <summary>
/// ACR's <c>replications</c> resource under <c>/api/registries/{registry}/replications</c>: create (PUT), list, show,
/// update (PATCH <c>regionEndpointEnabled</c>), delete — Premium registries only. Each resource also carries this
/// platform's replication progress (<c>properties.sync</c>). <c>POST …/replications/reconcile</c> compares the regions now.
/// </summary>
internal static class ReplicationsApi
{
    private const string ResourceType = "Microsoft.ContainerRegistry/registries/replications";

    public static RouteGroupBuilder MapReplicationsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/registries/{registry}/replications").AddEndpointFilter(AuthorizeAsync).DisableAntiforgery();
        group.MapGet("", List).WithName("ListReplications");
        group.MapGet("/{name}", Show).WithName("GetReplication");
        group.MapPut("/{name}", Create).WithName("CreateReplication");
        group.MapPatch("/{name}", Update).WithName("UpdateReplication");
        group.MapDelete("/{name}", Delete).WithName("DeleteReplication");
        group.MapPost("/reconcile", Reconcile).WithName("ReconcileReplications");

        // For the gateway's routing: which regions serve the registry, and whether each takes clients.
        endpoints.MapGet($"{HttpRegistryDirectory.InternalPath}/{{registry}}/{HttpRegistryRegions.PathSuffix}", Regions).ExcludeFromDescription();
        return group;
    }

    /// <summary>Authorized as every management call; replications exist for Premium registries only.</summary>
    private static ValueTask<object?> AuthorizeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        ManagementFilter.AuthorizeRouteRegistryAsync(context, async premiumContext =>
        {
            var http = premiumContext.HttpContext;
            var registry = http.GetRouteValue("registry") as string ?? string.Empty;
            var info = await http.RequestServices.GetRequiredService<IRegistryDirectory>().FindAsync(registry, http.RequestAborted)
                ?? throw ManagementException.NotFound($"registry '{registry}'");
            if (info.Tier != RegistryTier.Premium)
            {
                throw ManagementException.Invalid(
                    $"Replications are only supported for managed registries in Premium SKU; registry '{registry}' is {info.Tier}. Update the registry to Premium first.");
            }

            return await next(premiumContext);
        });

    internal static async Task<IResult> List(
        string registry, ReplicaStore replicas, RegionalStorage regions, ReplicationStatus status, TimeProvider time, CancellationToken cancellationToken)
    {
        var records = await WithHomeAsync(registry, replicas, regions, time, cancellationToken);
        return TypedResults.Ok(new ReplicationList(records.Select(r => View(registry, r, status)).ToList()));
    }

    internal static async Task<IResult> Show(
        string registry, string name, ReplicaStore replicas, RegionalStorage regions, ReplicationStatus status, TimeProvider time, CancellationToken cancellationToken)
    {
        var records = await WithHomeAsync(registry, replicas, regions, time, cancellationToken);
        var record = records.FirstOrDefault(r => r.Name == name) ?? throw ManagementException.NotFound($"replication '{name}' of registry '{registry}'");
        return TypedResults.Ok(View(registry, record, status));
    }

    internal static async Task<IResult> Create(
        string registry, string name, HttpRequest request, ReplicaStore replicas, RegionalStorage regions, ReplicationStatus status, Reconciler reconciler,
        IHostApplicationLifetime lifetime, TimeProvider time, CancellationToken cancellationToken)
    {
        CheckName(name);
        var body = await ReadAsync(request, cancellationToken);
        var location = body.Location?.Trim().ToLowerInvariant() ?? throw ManagementException.Invalid("'location' is required: the region to replicate to");
        if (!regions.Contains(location))
        {
            throw ManagementException.Invalid($"location '{location}' is not a region of this deployment; regions: {string.Join(", ", regions.Regions)}");
        }

        CheckZoneRedundancy(body.Properties?.ZoneRedundancy);
        var records = await WithHomeAsync(registry, replicas, regions, time, cancellationToken);
        var existing = records.FirstOrDefault(r => r.Name == name);
        if (records.FirstOrDefault(r => r.Location == location && r.Name != name) is { } other)
        {
            throw ManagementException.Conflict($"registry '{registry}' already has replication '{other.Name}' in {location}");
        }

        if (existing is not null && existing.Location != location)
        {
            throw ManagementException.Invalid($"the location of replication '{name}' is {existing.Location} and cannot be changed; delete it and create another");
        }

        var now = time.GetUtcNow();
        if (existing is null && await replicas.ListAsync(registry, cancellationToken) is { Count: 0 })
        {
            await replicas.SaveAsync(registry, records.Single(r => r.IsHome), cancellationToken); // the first replica records the home region too
        }

        var record = (existing ?? new ReplicaRecord { Name = name, Location = location, CreatedAt = now, UpdatedAt = now }) with
        {
            RegionEndpointEnabled = body.Properties?.RegionEndpointEnabled ?? existing?.RegionEndpointEnabled ?? true,
            ZoneRedundancy = body.Properties?.ZoneRedundancy ?? existing?.ZoneRedundancy ?? "Disabled",
            UpdatedAt = now,
        };
        await replicas.SaveAsync(registry, record, cancellationToken);
        if (existing is null && !record.IsHome)
        {
            // The new region starts empty: bring it up to date now, not at the next reconciliation.
            var tracking = status.Begin(registry, location, now);
            _ = Task.Run(
                async () =>
                {
                    using (tracking)
                    {
                        try
                        {
                            await reconciler.ReconcileAsync(registry, lifetime.ApplicationStopping);
                            tracking.Complete();
                        }
                        catch (Exception ex) when (ex is not OperationCanceledException)
                        {
                            status.Failed(registry, location, ex.Message);
                        }
                    }
                },
                CancellationToken.None);
        }

        var view = View(registry, record, status);
        return existing is null ? TypedResults.Created($"/api/registries/{registry}/replications/{name}", view) : TypedResults.Ok(view);
    }

    internal static async Task<IResult> Update(
        string registry, string name, HttpRequest request, ReplicaStore replicas, RegionalStorage regions, ReplicationStatus status, TimeProvider time, CancellationToken cancellationToken)
    {
        var body = await ReadAsync(request, cancellationToken);
        var records = await WithHomeAsync(registry, replicas, regions, time, cancellationToken);
        var existing = records.FirstOrDefault(r => r.Name == name) ?? throw ManagementException.NotFound($"replication '{name}' of registry '{registry}'");
        if (body.Location is { } location && !string.Equals(location.Trim(), existing.Location, StringComparison.OrdinalIgnoreCase))
        {
            throw ManagementException.Invalid($"the location of replication '{name}' is {existing.Location} and cannot be changed");
        }

        CheckZoneRedundancy(body.Properties?.ZoneRedundancy);
        var record = existing with
        {
            RegionEndpointEnabled = body.Properties?.RegionEndpointEnabled ?? existing.RegionEndpointEnabled,
            ZoneRedundancy = body.Properties?.ZoneRedundancy ?? existing.ZoneRedundancy,
            UpdatedAt = time.GetUtcNow(),
        };
        await replicas.SaveAsync(registry, record, cancellationToken);
        return TypedResults.Ok(View(registry, record, status));
    }

    internal static async Task<IResult> Delete(
        string registry, string name, ReplicaStore replicas, RegionalStorage regions, TimeProvider time, CancellationToken cancellationToken)
    {
        var records = await WithHomeAsync(registry, replicas, regions, time, cancellationToken);
        var existing = records.FirstOrDefault(r => r.Name == name) ?? throw ManagementException.NotFound($"replication '{name}' of registry '{registry}'");
        if (existing.IsHome)
        {
            throw ManagementException.Invalid($"replication '{name}' is the registry's home region ({existing.Location}) and cannot be deleted");
        }

        await replicas.DeleteAsync(registry, name, cancellationToken);

        // The region no longer holds the registry: its copy of the content goes (the other regions keep theirs).
        var driver = regions.For(existing.Location).ForRegistry(registry);
        foreach (var prefix in new[] { StoragePaths.RepositoriesRoot, "blobs", "replication" })
        {
            await driver.DeletePrefixAsync(prefix, cancellationToken);
        }

        return TypedResults.NoContent();
    }

    internal static async Task<IResult> Reconcile(string registry, Reconciler reconciler, CancellationToken cancellationToken) =>
        TypedResults.Ok(await reconciler.ReconcileAsync(registry, cancellationToken));

    internal static async Task<IResult> Regions(string registry, ReplicaStore replicas, RegionalStorage regions, ReplicationStatus status, TimeProvider time, CancellationToken cancellationToken)
    {
        var records = await WithHomeAsync(registry, replicas, regions, time, cancellationToken);
        return TypedResults.Ok(records.Select(r => new RegistryRegion(r.Location, r.RegionEndpointEnabled, r.IsHome, status.Of(registry, r.Location).State)).ToList());
    }

    /// <summary>The stored replicas, or — for a registry never replicated — its home region alone, as ACR lists it.</summary>
    private static async Task<IReadOnlyList<ReplicaRecord>> WithHomeAsync(string registry, ReplicaStore replicas, RegionalStorage regions, TimeProvider time, CancellationToken cancellationToken)
    {
        var records = await replicas.ListAsync(registry, cancellationToken);
        if (records.Any(r => r.IsHome))
        {
            return records;
        }

        var now = time.GetUtcNow();
        return [new ReplicaRecord { Name = regions.OwnRegion, Location = regions.OwnRegion, IsHome = true, CreatedAt = now, UpdatedAt = now }, .. records];
    }

    private static ReplicationView View(string registry, ReplicaRecord record, ReplicationStatus status)
    {
        var progress = status.Of(registry, record.Location);
        return new ReplicationView(
            $"/registries/{registry}/replications/{record.Name}",
            record.Name,
            ResourceType,
            record.Location,
            new ReplicationProperties(
                "Succeeded",
                new ReplicationDisplayStatus(progress.State switch { "Failed" => "Failed", "Syncing" => "Syncing", _ => "Ready" }, progress.LastError, progress.LastSyncedAt ?? record.UpdatedAt),
                record.RegionEndpointEnabled,
                record.ZoneRedundancy,
                record.IsHome,
                progress),
            new ReplicationSystemData(record.CreatedAt, record.UpdatedAt));
    }

    private static void CheckName(string name)
    {
        if (name.Length is < 5 or > 50 || !name.All(char.IsAsciiLetterOrDigit))
        {
            throw ManagementException.Invalid($"replication name '{name}' is invalid: 5 to 50 letters and digits");
        }
    }

    private static void CheckZoneRedundancy(string? value)
    {
        if (value is not (null or "Enabled" or "Disabled"))
        {
            throw ManagementException.Invalid($"zoneRedundancy must be 'Enabled' or 'Disabled', not '{value}'");
        }
    }

    private static async Task<ReplicationRequest> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await request.ReadFromJsonAsync(ReplicationApiJson.Default.ReplicationRequest, cancellationToken) ?? new ReplicationRequest(null, null);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or BadHttpRequestException)
        {
            throw ManagementException.Invalid($"the body must be ACR's replication JSON ({{\"location\": \"…\", \"properties\": {{\"regionEndpointEnabled\": true}}}}): {ex.Message}");
        }
    }
}

internal sealed record ReplicationRequest(
    [property: JsonPropertyName("location")] string? Location,
    [property: JsonPropertyName("properties")] ReplicationRequestProperties? Properties);

internal sealed record ReplicationRequestProperties(
    [property: JsonPropertyName("regionEndpointEnabled")] bool? RegionEndpointEnabled,
    [property: JsonPropertyName("zoneRedundancy")] string? ZoneRedundancy);

internal sealed record ReplicationList([property: JsonPropertyName("value")] IReadOnlyList<ReplicationView> Value);

internal sealed record ReplicationView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("location")] string Location,
    [property: JsonPropertyName("properties")] ReplicationProperties Properties,
    [property: JsonPropertyName("systemData")] ReplicationSystemData SystemData);

internal sealed record ReplicationProperties(
    [property: JsonPropertyName("provisioningState")] string ProvisioningState,
    [property: JsonPropertyName("status")] ReplicationDisplayStatus Status,
    [property: JsonPropertyName("regionEndpointEnabled")] bool RegionEndpointEnabled,
    [property: JsonPropertyName("zoneRedundancy")] string ZoneRedundancy,
    [property: JsonPropertyName("isHome")] bool IsHome,
    [property: JsonPropertyName("sync")] ReplicaProgress Sync);

internal sealed record ReplicationDisplayStatus(
    [property: JsonPropertyName("displayStatus")] string DisplayStatus,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("timestamp")] DateTimeOffset Timestamp);

internal sealed record ReplicationSystemData(
    [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("lastModifiedAt")] DateTimeOffset LastModifiedAt);

[JsonSerializable(typeof(ReplicationRequest))]
internal sealed partial class ReplicationApiJson : JsonSerializerContext;
