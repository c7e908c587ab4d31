using System.Text.RegularExpressions;
using Registry.Auth.Identity;
using Microsoft.Extensions.Options;
using Registry.Security;
using Registry.Security.Limits;

namespace Registry.Auth.Apis;

/// <summary>
/// The management API under <c>/api/registries/{registry}</c>, after ACR's ARM resources: the registry's auth settings,
/// the admin user, scope maps, tokens, service principals and role assignments. Every call authenticates with Basic
/// credentials of the admin user or of a service principal holding a registry-wide role (Owner or Contributor to change,
/// Reader to look); errors are ProblemDetails. A secret is in the response that creates it and nowhere else.
/// </summary>
public static partial class ManagementApi
{
    internal const string ArmType = "Microsoft.ContainerRegistry/registries";
    private const string CallerItem = "registry.caller";

    public static RouteGroupBuilder MapManagementApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/registries/{registry}").AddEndpointFilter(AuthorizeAsync).DisableAntiforgery();
        group.MapGet("", RegistriesApi.GetRegistry).WithName("GetRegistry");
        group.MapPatch("", RegistriesApi.UpdateRegistry).WithName("UpdateRegistry");
        group.MapGet("/listUsages", RegistriesApi.ListUsages).WithName("ListUsages");
        group.MapPost("/listCredentials", ListCredentials).WithName("ListCredentials");
        group.MapPost("/regenerateCredential", RegenerateCredential).WithName("RegenerateCredential");

        group.MapGet("/scopeMaps", ListScopeMaps).WithName("ListScopeMaps");
        group.MapGet("/scopeMaps/{name}", GetScopeMap).WithName("GetScopeMap");
        group.MapPut("/scopeMaps/{name}", PutScopeMap).WithName("PutScopeMap");
        group.MapPatch("/scopeMaps/{name}", PutScopeMap).WithName("UpdateScopeMap");
        group.MapDelete("/scopeMaps/{name}", DeleteScopeMap).WithName("DeleteScopeMap");

        group.MapGet("/tokens", ListTokens).WithName("ListTokens");
        group.MapGet("/tokens/{name}", GetToken).WithName("GetRegistryToken");
        group.MapPut("/tokens/{name}", PutToken).WithName("PutToken");
        group.MapPatch("/tokens/{name}", PutToken).WithName("UpdateToken");
        group.MapDelete("/tokens/{name}", DeleteToken).WithName("DeleteToken");
        group.MapPost("/generateCredentials", GenerateCredentials).WithName("GenerateCredentials");

        group.MapGet("/servicePrincipals", ListServicePrincipals).WithName("ListServicePrincipals");
        group.MapPost("/servicePrincipals", CreateServicePrincipal).WithName("CreateServicePrincipal");
        group.MapGet("/servicePrincipals/{appId}", GetServicePrincipal).WithName("GetServicePrincipal");
        group.MapDelete("/servicePrincipals/{appId}", DeleteServicePrincipal).WithName("DeleteServicePrincipal");
        group.MapPost("/servicePrincipals/{appId}/resetCredential", ResetServicePrincipalCredential).WithName("ResetServicePrincipalCredential");

        group.MapGet("/roleAssignments", ListRoleAssignments).WithName("ListRoleAssignments");
        group.MapPut("/roleAssignments/{id}", PutRoleAssignment).WithName("PutRoleAssignment");
        group.MapDelete("/roleAssignments/{id}", DeleteRoleAssignment).WithName("DeleteRoleAssignment");
        return group;
    }

    /// <summary>Authenticates (throttled and audited like every login) and checks the caller may read or change this registry.</summary>
    private static async ValueTask<object?> AuthorizeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var registry = http.GetRouteValue("registry") as string ?? "";
        var changes = !HttpMethods.IsGet(http.Request.Method) && !http.Request.Path.Value!.EndsWith("/listCredentials", StringComparison.Ordinal);
        var decision = await http.RequestServices.GetRequiredService<IManagementAuthorizer>().AuthorizeAsync(http, registry, changes);
        if (decision.Caller is not { } caller)
        {
            return decision.ToProblem(http);
        }

        http.Items[CallerItem] = caller;
        try
        {
            return await next(context);
        }
        catch (ManagementException ex)
        {
            return Problem(ex);
        }
        catch (RegistryNotFoundException ex)
        {
            return Problem(ManagementException.NotFound($"registry '{ex.Name}'"));
        }
    }

    // ---- the admin user ----

    /// <summary>The admin user name and its passwords' names and ages: the values were shown once, when generated.</summary>
    internal static async Task<IResult> ListCredentials(string registry, RegistryStore store, CancellationToken cancellationToken)
    {
        var record = (await store.GetAsync(registry, cancellationToken))!;
        RequireAdminEnabled(record);
        return TypedResults.Ok(new CredentialsResult(TokenService.AdminUsername(record), record.Admin.Passwords.Select(p => PasswordInfoOf(p, null)).ToList()));
    }

    internal static async Task<IResult> RegenerateCredential(string registry, CredentialName request, RegistryStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var name = request.Name ?? throw ManagementException.Invalid("'name' is required: password or password2");
        if (name is not ("password" or "password2"))
        {
            throw ManagementException.Invalid($"'{name}' is not an admin password name; use password or password2");
        }

        var value = Secrets.Generate();
        var updated = await store.UpdateAsync(registry, record =>
        {
            RequireAdminEnabled(record);
            return record with { Admin = record.Admin with { Passwords = Replace(record.Admin.Passwords, NewSecret(name, value, null, time)) } };
        }, cancellationToken);
        return TypedResults.Ok(new CredentialsResult(
            TokenService.AdminUsername(updated), updated.Admin.Passwords.Select(p => PasswordInfoOf(p, p.Name == name ? value : null)).ToList()));
    }

    // ---- scope maps ----

    internal static async Task<IResult> ListScopeMaps(string registry, RegistryStore store, CancellationToken cancellationToken)
    {
        var record = (await store.GetAsync(registry, cancellationToken))!;
        var maps = ScopeMapActions.System.Select(entry => ScopeMapResourceOf(record.Name, entry.Key, entry.Value, system: true))
            .Concat(record.ScopeMaps.OrderBy(entry => entry.Key, StringComparer.Ordinal).Select(entry => ScopeMapResourceOf(record.Name, entry.Key, entry.Value, system: false)));
        return TypedResults.Ok(new ListResult<ScopeMapResource>(maps.ToList()));
    }

    internal static async Task<IResult> GetScopeMap(string registry, string name, RegistryStore store, CancellationToken cancellationToken)
    {
        var record = (await store.GetAsync(registry, cancellationToken))!;
        var map = AccessPolicy.ScopeMap(record, name) ?? throw ManagementException.NotFound($"scope map '{name}'");
        return TypedResults.Ok(ScopeMapResourceOf(record.Name, name, map, ScopeMapActions.IsSystem(name)));
    }

    /// <summary>PUT creates or replaces, PATCH changes what is given; actions are checked against ACR's grammar.</summary>
    internal static async Task<IResult> PutScopeMap(
        HttpContext context, string registry, string name, ScopeMapUpdate update, RegistryStore store, IOptions<TierOptions> tiers, TimeProvider time, CancellationToken cancellationToken)
    {
        if (ScopeMapActions.IsSystem(name))
        {
            throw ManagementException.Conflict($"'{name}' is a system scope map and cannot be changed");
        }

        RequireResourceName(name, "scope map");
        var changes = update.Properties ?? throw ManagementException.Invalid("'properties' is required");
        foreach (var action in changes.Actions ?? [])
        {
            if (!ScopeMapActions.TryParse(action, out _, out _))
            {
                throw ManagementException.Invalid(
                    $"'{action}' is not a scope map action; expected repositories/<repository>/(content/read|content/write|content/delete|metadata/read|metadata/write)");
            }
        }

        var patch = HttpMethods.IsPatch(context.Request.Method);
        var created = false;
        var updated = await store.UpdateAsync(registry, record =>
        {
            var existing = record.ScopeMaps.GetValueOrDefault(name);
            if (existing is null && patch)
            {
                throw ManagementException.NotFound($"scope map '{name}'");
            }

            var actions = changes.Actions ?? (patch ? existing!.Actions : null);
            if (actions is not { Count: > 0 })
            {
                throw ManagementException.Invalid("a scope map needs at least one action");
            }

            created = existing is null;
            EnsureRoomFor(created, record.ScopeMaps.Count, record.Tier, tiers.Value, "scope maps");
            var map = new ScopeMapRecord
            {
                Description = changes.Description ?? (patch ? existing?.Description : null),
                Actions = actions.Distinct(StringComparer.Ordinal).ToList(),
                CreatedAt = existing?.CreatedAt ?? time.GetUtcNow(),
            };
            return record with { ScopeMaps = With(record.ScopeMaps, name, map) };
        }, cancellationToken);
        var resource = ScopeMapResourceOf(updated.Name, name, updated.ScopeMaps[name], system: false);
        return created ? TypedResults.Created($"/api/registries/{updated.Name}/scopeMaps/{name}", resource) : TypedResults.Ok(resource);
    }

    internal static async Task<IResult> DeleteScopeMap(string registry, string name, RegistryStore store, CancellationToken cancellationToken)
    {
        if (ScopeMapActions.IsSystem(name))
        {
            throw ManagementException.Conflict($"'{name}' is a system scope map and cannot be deleted");
        }

        await store.UpdateAsync(registry, record =>
        {
            if (!record.ScopeMaps.ContainsKey(name))
            {
                throw ManagementException.NotFound($"scope map '{name}'");
            }

            var users = record.Tokens.Where(token => token.Value.ScopeMap == name).Select(token => token.Key).ToList();
            if (users.Count > 0)
            {
                throw ManagementException.Conflict($"scope map '{name}' is used by the tokens {string.Join(", ", users)}; delete them or move them to another scope map first");
            }

            return record with { ScopeMaps = Without(record.ScopeMaps, name) };
        }, cancellationToken);
        return TypedResults.NoContent();
    }

    // ---- tokens ----

    internal static async Task<IResult> ListTokens(string registry, RegistryStore store, CancellationToken cancellationToken)
    {
        var record = (await store.GetAsync(registry, cancellationToken))!;
        return TypedResults.Ok(new ListResult<TokenResource>(
            record.Tokens.OrderBy(entry => entry.Key, StringComparer.Ordinal).Select(entry => TokenResourceOf(record.Name, entry.Key, entry.Value, null)).ToList()));
    }

    internal static async Task<IResult> GetToken(string registry, string name, RegistryStore store, CancellationToken cancellationToken)
    {
        var record = (await store.GetAsync(registry, cancellationToken))!;
        var token = record.Tokens.GetValueOrDefault(name) ?? throw ManagementException.NotFound($"token '{name}'");
        return TypedResults.Ok(TokenResourceOf(record.Name, name, token, null));
    }

    /// <summary>Creating a token generates both its passwords and shows them in this response only (as <c>az acr token create</c> does).</summary>
    internal static async Task<IResult> PutToken(
        HttpContext context, string registry, string name, TokenUpdate update, RegistryStore store, IOptions<TierOptions> tiers, TimeProvider time, CancellationToken cancellationToken)
    {
        RequireResourceName(name, "token");
        if (Guid.TryParse(name, out _))
        {
            throw ManagementException.Invalid("a token name cannot be a GUID: those name service principals");
        }

        var changes = update.Properties ?? throw ManagementException.Invalid("'properties' is required");
        var status = changes.Status?.ToLowerInvariant();
        if (status is not (null or "enabled" or "disabled"))
        {
            throw ManagementException.Invalid($"status '{changes.Status}' is not enabled or disabled");
        }

        var patch = HttpMethods.IsPatch(context.Request.Method);
        var generated = new Dictionary<string, string>(StringComparer.Ordinal);
        var updated = await store.UpdateAsync(registry, record =>
        {
            generated.Clear();
            var existing = record.Tokens.GetValueOrDefault(name);
            if (existing is null && patch)
            {
                throw ManagementException.NotFound($"token '{name}'");
            }

            if (string.Equals(name, TokenService.AdminUsername(record), StringComparison.OrdinalIgnoreCase))
            {
                throw ManagementException.Conflict($"'{name}' is the admin user's name");
            }

            var scopeMap = changes.ScopeMapId is null ? existing?.ScopeMap : ResourceName(changes.ScopeMapId);
            if (scopeMap is null)
            {
                throw ManagementException.Invalid("'scopeMapId' is required");
            }

            if (AccessPolicy.ScopeMap(record, scopeMap) is null)
            {
                throw ManagementException.Invalid($"scope map '{scopeMap}' does not exist");
            }

            EnsureRoomFor(existing is null, record.Tokens.Count, record.Tier, tiers.Value, "tokens");
            var passwords = existing?.Passwords ?? [];
            if (existing is null)
            {
                foreach (var passwordName in TokenPasswordNames)
                {
                    generated[passwordName] = Secrets.Generate();
                    passwords = Replace(passwords, NewSecret(passwordName, generated[passwordName], null, time));
                }
            }

            var token = new TokenRecord
            {
                ScopeMap = scopeMap,
                Enabled = status is null ? existing?.Enabled ?? true : status == "enabled",
                CreatedAt = existing?.CreatedAt ?? time.GetUtcNow(),
                Passwords = passwords,
                RateLimitPerMinute = changes.RateLimitPerMinute switch
                {
                    null => existing?.RateLimitPerMinute,
                    0 => null,
                    > 0 and <= 1_000_000 and var rate => rate,
                    _ => throw ManagementException.Invalid("'rateLimitPerMinute' is 1 to 1000000 requests per minute, or 0 for none"),
                },
            };
            return record with { Tokens = With(record.Tokens, name, token) };
        }, cancellationToken);
        var resource = TokenResourceOf(updated.Name, name, updated.Tokens[name], generated);
        return generated.Count > 0 ? TypedResults.Created($"/api/registries/{updated.Name}/tokens/{name}", resource) : TypedResults.Ok(resource);
    }

    internal static async Task<IResult> DeleteToken(string registry, string name, RegistryStore store, CancellationToken cancellationToken)
    {
        await store.UpdateAsync(
            registry,
            record => record.Tokens.ContainsKey(name) ? record with { Tokens = Without(record.Tokens, name) } : throw ManagementException.NotFound($"token '{name}'"),
            cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>ACR's <c>generateCredentials</c>: a new value for <c>password1</c> or <c>password2</c> of a token, optionally expiring.</summary>
    internal static async Task<IResult> GenerateCredentials(
        string registry, GenerateCredentialsRequest request, RegistryStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var tokenName = request.TokenId is { Length: > 0 } id ? ResourceName(id) : throw ManagementException.Invalid("'tokenId' is required");
        var names = request.Name is null ? TokenPasswordNames : [request.Name];
        if (names.Any(n => !TokenPasswordNames.Contains(n)))
        {
            throw ManagementException.Invalid($"'{request.Name}' is not a token password name; use password1 or password2");
        }

        if (request.Expiry is { } expiry && expiry <= time.GetUtcNow())
        {
            throw ManagementException.Invalid("'expiry' is in the past");
        }

        var values = names.ToDictionary(n => n, _ => Secrets.Generate(), StringComparer.Ordinal);
        var updated = await store.UpdateAsync(registry, record =>
        {
            var token = record.Tokens.GetValueOrDefault(tokenName) ?? throw ManagementException.NotFound($"token '{tokenName}'");
            var passwords = token.Passwords;
            foreach (var (name, value) in values)
            {
                passwords = Replace(passwords, NewSecret(name, value, request.Expiry, time));
            }

            return record with { Tokens = With(record.Tokens, tokenName, token with { Passwords = passwords }) };
        }, cancellationToken);
        return TypedResults.Ok(new CredentialsResult(
            tokenName, updated.Tokens[tokenName].Passwords.Where(p => values.ContainsKey(p.Name)).Select(p => PasswordInfoOf(p, values[p.Name])).ToList()));
    }

    // ---- service principals and role assignments ----

    internal static async Task<IResult> ListServicePrincipals(string registry, RegistryStore store, CancellationToken cancellationToken)
    {
        var record = (await store.GetAsync(registry, cancellationToken))!;
        return TypedResults.Ok(new ListResult<ServicePrincipalResource>(
            record.ServicePrincipals.OrderBy(entry => entry.Value.Name, StringComparer.Ordinal).Select(entry => new ServicePrincipalResource(entry.Key, entry.Value.Name, entry.Value.CreatedAt, null)).ToList()));
    }

    internal static async Task<IResult> GetServicePrincipal(string registry, string appId, RegistryStore store, CancellationToken cancellationToken)
    {
        var record = (await store.GetAsync(registry, cancellationToken))!;
        var principal = record.ServicePrincipals.GetValueOrDefault(appId.ToLowerInvariant()) ?? throw ManagementException.NotFound($"service principal '{appId}'");
        return TypedResults.Ok(new ServicePrincipalResource(appId.ToLowerInvariant(), principal.Name, principal.CreatedAt, null));
    }

    /// <summary>A new service principal: its app id is its user name, its password is in this response only.</summary>
    internal static async Task<IResult> CreateServicePrincipal(
        string registry, ServicePrincipalRequest request, RegistryStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 128)
        {
            throw ManagementException.Invalid("'name' is required (1–128 characters)");
        }

        var appId = Guid.NewGuid().ToString("D");
        var password = Secrets.Generate();
        var now = time.GetUtcNow();
        await store.UpdateAsync(registry, record => record with
        {
            ServicePrincipals = With(record.ServicePrincipals, appId, new ServicePrincipalRecord { Name = name, CreatedAt = now, Secrets = [NewSecret("password", password, null, time)] }),
        }, cancellationToken);
        return TypedResults.Created($"/api/registries/{registry}/servicePrincipals/{appId}", new ServicePrincipalResource(appId, name, now, password));
    }

    internal static async Task<IResult> DeleteServicePrincipal(string registry, string appId, RegistryStore store, CancellationToken cancellationToken)
    {
        var id = appId.ToLowerInvariant();
        await store.UpdateAsync(registry, record => record.ServicePrincipals.ContainsKey(id)
            ? record with
            {
                ServicePrincipals = Without(record.ServicePrincipals, id),
                RoleAssignments = record.RoleAssignments.Where(entry => entry.Value.PrincipalId != id).ToDictionary(StringComparer.Ordinal),
            }
            : throw ManagementException.NotFound($"service principal '{appId}'"), cancellationToken);
        return TypedResults.NoContent();
    }

    internal static async Task<IResult> ResetServicePrincipalCredential(
        string registry, string appId, RegistryStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var id = appId.ToLowerInvariant();
        var password = Secrets.Generate();
        var updated = await store.UpdateAsync(registry, record =>
        {
            var principal = record.ServicePrincipals.GetValueOrDefault(id) ?? throw ManagementException.NotFound($"service principal '{appId}'");
            return record with { ServicePrincipals = With(record.ServicePrincipals, id, principal with { Secrets = [NewSecret("password", password, null, time)] }) };
        }, cancellationToken);
        var principal = updated.ServicePrincipals[id];
        return TypedResults.Ok(new ServicePrincipalResource(id, principal.Name, principal.CreatedAt, password));
    }

    internal static async Task<IResult> ListRoleAssignments(string registry, RegistryStore store, CancellationToken cancellationToken)
    {
        var record = (await store.GetAsync(registry, cancellationToken))!;
        return TypedResults.Ok(new ListResult<RoleAssignmentResource>(
            record.RoleAssignments.OrderBy(entry => entry.Key, StringComparer.Ordinal).Select(entry => RoleAssignmentResourceOf(record.Name, entry.Key, entry.Value)).ToList()));
    }

    /// <summary>Assigns a role to a service principal, for the whole registry or for <c>repositories/&lt;name or prefix/*&gt;</c>.</summary>
    internal static async Task<IResult> PutRoleAssignment(
        string registry, string id, RoleAssignmentRequest request, RegistryStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        RequireResourceName(id, "role assignment");
        var properties = request.Properties ?? throw ManagementException.Invalid("'properties' is required");
        var principalId = properties.PrincipalId?.ToLowerInvariant() ?? throw ManagementException.Invalid("'principalId' is required");
        var role = properties.RoleDefinitionName ?? throw ManagementException.Invalid("'roleDefinitionName' is required");
        if (!Roles.Exists(role))
        {
            throw ManagementException.Invalid($"role '{role}' does not exist; use one of {string.Join(", ", Roles.Names)}");
        }

        var scope = string.IsNullOrEmpty(properties.Scope) || properties.Scope == "/" ? null : properties.Scope.TrimStart('/');
        if (scope is not null && (!scope.StartsWith("repositories/", StringComparison.Ordinal) || !RepositoryPattern.TryParse(scope["repositories/".Length..], out _)))
        {
            throw ManagementException.Invalid($"scope '{properties.Scope}' is not the registry or repositories/<repository or prefix/*>");
        }

        var created = false;
        var updated = await store.UpdateAsync(registry, record =>
        {
            if (!record.ServicePrincipals.ContainsKey(principalId))
            {
                throw ManagementException.Invalid($"service principal '{principalId}' does not exist in registry '{registry}'");
            }

            var existing = record.RoleAssignments.GetValueOrDefault(id);
            created = existing is null;
            var assignment = new RoleAssignmentRecord { PrincipalId = principalId, Role = role, Scope = scope, CreatedAt = existing?.CreatedAt ?? time.GetUtcNow() };
            return record with { RoleAssignments = With(record.RoleAssignments, id, assignment) };
        }, cancellationToken);
        var resource = RoleAssignmentResourceOf(updated.Name, id, updated.RoleAssignments[id]);
        return created ? TypedResults.Created($"/api/registries/{updated.Name}/roleAssignments/{id}", resource) : TypedResults.Ok(resource);
    }

    internal static async Task<IResult> DeleteRoleAssignment(string registry, string id, RegistryStore store, CancellationToken cancellationToken)
    {
        await store.UpdateAsync(
            registry,
            record => record.RoleAssignments.ContainsKey(id)
                ? record with { RoleAssignments = Without(record.RoleAssignments, id) }
                : throw ManagementException.NotFound($"role assignment '{id}'"),
            cancellationToken);
        return TypedResults.NoContent();
    }

    // ---- shapes and helpers ----

    private static readonly string[] TokenPasswordNames = ["password1", "password2"];

    private static ScopeMapResource ScopeMapResourceOf(string registry, string name, ScopeMapRecord map, bool system) => new(
        $"/registries/{registry}/scopeMaps/{name}", name, $"{ArmType}/scopeMaps",
        new ScopeMapProperties(map.Description, system ? "SystemDefined" : "UserDefined", map.Actions, map.CreatedAt));

    private static TokenResource TokenResourceOf(string registry, string name, TokenRecord token, IReadOnlyDictionary<string, string>? values) => new(
        $"/registries/{registry}/tokens/{name}", name, $"{ArmType}/tokens",
        new TokenProperties(
            $"/registries/{registry}/scopeMaps/{token.ScopeMap}",
            token.Enabled ? "enabled" : "disabled",
            token.CreatedAt,
            new TokenCredentialsProperties(token.Passwords.Select(p => PasswordInfoOf(p, values?.GetValueOrDefault(p.Name))).ToList()),
            token.RateLimitPerMinute));

    private static RoleAssignmentResource RoleAssignmentResourceOf(string registry, string id, RoleAssignmentRecord assignment) => new(
        $"/registries/{registry}/roleAssignments/{id}", id, "Microsoft.Authorization/roleAssignments",
        new RoleAssignmentProperties(assignment.PrincipalId, assignment.Role, assignment.Scope, assignment.CreatedAt));

    internal static PasswordInfo PasswordInfoOf(SecretRecord secret, string? value) => new(secret.Name, value, secret.CreatedAt, secret.Expiry);

    internal static SecretRecord NewSecret(string name, string value, DateTimeOffset? expiry, TimeProvider time) =>
        new() { Name = name, Hash = Secrets.HashGenerated(value), CreatedAt = time.GetUtcNow(), Expiry = expiry };

    private static List<SecretRecord> Replace(List<SecretRecord> secrets, SecretRecord secret) =>
        [.. secrets.Where(s => s.Name != secret.Name), secret];

    private static Dictionary<string, T> With<T>(Dictionary<string, T> source, string key, T value) =>
        new(source, StringComparer.Ordinal) { [key] = value };

    private static Dictionary<string, T> Without<T>(Dictionary<string, T> source, string key)
    {
        var copy = new Dictionary<string, T>(source, StringComparer.Ordinal);
        copy.Remove(key);
        return copy;
    }

    /// <summary>The last segment of an ARM id (<c>/registries/r/scopeMaps/x</c>) or the plain name.</summary>
    private static string ResourceName(string idOrName) => idOrName.TrimEnd('/')[(idOrName.TrimEnd('/').LastIndexOf('/') + 1)..];

    private static void RequireResourceName(string name, string what)
    {
        if (!ResourceNamePattern().IsMatch(name))
        {
            throw ManagementException.Invalid($"'{name}' is not a valid {what} name: 5–50 letters, digits and hyphens");
        }
    }

    /// <summary>A new token or scope map must fit the registry's tier.</summary>
    private static void EnsureRoomFor(bool creating, int count, RegistryTier tier, TierOptions tiers, string what)
    {
        var limit = tiers.For(tier).ScopeMapsAndTokens;
        if (creating && count >= limit)
        {
            throw TierOptions.QuotaExceeded(tier, what, limit);
        }
    }

    private static void RequireAdminEnabled(RegistryRecord record)
    {
        if (!record.Settings.AdminUserEnabled)
        {
            throw ManagementException.Conflict($"the admin user of registry '{record.Name}' is disabled; enable it with PATCH properties.adminUserEnabled=true");
        }
    }

    private static IResult Problem(ManagementException ex) => ex.ToProblem();

    [GeneratedRegex("^[a-zA-Z0-9-]{5,50}$")]
    private static partial Regex ResourceNamePattern();
}
