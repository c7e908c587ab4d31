using Registry.Oci;
using Registry.Security;

namespace Registry.Auth.Identity;

internal enum IdentityKind
{
    Anonymous,
    Admin,
    Token,
    ServicePrincipal,
}

/// <summary>Who is asking: the identity, and which of its secrets was used (a refresh token is bound to it).</summary>
internal sealed record Caller(IdentityKind Kind, string Id, string? SecretName = null, string? Stamp = null)
{
    public static Caller Anonymous { get; } = new(IdentityKind.Anonymous, "");

    /// <summary>The token subject: <c>admin:&lt;user&gt;</c>, <c>token:&lt;name&gt;</c>, <c>sp:&lt;appId&gt;</c>, or empty for anonymous.</summary>
    public string Subject => Kind switch
    {
        IdentityKind.Admin => $"admin:{Id}",
        IdentityKind.Token => $"token:{Id}",
        IdentityKind.ServicePrincipal => $"sp:{Id}",
        _ => "",
    };
}

/// <summary>What an identity may do in one registry: repository rules plus the catalog, and whether it may manage (or only look at) the registry.</summary>
internal sealed record Permissions(IReadOnlyList<(RepositoryPattern Pattern, IReadOnlyList<string> Actions)> Rules, bool Catalog, bool Owner, bool ManagementReader)
{
    public IEnumerable<string> ActionsOn(string repository) =>
        Rules.Where(rule => rule.Pattern.Matches(repository)).SelectMany(rule => rule.Actions).Distinct(StringComparer.Ordinal);
}

/// <summary>Grants only what was asked and is allowed (the Docker token spec's intersection), anonymous grants included for everyone.</summary>
internal static class AccessPolicy
{
    private static readonly string[] AnonymousActions = [RegistryActions.Pull, RegistryActions.MetadataRead];

    public static IReadOnlyList<AccessScope> Grant(RegistryRecord record, Caller caller, IEnumerable<AccessScope> requested)
    {
        var permissions = PermissionsOf(record, caller);
        var granted = new List<AccessScope>();
        foreach (var scope in requested)
        {
            if (scope.Type == RegistryActions.RegistryType && scope.Name == RegistryActions.CatalogName)
            {
                if (permissions.Catalog)
                {
                    granted.Add(AccessScope.Catalog);
                }

                continue;
            }

            if (scope.Type != RegistryActions.RepositoryType || !OciGrammar.IsRepositoryName(scope.Name))
            {
                continue;
            }

            var allowed = permissions.ActionsOn(scope.Name).ToHashSet(StringComparer.Ordinal);
            var actions = scope.Actions.Contains(RegistryActions.All, StringComparer.Ordinal)
                ? allowed.Order(StringComparer.Ordinal).ToArray()
                : scope.Actions.Where(allowed.Contains).ToArray();
            if (actions.Contains(RegistryActions.Pull, StringComparer.Ordinal) && allowed.Contains(RegistryActions.QuarantineRead)
                && !actions.Contains(RegistryActions.QuarantineRead, StringComparer.Ordinal))
            {
                actions = [.. actions, RegistryActions.QuarantineRead];
            }
            if (actions.Length > 0)
            {
                granted.Add(new AccessScope(scope.Type, scope.Name, actions));
            }
        }

        return granted;
    }

    public static Permissions PermissionsOf(RegistryRecord record, Caller caller)
    {
        var rules = AnonymousRules(record).ToList();
        var catalog = false;
        var owner = false;
        var reader = false;
        switch (caller.Kind)
        {
            case IdentityKind.Admin:
                rules.Add((new RepositoryPattern("*"), RegistryActions.RepositoryActions));
                catalog = owner = true;
                break;
            case IdentityKind.Token when record.Tokens.TryGetValue(caller.Id, out var token) && ScopeMap(record, token.ScopeMap) is { } map:
                foreach (var action in map.Actions)
                {
                    if (ScopeMapActions.TryParse(action, out var pattern, out var tokenAction))
                    {
                        rules.Add((pattern, [tokenAction]));
                        catalog |= pattern.IsEverything && tokenAction == RegistryActions.MetadataRead;
                    }
                }

                break;
            case IdentityKind.ServicePrincipal:
                foreach (var assignment in record.RoleAssignments.Values.Where(a => a.PrincipalId == caller.Id))
                {
                    var pattern = assignment.Scope is null ? new RepositoryPattern("*") : new RepositoryPattern(assignment.Scope["repositories/".Length..]);
                    rules.Add((pattern, Roles.ActionsOf(assignment.Role)));
                    catalog |= assignment.Scope is null;
                    owner |= assignment.Scope is null && assignment.Role is Roles.Owner or Roles.Contributor;
                    reader |= assignment.Scope is null && assignment.Role == Roles.Reader;
                }

                break;
        }

        return new Permissions(rules, catalog, owner, owner || reader);
    }

    public static ScopeMapRecord? ScopeMap(RegistryRecord record, string name) =>
        ScopeMapActions.System.GetValueOrDefault(name) ?? record.ScopeMaps.GetValueOrDefault(name);

    /// <summary>ACR allows registry-wide anonymous pull from the Standard tier up; per-repository anonymous pull is ours and tier-free.</summary>
    public static bool AnonymousPullAllowedOnTier(RegistryTier tier) => tier >= RegistryTier.Standard;

    private static IEnumerable<(RepositoryPattern, IReadOnlyList<string>)> AnonymousRules(RegistryRecord record)
    {
        if (record.Settings.AnonymousPullEnabled && AnonymousPullAllowedOnTier(record.Tier))
        {
            yield return (new RepositoryPattern("*"), AnonymousActions);
        }

        foreach (var repository in record.Settings.AnonymousPullRepositories)
        {
            yield return (new RepositoryPattern(repository), AnonymousActions);
        }
    }
}
