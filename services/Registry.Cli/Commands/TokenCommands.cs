using System.CommandLine;
using System.Text.Json.Nodes;
using Registry.Cli.Infrastructure;

namespace Registry.Cli.Commands;

/// <summary><c>registry token …</c>: repository-scoped credentials (a scope map and two passwords).</summary>
internal static class TokenCommands
{
    private static readonly ResourceKind Kind = new("token", "/tokens",
        new Column("Name", "name"), new Column("Scope map", "properties.scopeMapId"), new Column("Status", "properties.status"), new Column("Created", "properties.creationDate"));

    public static Command Create(CliRuntime cli)
    {
        var scopeMap = new Option<string?>("--scope-map") { Description = "The scope map granting the token's actions" };
        var repository = ScopeMapCommands.RepositoryOption("--repository", "Instead of --scope-map: a repository and its actions, made into the scope map <name>-scope-map (repeatable)");
        var status = Status();
        var create = Resources.Write(cli, Kind, HttpMethod.Put, async (context, name, cancellationToken) =>
        {
            var map = context.Value(scopeMap);
            if (context.Value(repository) is { Length: > 0 } repositories)
            {
                map = $"{name}-scope-map";
                await context.Client.ManageAsync(
                    HttpMethod.Put, $"{ScopeMapCommands.Kind.Path}/{map}", ScopeMapCommands.Body(ScopeMapCommands.Actions(repositories), $"for token {name}"), cancellationToken);
            }

            return Body(map ?? throw new CliException("give --scope-map or --repository <repo> <action>…"), context.Value(status));
        }, scopeMap, repository, status);

        var updateMap = new Option<string?>("--scope-map") { Description = "Another scope map" };
        var updateStatus = Status();
        var update = Resources.Write(cli, Kind, HttpMethod.Patch, (context, _, _) =>
            Task.FromResult(Body(context.Value(updateMap), context.Value(updateStatus))), updateMap, updateStatus);

        return CliRuntime.Group("token", "Tokens: credentials limited to a scope map's repositories",
            create, Resources.List(cli, Kind), Resources.Show(cli, Kind), update, Resources.Delete(cli, Kind),
            CliRuntime.Group("credential", "A token's passwords", Generate(cli)));
    }

    private static Option<string?> Status()
    {
        var status = new Option<string?>("--status") { Description = "enabled or disabled" };
        status.AcceptOnlyFromAmong("enabled", "disabled");
        return status;
    }

    private static JsonObject Body(string? scopeMap, string? status) =>
        new() { ["properties"] = Resources.Given(("scopeMapId", scopeMap), ("status", status)) };

    private static Command Generate(CliRuntime cli)
    {
        var name = CliRuntime.Name("name", "The token");
        var password1 = new Option<bool>("--password1") { Description = "Generate password1 only" };
        var password2 = new Option<bool>("--password2") { Description = "Generate password2 only" };
        var days = new Option<int?>("--expiration-in-days") { Description = "The new password expires after this many days" };
        var expiry = new Option<DateTimeOffset?>("--expiration") { Description = "The new password expires then (ISO 8601)" };
        return cli.Action(CliRuntime.Command("generate", "Generate a token's password(s); shown once", name, password1, password2, days, expiry), async (context, cancellationToken) =>
        {
            var which = context.Value(password1) == context.Value(password2) ? null : context.Value(password1) ? "password1" : "password2";
            var expires = context.Value(expiry) ?? (context.Value(days) is { } d ? DateTimeOffset.UtcNow.AddDays(d) : null);
            var body = Resources.Given(("tokenId", context.Value(name)), ("name", which), ("expiry", expires?.ToString("O")));
            context.Output.Object(await context.Client.ManageAsync(HttpMethod.Post, "/generateCredentials", body, cancellationToken));
        });
    }
}
