using System.Text.Json.Serialization;

namespace Registry.Security;

/// <summary>The actions of the Docker token spec plus ACR's metadata actions.</summary>
public static class RegistryActions
{
    public const string Pull = "pull";
    public const string Push = "push";
    public const string Delete = "delete";
    public const string MetadataRead = "metadata_read";
    public const string MetadataWrite = "metadata_write";

    /// <summary>
    /// Pulling images held in quarantine (the <c>AcrQuarantineReader</c> role). Never requested by clients: granted with
    /// <see cref="Pull"/> to identities that have it, so their ordinary pull token carries it.
    /// </summary>
    public const string QuarantineRead = "quarantine_read";

    public const string All = "*";

    public const string RepositoryType = "repository";
    public const string RegistryType = "registry";
    public const string CatalogName = "catalog";

    public static readonly IReadOnlyList<string> RepositoryActions = [Pull, Push, Delete, MetadataRead, MetadataWrite];
}

/// <summary>
/// One entry of a token's <c>access</c> claim and of a challenge's <c>scope</c>:
/// <c>repository:samples/hello:pull,push</c> or <c>registry:catalog:*</c>.
/// </summary>
public sealed record AccessScope(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("actions")] IReadOnlyList<string> Actions)
{
    public static AccessScope Repository(string name, params string[] actions) => new(RegistryActions.RepositoryType, name, actions);

    public static AccessScope Catalog { get; } = new(RegistryActions.RegistryType, RegistryActions.CatalogName, [RegistryActions.All]);

    /// <summary>Parses <c>type[(class)]:name:action[,action]</c>; the name may itself hold colons (a host with a port).</summary>
    public static bool TryParse(string? value, out AccessScope scope)
    {
        scope = null!;
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        var first = value.IndexOf(':', StringComparison.Ordinal);
        var last = value.LastIndexOf(':');
        if (first <= 0 || last == first || last == value.Length)
        {
            return false;
        }

        var type = value[..first];
        var resourceClass = type.IndexOf('(', StringComparison.Ordinal);
        if (resourceClass > 0 && type.EndsWith(')'))
        {
            type = type[..resourceClass];
        }

        var name = value[(first + 1)..last];
        var actions = value[(last + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (name.Length == 0 || type.Length == 0)
        {
            return false;
        }

        scope = new AccessScope(type, name, actions.Distinct(StringComparer.Ordinal).ToArray());
        return true;
    }

    public override string ToString() => $"{Type}:{Name}:{string.Join(',', Actions)}";

    public bool Allows(string type, string name, string action) =>
        string.Equals(Type, type, StringComparison.Ordinal) &&
        string.Equals(Name, name, StringComparison.Ordinal) &&
        (Actions.Contains(action, StringComparer.Ordinal) || Actions.Contains(RegistryActions.All, StringComparer.Ordinal));
}
