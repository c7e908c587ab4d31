using Registry.Oci;
using Registry.Security;

namespace Registry.Auth.Identity;

/// <summary>ACR's scope-map actions (<c>repositories/&lt;repo&gt;/content/read</c> …) and the system scope maps.</summary>
internal static class ScopeMapActions
{
    public const string SystemPull = "_repositories_pull";
    public const string SystemPush = "_repositories_push";
    public const string SystemAdmin = "_repositories_admin";

    private static readonly Dictionary<string, string> VerbToAction = new(StringComparer.Ordinal)
    {
        ["content/read"] = RegistryActions.Pull,
        ["content/write"] = RegistryActions.Push,
        ["content/delete"] = RegistryActions.Delete,
        ["metadata/read"] = RegistryActions.MetadataRead,
        ["metadata/write"] = RegistryActions.MetadataWrite,
    };

    public static IReadOnlyDictionary<string, ScopeMapRecord> System { get; } = new Dictionary<string, ScopeMapRecord>(StringComparer.Ordinal)
    {
        [SystemPull] = SystemMap("Can pull any repository of the registry", "content/read", "metadata/read"),
        [SystemPush] = SystemMap("Can push to any repository of the registry", "content/read", "content/write", "metadata/read", "metadata/write"),
        [SystemAdmin] = SystemMap("Can perform all read, write and delete operations on the registry",
            "content/read", "content/write", "content/delete", "metadata/read", "metadata/write"),
    };

    public static bool IsSystem(string name) => System.ContainsKey(name);

    /// <summary>Parses <c>repositories/&lt;pattern&gt;/&lt;content|metadata&gt;/&lt;verb&gt;</c> into a repository pattern and a token action.</summary>
    public static bool TryParse(string action, out RepositoryPattern pattern, out string tokenAction)
    {
        pattern = default;
        tokenAction = "";
        const string prefix = "repositories/";
        if (!action.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var verbStart = action.LastIndexOf('/', action.LastIndexOf('/') - 1);
        if (verbStart <= prefix.Length || !VerbToAction.TryGetValue(action[(verbStart + 1)..], out var mapped))
        {
            return false;
        }

        if (!RepositoryPattern.TryParse(action[prefix.Length..verbStart], out pattern))
        {
            return false;
        }

        tokenAction = mapped;
        return true;
    }

    private static ScopeMapRecord SystemMap(string description, params string[] verbs) => new()
    {
        Description = description,
        Actions = verbs.Select(verb => $"repositories/*/{verb}").ToList(),
        CreatedAt = DateTimeOffset.UnixEpoch,
    };
}

/// <summary>A repository name, <c>prefix/*</c> (everything under the prefix) or <c>*</c> (every repository).</summary>
internal readonly record struct RepositoryPattern(string Value)
{
    public bool IsEverything => Value == "*";

    public static bool TryParse(string value, out RepositoryPattern pattern)
    {
        pattern = new RepositoryPattern(value);
        return value == "*" ||
               OciGrammar.IsRepositoryName(value) ||
               (value.EndsWith("/*", StringComparison.Ordinal) && OciGrammar.IsRepositoryName(value[..^2]));
    }

    public bool Matches(string repository) =>
        IsEverything ||
        string.Equals(Value, repository, StringComparison.Ordinal) ||
        (Value.EndsWith("/*", StringComparison.Ordinal) && repository.StartsWith(Value[..^1], StringComparison.Ordinal));
}

/// <summary>The built-in roles a service principal can be assigned, as ACR names them.</summary>
internal static class Roles
{
    public const string AcrPull = "AcrPull";
    public const string AcrPush = "AcrPush";
    public const string AcrDelete = "AcrDelete";
    public const string AcrQuarantineReader = "AcrQuarantineReader";
    public const string Reader = "Reader";
    public const string Contributor = "Contributor";
    public const string Owner = "Owner";

    private static readonly Dictionary<string, string[]> Actions = new(StringComparer.Ordinal)
    {
        [AcrPull] = [RegistryActions.Pull, RegistryActions.MetadataRead],
        [AcrPush] = [RegistryActions.Pull, RegistryActions.Push, RegistryActions.MetadataRead, RegistryActions.MetadataWrite],
        [AcrDelete] = [RegistryActions.Delete, RegistryActions.MetadataRead],
        [AcrQuarantineReader] = [RegistryActions.Pull, RegistryActions.MetadataRead, RegistryActions.QuarantineRead],
        [Reader] = [RegistryActions.Pull, RegistryActions.MetadataRead],
        [Contributor] = [.. RegistryActions.RepositoryActions],
        [Owner] = [.. RegistryActions.RepositoryActions],
    };

    public static IReadOnlyCollection<string> Names => Actions.Keys;

    public static bool Exists(string role) => Actions.ContainsKey(role);

    public static IReadOnlyList<string> ActionsOf(string role) => Actions.GetValueOrDefault(role) ?? [];
}
