using System.Text.Json;
using Microsoft.Extensions.Options;
using Registry.Auth.Identity;
using Registry.Oci;
using Registry.Security;
using Registry.Security.Limits;
using Registry.Storage;

namespace Registry.Auth.Apis;

/// <summary>
/// Registries as a service, in ACR's ARM shapes: the platform operator (the default registry's admin user or Owner)
/// lists, creates and deletes registries under <c>/api/registries</c>; a registry's own Owner reads and changes it
/// (<c>GET|PATCH /api/registries/{registry}</c>, mapped with the rest of the registry's management API).
/// </summary>
public static partial class RegistriesApi
{
    private static readonly string[] AdminPasswordNames = ["password", "password2"];

    public static RouteGroupBuilder MapRegistriesApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/registries").AddEndpointFilter(AuthorizeOperatorAsync).DisableAntiforgery();
        group.MapGet("", List).WithName("ListRegistries");
        group.MapPut("/{registry}", Create).WithName("CreateRegistry");
        group.MapDelete("/{registry}", Delete).WithName("DeleteRegistry");
        endpoints.MapGet(HttpRegistryDirectory.CustomDomainsPath, CustomDomains).ExcludeFromDescription();
        return group;
    }

    private static ValueTask<object?> AuthorizeOperatorAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        ManagementFilter.AuthorizeAsync(
            context,
            next,
            context.HttpContext.RequestServices.GetRequiredService<RegistryHosts>().DefaultRegistry,
            changes: !HttpMethods.IsGet(context.HttpContext.Request.Method));

    internal static async Task<IResult> List(RegistryStore store, RegistryHosts hosts, CancellationToken cancellationToken)
    {
        var resources = new List<RegistryResource>();
        foreach (var name in await store.ListNamesAsync(cancellationToken))
        {
            if (await store.GetAsync(name, cancellationToken) is { } record)
            {
                resources.Add(ResourceOf(record, hosts));
            }
        }

        return TypedResults.Ok(new ListResult<RegistryResource>(resources));
    }

    internal static async Task<IResult> Create(
        string registry,
        RegistryUpdate request,
        RegistryStore store,
        RegistryHosts hosts,
        RegionalStorage regions,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (!OciGrammar.IsRegistryName(registry))
        {
            throw ManagementException.Invalid($"'{registry}' is not a registry name: 5 to 50 lowercase letters and digits (it becomes the login server's first label)");
        }

        var tier = ParseTier(request.Sku?.Name) ?? throw ManagementException.Invalid("'sku.name' is required: Basic, Standard or Premium");
        var location = request.Location?.ToLowerInvariant() ?? regions.OwnRegion;
        if (!regions.Contains(location))
        {
            throw ManagementException.Invalid($"location '{location}' is not a region of this platform; known regions: {string.Join(", ", regions.Regions)}");
        }

        if (location != regions.OwnRegion)
        {
            // The distribution instances of the home region write every registry's content; other regions hold replicas.
            throw ManagementException.Invalid($"registries live in the platform's home region '{regions.OwnRegion}'; create the registry there and add a replication in '{location}'");
        }

        if (await store.GetAsync(registry, cancellationToken) is not null)
        {
            throw ManagementException.Conflict($"registry '{registry}' already exists");
        }

        var properties = request.Properties ?? new RegistryUpdateProperties(null, null, null);
        var now = time.GetUtcNow();
        var passwords = properties.AdminUserEnabled == true ? AdminPasswordNames.ToDictionary(name => name, _ => Secrets.Generate()) : [];
        var record = Changed(
            new RegistryRecord
            {
                Name = registry,
                Tier = tier,
                CreatedAt = now,
                Location = location,
                Admin = new AdminUser { Passwords = passwords.Select(entry => ManagementApi.NewSecret(entry.Key, entry.Value, null, time)).ToList() },
            },
            properties,
            tier,
            hosts);
        await store.SetCustomDomainsAsync(registry, record.CustomDomains, cancellationToken);
        if (!await store.CreateAsync(record, cancellationToken))
        {
            throw ManagementException.Conflict($"registry '{registry}' already exists");
        }

        var credentials = passwords.Count == 0
            ? null
            : new CredentialsResult(TokenService.AdminUsername(record), record.Admin.Passwords.Select(p => ManagementApi.PasswordInfoOf(p, passwords[p.Name])).ToList());
        return TypedResults.Created($"/api/registries/{registry}", ResourceOf(record, hosts) with { Credentials = credentials });
    }

    /// <summary>
    /// Deletes the registry and everything of it in every region. The record goes first, so the registry is unknown at
    /// once; what a request already under way writes meanwhile is swept by a second pass after the directory's lifetime.
    /// </summary>
    internal static async Task<IResult> Delete(
        string registry, RegistryStore store, RegistryHosts hosts, RegionalStorage regions, RegistryDeletions deletions, CancellationToken cancellationToken)
    {
        if (registry == hosts.DefaultRegistry)
        {
            throw ManagementException.Conflict($"'{registry}' is the platform's default registry and cannot be deleted");
        }

        if (await store.GetAsync(registry, cancellationToken) is null)
        {
            throw ManagementException.NotFound($"registry '{registry}'");
        }

        await store.SetCustomDomainsAsync(registry, [], cancellationToken);
        await store.DeleteAsync(registry, cancellationToken);
        await deletions.SweepAsync(registry, cancellationToken);
        deletions.SweepAgainLater(registry);
        return TypedResults.Ok(new RegistryDeleted(registry, regions.Regions));
    }

    internal static async Task<IResult> GetRegistry(string registry, RegistryStore store, RegistryHosts hosts, CancellationToken cancellationToken) =>
        TypedResults.Ok(ResourceOf((await store.GetAsync(registry, cancellationToken))!, hosts));

    internal static async Task<IResult> UpdateRegistry(
        string registry, RegistryUpdate update, RegistryStore store, RegistryHosts hosts, RegistryCounts counts, CancellationToken cancellationToken)
    {
        if (update.Properties is null && update.Sku is null)
        {
            throw ManagementException.Invalid("'properties' or 'sku' is required");
        }

        if (update.Location is { } location && (await store.GetAsync(registry, cancellationToken))?.Location is { } home && !string.Equals(location, home, StringComparison.OrdinalIgnoreCase))
        {
            throw ManagementException.Invalid($"a registry's location cannot change (it is '{home}'); add a replication instead");
        }

        var tier = update.Sku is null ? (RegistryTier?)null : ParseTier(update.Sku.Name) ?? throw ManagementException.Invalid($"sku '{update.Sku.Name}' is not Basic, Standard or Premium");
        var changes = update.Properties ?? new RegistryUpdateProperties(null, null, null);
        if (tier is { } newTier)
        {
            await counts.EnsureFitsAsync(registry, newTier, cancellationToken);
        }

        if (changes.CustomDomains is { } domains)
        {
            await store.SetCustomDomainsAsync(registry, Domains(domains, hosts), cancellationToken);
        }

        var updated = await store.UpdateAsync(registry, record => Changed(record, changes, tier ?? record.Tier, hosts), cancellationToken);
        return TypedResults.Ok(ResourceOf(updated, hosts));
    }

    /// <summary>ACR's usages of the registry against its tier: storage, webhooks, scope maps, tokens.</summary>
    internal static async Task<IResult> ListUsages(string registry, RegistryStore store, RegistryCounts counts, IOptions<TierOptions> tiers, CancellationToken cancellationToken)
    {
        var record = (await store.GetAsync(registry, cancellationToken))!;
        var limits = tiers.Value.For(record.Tier);
        var stored = await counts.StoredBytesAsync(registry, cancellationToken);
        return TypedResults.Ok(new ListResult<RegistryUsage>(
        [
            new("Size", limits.IncludedStorageBytes, stored, "Bytes"),
            new("MaxSize", limits.MaxStorageBytes, stored, "Bytes"),
            new("Webhooks", limits.Webhooks, await counts.WebhooksAsync(registry, cancellationToken), "Count"),
            new("ScopeMaps", limits.ScopeMapsAndTokens, record.ScopeMaps.Count, "Count"),
            new("Tokens", limits.ScopeMapsAndTokens, record.Tokens.Count, "Count"),
        ]));
    }

    internal static async Task<IResult> CustomDomains(RegistryStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.CustomDomainsAsync(cancellationToken));

    internal static RegistryResource ResourceOf(RegistryRecord record, RegistryHosts hosts) => new(
        $"/registries/{record.Name}",
        record.Name,
        ManagementApi.ArmType,
        record.Location,
        new Sku(record.Tier.ToString(), record.Tier.ToString()),
        new RegistryProperties(
            hosts.LoginServer(record.Name),
            record.CreatedAt,
            record.Settings.AdminUserEnabled,
            record.Settings.AnonymousPullEnabled,
            record.Settings.AnonymousPullRepositories,
            record.CustomDomains,
            new PoliciesResource(
                new RetentionPolicyResource(record.Policies.RetentionDays ?? DefaultRetentionDays, Status(record.Policies.RetentionDays is not null)),
                new SoftDeletePolicyResource(record.Policies.SoftDeleteDays ?? DefaultSoftDeleteDays, Status(record.Policies.SoftDeleteDays is not null)),
                new StatusPolicyResource(Status(record.Policies.ImmutableTags)))));

    private const int DefaultRetentionDays = 7;
    private const int DefaultSoftDeleteDays = 7;

    /// <summary>A record with the settings, domains and policies of a create or change applied, checked against the tier.</summary>
    private static RegistryRecord Changed(RegistryRecord record, RegistryUpdateProperties changes, RegistryTier tier, RegistryHosts hosts)
    {
        foreach (var repository in changes.AnonymousPullRepositories ?? [])
        {
            if (!RepositoryPattern.TryParse(repository, out _))
            {
                throw ManagementException.Invalid($"'{repository}' is not a repository name, 'prefix/*' or '*'");
            }
        }

        var anonymousPull = changes.AnonymousPullEnabled ?? record.Settings.AnonymousPullEnabled;
        if (anonymousPull && !AccessPolicy.AnonymousPullAllowedOnTier(tier))
        {
            throw ManagementException.Conflict($"anonymous pull needs the Standard or Premium tier; registry '{record.Name}' is {tier}");
        }

        var policies = PoliciesOf(changes.Policies, record.Policies);
        if (policies.RetentionDays is not null && tier != RegistryTier.Premium)
        {
            throw ManagementException.Conflict($"the retention policy needs the Premium tier (as in ACR); registry '{record.Name}' is {tier}");
        }

        return record with
        {
            Tier = tier,
            CustomDomains = changes.CustomDomains is { } domains ? Domains(domains, hosts) : record.CustomDomains,
            Policies = policies,
            Settings = record.Settings with
            {
                AdminUserEnabled = changes.AdminUserEnabled ?? record.Settings.AdminUserEnabled,
                AnonymousPullEnabled = anonymousPull,
                AnonymousPullRepositories = changes.AnonymousPullRepositories?.Distinct(StringComparer.Ordinal).ToList() ?? record.Settings.AnonymousPullRepositories,
            },
        };
    }

    private static RegistryPolicies PoliciesOf(PoliciesResource? changes, RegistryPolicies current)
    {
        if (changes is null)
        {
            return current;
        }

        var retention = changes.RetentionPolicy is not { } r ? current.RetentionDays
            : Enabled(r.Status, "retentionPolicy", current.RetentionDays is not null) ? Days(r.Days ?? current.RetentionDays ?? DefaultRetentionDays, 0, 365, "retentionPolicy.days")
            : null;
        var softDelete = changes.SoftDeletePolicy is not { } d ? current.SoftDeleteDays
            : Enabled(d.Status, "softDeletePolicy", current.SoftDeleteDays is not null) ? Days(d.RetentionDays ?? current.SoftDeleteDays ?? DefaultSoftDeleteDays, 1, 90, "softDeletePolicy.retentionDays")
            : null;
        var immutable = changes.ImmutableTagsPolicy is not { } i ? current.ImmutableTags : Enabled(i.Status, "immutableTagsPolicy", current.ImmutableTags);
        return new RegistryPolicies { RetentionDays = retention, SoftDeleteDays = softDelete, ImmutableTags = immutable };
    }

    private static bool Enabled(string? status, string policy, bool current) => status?.ToLowerInvariant() switch
    {
        null => current,
        "enabled" => true,
        "disabled" => false,
        _ => throw ManagementException.Invalid($"'{policy}.status' is '{status}'; use enabled or disabled"),
    };

    private static int Days(int days, int min, int max, string field) =>
        days >= min && days <= max ? days : throw ManagementException.Invalid($"'{field}' must be between {min} and {max} days");

    private static List<string> Domains(List<string> domains, RegistryHosts hosts)
    {
        var normalized = domains.Select(domain => domain.Trim().ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();
        foreach (var domain in normalized)
        {
            if (!CustomDomainMap.IsHostName(domain))
            {
                throw ManagementException.Invalid($"custom domain '{domain}' is not a host name (labels of letters, digits and hyphens, with at least one dot)");
            }

            if (hosts.IsPlatformHost(domain))
            {
                throw ManagementException.Invalid($"custom domain '{domain}' lies under the platform's own domain; registries are already served there");
            }
        }

        return normalized;
    }

    private static RegistryTier? ParseTier(string? name) =>
        name is not null && Enum.TryParse<RegistryTier>(name, ignoreCase: true, out var tier) && Enum.IsDefined(tier) ? tier : null;

    private static string Status(bool enabled) => enabled ? "enabled" : "disabled";

    internal sealed record RegistryDeleted(string Name, IReadOnlyList<string> Regions);
}

/// <summary>What a registry holds that its tier limits, counted from storage (the other services' records).</summary>
internal sealed class RegistryCounts(RegistryStore store, IStorageDriverFactory storage, IOptions<TierOptions> tiers)
{
    /// <summary>Refuses a tier change the registry does not fit: too many tokens, scope maps or webhooks, or replicas on a tier without them.</summary>
    public async Task EnsureFitsAsync(string registry, RegistryTier tier, CancellationToken cancellationToken)
    {
        var record = await store.GetAsync(registry, cancellationToken) ?? throw new RegistryNotFoundException(registry);
        var limits = tiers.Value.For(tier);
        if (record.Tokens.Count > limits.ScopeMapsAndTokens)
        {
            throw TierOptions.QuotaExceeded(tier, "tokens", limits.ScopeMapsAndTokens);
        }

        if (record.ScopeMaps.Count > limits.ScopeMapsAndTokens)
        {
            throw TierOptions.QuotaExceeded(tier, "scope maps", limits.ScopeMapsAndTokens);
        }

        if (await WebhooksAsync(registry, cancellationToken) > limits.Webhooks)
        {
            throw TierOptions.QuotaExceeded(tier, "webhooks", limits.Webhooks);
        }

        if (!limits.Replications && await ReplicasAsync(registry, cancellationToken) > 0)
        {
            throw ManagementException.Conflict($"the {tier} tier has no geo-replication; delete the replications of registry '{registry}' first");
        }
    }

    public Task<int> WebhooksAsync(string registry, CancellationToken cancellationToken) =>
        CountAsync(storage.ForRegistry(registry), StoragePaths.WebhooksRoot, cancellationToken);

    /// <summary>The registry's replications (the replication service's records), the home region's own record not counted.</summary>
    public async Task<int> ReplicasAsync(string registry, CancellationToken cancellationToken)
    {
        var platform = storage.ForPlatform();
        var count = 0;
        await foreach (var entry in platform.ListAsync(StoragePaths.Replicas(registry), cancellationToken))
        {
            if (entry.EndsWith(".json", StringComparison.Ordinal) && await platform.ReadAsync($"{StoragePaths.Replicas(registry)}/{entry}", cancellationToken) is { } stored)
            {
                using var record = JsonDocument.Parse(stored.Content);
                var home = record.RootElement.TryGetProperty("isHome", out var isHome) && isHome.ValueKind == JsonValueKind.True;
                count += home ? 0 : 1;
            }
        }

        return count;
    }

    /// <summary>The deduplicated bytes the distribution service last counted for the registry (0 before its first count).</summary>
    public async Task<long> StoredBytesAsync(string registry, CancellationToken cancellationToken)
    {
        var summary = await storage.ForRegistry(registry).ReadAsync(StoragePaths.UsageSummary, cancellationToken);
        if (summary is null)
        {
            return 0;
        }

        using var document = JsonDocument.Parse(summary.Content);
        return document.RootElement.TryGetProperty("storage", out var figures) && figures.TryGetProperty("dedupedBytes", out var bytes) && bytes.TryGetInt64(out var value)
            ? value
            : 0;
    }

    private static async Task<int> CountAsync(IStorageDriver driver, string folder, CancellationToken cancellationToken)
    {
        var count = 0;
        await foreach (var entry in driver.ListAsync(folder, cancellationToken))
        {
            count += entry.EndsWith(".json", StringComparison.Ordinal) ? 1 : 0;
        }

        return count;
    }
}
