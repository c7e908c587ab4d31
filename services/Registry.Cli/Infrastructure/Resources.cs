using System.CommandLine;
using System.Text.Json.Nodes;

namespace Registry.Cli.Infrastructure;

/// <summary>A kind of ARM child resource of a registry (<c>/tokens</c>, <c>/scopeMaps</c>, <c>/webhooks</c>, …) and its table columns.</summary>
internal sealed record ResourceKind(string Noun, string Path, params Column[] Columns);

/// <summary>The list, show, delete, create and update commands every child resource has, written once.</summary>
internal static class Resources
{
    public static Command List(CliRuntime cli, ResourceKind kind) =>
        cli.Action(CliRuntime.Command("list", $"List the registry's {kind.Noun}s"), async (context, cancellationToken) =>
            context.Output.List(await context.Client.ManageAsync(HttpMethod.Get, kind.Path, cancellationToken: cancellationToken), "value", kind.Columns));

    public static Command Show(CliRuntime cli, ResourceKind kind)
    {
        var name = CliRuntime.Name("name", $"The {kind.Noun}'s name");
        return cli.Action(CliRuntime.Command("show", $"Show a {kind.Noun}", name), async (context, cancellationToken) =>
            context.Output.Object(await context.Client.ManageAsync(HttpMethod.Get, $"{kind.Path}/{context.Value(name)}", cancellationToken: cancellationToken)));
    }

    public static Command Delete(CliRuntime cli, ResourceKind kind)
    {
        var name = CliRuntime.Name("name", $"The {kind.Noun}'s name");
        return cli.Action(CliRuntime.Command("delete", $"Delete a {kind.Noun}", name), async (context, cancellationToken) =>
        {
            var response = await context.Client.ManageAsync(HttpMethod.Delete, $"{kind.Path}/{context.Value(name)}", cancellationToken: cancellationToken);
            context.Output.Done($"Deleted {kind.Noun} '{context.Value(name)}'.", response);
        });
    }

    /// <summary>
    /// <c>create</c> (PUT) or <c>update</c> (PATCH) of <c>{path}/{name}</c> with the body <paramref name="body"/> builds
    /// from the options; prints the resource the server answers with.
    /// </summary>
    public static Command Write(
        CliRuntime cli, ResourceKind kind, HttpMethod method, Func<CommandContext, string, CancellationToken, Task<JsonObject>> body, params Symbol[] options)
    {
        var name = CliRuntime.Name("name", $"The {kind.Noun}'s name");
        var (verb, description) = method == HttpMethod.Put ? ("create", $"Create a {kind.Noun}") : ("update", $"Change a {kind.Noun}");
        return cli.Action(CliRuntime.Command(verb, description, [name, .. options]), async (context, cancellationToken) =>
        {
            var request = await body(context, context.Value(name), cancellationToken);
            context.Output.Object(await context.Client.ManageAsync(method, $"{kind.Path}/{context.Value(name)}", request, cancellationToken));
        });
    }

    /// <summary>An object of the values given: absent options (null) are left out, so PATCH changes only what was named.</summary>
    public static JsonObject Given(params (string Name, JsonNode? Value)[] values)
    {
        var result = new JsonObject();
        foreach (var (key, value) in values)
        {
            if (value is not null)
            {
                result[key] = value;
            }
        }

        return result;
    }

    /// <summary>A JSON array of strings, or null for none (so <see cref="Given"/> leaves it out).</summary>
    public static JsonArray? Strings(IEnumerable<string>? values) =>
        values?.ToArray() is { Length: > 0 } array ? new JsonArray(array.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()) : null;
}
