using System.CommandLine;
using System.Text.Json.Nodes;
using Registry.Cli.Infrastructure;

namespace Registry.Cli.Commands;

/// <summary><c>registry scope-map …</c>: sets of repository actions tokens are granted.</summary>
internal static class ScopeMapCommands
{
    public static readonly ResourceKind Kind = new("scope map", "/scopeMaps",
        new Column("Name", "name"), new Column("Type", "properties.type"), new Column("Description", "properties.description"), new Column("Created", "properties.creationDate"));

    private static readonly HashSet<string> KnownActions = new(StringComparer.Ordinal)
    {
        "content/read", "content/write", "content/delete", "metadata/read", "metadata/write",
    };

    public static Command Create(CliRuntime cli)
    {
        var repository = RepositoryOption("--repository", "A repository and its actions: --repository app content/read content/write (repeatable)");
        var add = RepositoryOption("--add-repository", "A repository and actions to add (repeatable)");
        var remove = RepositoryOption("--remove-repository", "A repository and actions to remove (repeatable)");
        var description = new Option<string?>("--description") { Description = "What the scope map is for" };
        return CliRuntime.Group("scope-map", "Scope maps: the repository actions a token is granted",
            Resources.Write(cli, Kind, HttpMethod.Put, (context, _, _) =>
            {
                var actions = Actions(context.Value(repository));
                return Task.FromResult(Body(actions.Count == 0 ? throw new CliException("give at least one --repository <repo> <action>…") : actions, context.Value(description)));
            }, repository, description),
            Resources.List(cli, Kind),
            Resources.Show(cli, Kind),
            Resources.Write(cli, Kind, HttpMethod.Patch, async (context, name, cancellationToken) =>
            {
                var current = await context.Client.ManageAsync(HttpMethod.Get, $"{Kind.Path}/{name}", cancellationToken: cancellationToken);
                var actions = (current?["properties"]?["actions"] as JsonArray ?? []).Select(a => a!.GetValue<string>()).ToList();
                actions.AddRange(Actions(context.Value(add)).Except(actions));
                actions.RemoveAll(Actions(context.Value(remove)).Contains);
                return Body(actions, context.Value(description));
            }, add, remove, description),
            Resources.Delete(cli, Kind));
    }

    public static Option<string[]> RepositoryOption(string name, string description) => CliRuntime.Many(name, description);

    /// <summary>The body of a scope map PUT or PATCH.</summary>
    public static JsonObject Body(IReadOnlyCollection<string> actions, string? description) => new()
    {
        ["properties"] = Resources.Given(("actions", new JsonArray(actions.Select(a => (JsonNode?)a).ToArray())), ("description", description)),
    };

    /// <summary>
    /// ACR's <c>--repository app content/read content/write --repository base metadata/read</c>, as System.CommandLine
    /// hands it over (one flat list): each known action belongs to the repository named before it →
    /// <c>repositories/app/content/read</c>, ….
    /// </summary>
    public static List<string> Actions(string[]? values)
    {
        var result = new List<string>();
        string? repository = null;
        foreach (var value in values ?? [])
        {
            if (!KnownActions.Contains(value))
            {
                repository = value;
                continue;
            }

            result.Add(repository is null
                ? throw new CliException($"action '{value}' has no repository before it: --repository <repo> {value}")
                : $"repositories/{repository}/{value}");
        }

        if (repository is not null && !result.Exists(action => action.StartsWith($"repositories/{repository}/", StringComparison.Ordinal)))
        {
            throw new CliException($"repository '{repository}' has no actions: give some of {string.Join(", ", KnownActions)}");
        }

        return result;
    }
}
