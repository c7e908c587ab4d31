using System.CommandLine;
using System.Text.Json.Nodes;
using Registry.Cli.Infrastructure;

namespace Registry.Cli.Commands;

/// <summary><c>registry gc run</c> and <c>registry show-usage</c>: storage clean-up and what the registry holds.</summary>
internal static class MaintenanceCommands
{
    public static Command Gc(CliRuntime cli)
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Count what would be freed; delete nothing" };
        var run = cli.Action(CliRuntime.Command("run", "Delete blobs no manifest refers to any more", dryRun), async (context, cancellationToken) =>
        {
            JsonNode? result;
            using (context.Progress("collecting garbage"))
            {
                result = await context.Client.ManageAsync(HttpMethod.Post, "/gc", new JsonObject { ["dryRun"] = context.Value(dryRun) }, cancellationToken);
            }

            context.Output.Object(result);
        });
        return CliRuntime.Group("gc", "Garbage collection of unreferenced blobs", run);
    }

    public static Command ShowUsage(CliRuntime cli)
    {
        var detail = new Option<bool>("--detail") { Description = "Also storage, counts and each repository's usage" };
        return cli.Action(CliRuntime.Command("show-usage", "Show the registry's usage against its tier's limits", detail), async (context, cancellationToken) =>
        {
            var usages = await context.Client.ManageAsync(HttpMethod.Get, "/listUsages", cancellationToken: cancellationToken);
            var usage = context.Value(detail) ? await context.Client.ManageAsync(HttpMethod.Get, "/usage", cancellationToken: cancellationToken) : null;
            if (context.Output.IsJson)
            {
                context.Output.Json(usage is null ? usages : new JsonObject { ["listUsages"] = usages?.DeepClone(), ["usage"] = usage.DeepClone() });
                return;
            }

            context.Output.List(usages, "value", new("Name", "name"), new("Current", "currentValue"), new("Limit", "limit"), new("Unit", "unit"));
            if (usage is JsonObject summary)
            {
                var repositories = summary["repositoryUsage"] as JsonArray ?? [];
                summary.Remove("repositoryUsage");
                context.Output.Line(string.Empty);
                context.Output.Object(summary);
                context.Output.Line(string.Empty);
                context.Output.List(repositories, null,
                    new("Repository", "name"), new("Deduped bytes", "dedupedBytes"), new("Logical bytes", "logicalBytes"),
                    new("Tags", "tags"), new("Manifests", "manifests"), new("Pulls", "pullCount"), new("Last pulled", "lastPulledTime"));
            }
        });
    }
}
