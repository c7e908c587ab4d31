using System.CommandLine;
using System.Text.Json.Nodes;
using Registry.Cli.Infrastructure;

namespace Registry.Cli.Commands;

/// <summary><c>registry create|list|show|update|delete</c>: the registries of the platform (<c>/api/registries</c>).</summary>
internal static class RegistryCommands
{
    private static readonly Column[] Columns =
    [
        new("Name", "name"), new("Sku", "sku.name"), new("Login server", "properties.loginServer"),
        new("Admin", "properties.adminUserEnabled"), new("Created", "properties.creationDate"),
    ];

    public static IEnumerable<Command> Create(CliRuntime cli)
    {
        yield return Write(cli, HttpMethod.Put);
        yield return cli.Action(CliRuntime.Command("list", "List the registries of the platform (platform operator)"), async (context, cancellationToken) =>
            context.Output.List(await context.Client.ApiAsync(HttpMethod.Get, "api/registries", null, cancellationToken), "value", Columns));

        var showName = OptionalName();
        yield return cli.Action(CliRuntime.Command("show", "Show a registry (default: the current one)", showName), async (context, cancellationToken) =>
            context.Output.Object(await context.Client.ApiAsync(HttpMethod.Get, Path(context, context.Value(showName)), null, cancellationToken)));

        yield return Write(cli, HttpMethod.Patch);

        var deleteName = CliRuntime.Name("name", "The registry to delete");
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask: delete the registry and everything in it" };
        yield return cli.Action(CliRuntime.Command("delete", "Delete a registry with all its content (platform operator)", deleteName, yes), async (context, cancellationToken) =>
        {
            var name = context.Value(deleteName);
            if (!context.Value(yes))
            {
                throw new CliException($"deleting registry '{name}' removes all its content: pass --yes to confirm");
            }

            var response = await context.Client.ApiAsync(HttpMethod.Delete, Path(context, name), null, cancellationToken);
            context.Output.Done($"Deleted registry '{name}'.", response);
        });
    }

    /// <summary><c>create &lt;name&gt;</c> (PUT) or <c>update [name]</c> (PATCH) with the ARM body of the options given.</summary>
    private static Command Write(CliRuntime cli, HttpMethod method)
    {
        var create = method == HttpMethod.Put;
        var name = create ? CliRuntime.Name("name", "The new registry's name (5–50 lower-case letters and digits)") : OptionalName();
        var sku = new Option<string?>("--sku") { Description = "Tier: Basic, Standard or Premium" };
        sku.AcceptOnlyFromAmong("Basic", "Standard", "Premium");
        var admin = CliRuntime.Switch("--admin-enabled", "Whether the admin user is enabled (true|false)");
        var anonymous = CliRuntime.Switch("--anonymous-pull-enabled", "Whether anyone may pull without credentials (Standard and Premium)");
        var domains = CliRuntime.Many("--custom-domain", "A custom domain the registry is also served at (repeatable)");
        var location = new Option<string?>("--location", "-l") { Description = "The registry's home region" };
        var description = create ? "Create a registry (platform operator)" : "Change a registry's tier or settings (default: the current one)";
        return cli.Action(CliRuntime.Command(create ? "create" : "update", description, name, sku, admin, anonymous, domains, location), async (context, cancellationToken) =>
        {
            var body = Resources.Given(
                ("location", context.Value(location)),
                ("sku", context.Value(sku) is { } tier ? new JsonObject { ["name"] = tier } : null),
                ("properties", Resources.Given(
                    ("adminUserEnabled", context.Value(admin)),
                    ("anonymousPullEnabled", context.Value(anonymous)),
                    ("customDomains", Resources.Strings(context.Value(domains))))));
            context.Output.Object(await context.Client.ApiAsync(method, Path(context, context.Value(name)), body, cancellationToken));
        });
    }

    private static Argument<string> OptionalName() =>
        new("name") { Description = "The registry (default: the current one)", Arity = ArgumentArity.ZeroOrOne };

    private static string Path(CommandContext context, string? name) => $"api/registries/{Uri.EscapeDataString(name ?? context.Client.Registry)}";
}
