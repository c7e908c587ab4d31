using System.CommandLine;
using System.Text.Json.Nodes;
using Registry.Cli.Infrastructure;

namespace Registry.Cli.Commands;

/// <summary>
/// <c>registry config retention|soft-delete|immutable-tags show|update</c>: the registry's policies, held in its
/// resource as <c>properties.policies.&lt;policy&gt;</c> and changed with PATCH.
/// </summary>
internal static class ConfigCommands
{
    public static Command Create(CliRuntime cli) => CliRuntime.Group("config", "Registry policies",
        Policy(cli, "retention", "retentionPolicy", "days", "Untagged manifests are deleted this many days after their last update"),
        Policy(cli, "soft-delete", "softDeletePolicy", "retentionDays", "Deleted manifests can be restored for this many days"),
        Policy(cli, "immutable-tags", "immutableTagsPolicy", null, "Tags, once pushed, cannot be moved or deleted"));

    private static Command Policy(CliRuntime cli, string name, string property, string? daysProperty, string description)
    {
        var show = cli.Action(CliRuntime.Command("show", $"Show the {name} policy"), async (context, cancellationToken) =>
            context.Output.Object(Of(await context.Client.ManageAsync(HttpMethod.Get, string.Empty, cancellationToken: cancellationToken), property)));

        var status = new Option<string?>("--status") { Description = "enabled or disabled" };
        status.AcceptOnlyFromAmong("enabled", "disabled");
        var days = new Option<int?>("--days") { Description = "How many days" };
        Symbol[] options = daysProperty is null ? [status] : [days, status];
        var update = cli.Action(CliRuntime.Command("update", $"Change the {name} policy", options), async (context, cancellationToken) =>
        {
            var policy = Resources.Given(("status", context.Value(status)));
            if (daysProperty is not null && context.Value(days) is { } n)
            {
                policy[daysProperty] = n;
            }

            if (policy.Count == 0)
            {
                throw new CliException($"nothing to change: give --status{(daysProperty is null ? string.Empty : " or --days")}");
            }

            var body = new JsonObject { ["properties"] = new JsonObject { ["policies"] = new JsonObject { [property] = policy } } };
            context.Output.Object(Of(await context.Client.ManageAsync(HttpMethod.Patch, string.Empty, body, cancellationToken), property));
        });
        return CliRuntime.Group(name, description, show, update);
    }

    private static JsonNode? Of(JsonNode? registry, string property) => registry?["properties"]?["policies"]?[property]?.DeepClone();
}
