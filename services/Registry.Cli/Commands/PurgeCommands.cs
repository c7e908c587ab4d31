using System.CommandLine;
using System.Text.Json.Nodes;
using Registry.Cli.Infrastructure;

namespace Registry.Cli.Commands;

/// <summary><c>registry purge</c>: deletes old or untagged images now; <c>registry purge rule …</c> schedules it.</summary>
internal static class PurgeCommands
{
    private static readonly ResourceKind RuleKind = new("purge rule", "/purgeRules",
        new Column("Name", "name"), new Column("Filters", "filters"), new Column("Ago", "ago"), new Column("Keep", "keep"),
        new Column("Schedule", "schedule"), new Column("Enabled", "enabled"));

    public static Command Create(CliRuntime cli)
    {
        var criteria = new Criteria();
        var dryRun = new Option<bool>("--dry-run") { Description = "List what would be deleted; delete nothing" };
        var purge = CliRuntime.Command("purge", "Delete images matching filters: older than --ago, beyond the --keep newest, untagged", [.. criteria.Symbols, dryRun]);
        cli.Action(purge, async (context, cancellationToken) =>
        {
            var body = criteria.Body(context);
            body["dryRun"] = context.Value(dryRun);
            JsonNode? result;
            using (context.Progress(context.Value(dryRun) ? "planning purge" : "purging"))
            {
                result = await context.Client.ManageAsync(HttpMethod.Post, "/purge", body, cancellationToken);
            }

            if (context.Output.IsJson)
            {
                context.Output.Json(result);
                return;
            }

            var deleted = result?["deleted"] as JsonArray ?? [];
            var untagged = result?["untagged"] as JsonArray ?? [];
            var skipped = result?["skipped"] as JsonArray ?? [];
            var verb = context.Value(dryRun) ? "Would delete" : "Deleted";
            context.Output.Line($"{verb} {deleted.Count} manifest(s), {(context.Value(dryRun) ? "would untag" : "untagged")} {untagged.Count} tag(s), skipped {skipped.Count}.");
            Section(context.Output, deleted, new("Repository", "repository"), new("Digest", "digest"), new("Tags", "tags"));
            Section(context.Output, untagged, new("Repository", "repository"), new("Tag", "tag"), new("Digest", "digest"));
            Section(context.Output, skipped, new("Repository", "repository"), new("Digest", "digest"), new("Tags", "tags"), new("Reason", "reason"));
        });

        var ruleCriteria = new Criteria();
        var schedule = new Option<string>("--schedule") { Description = "When to run: cron, 5 fields, UTC (e.g. \"0 3 * * *\")", Required = true };
        var disabled = new Option<bool>("--disabled") { Description = "Create the rule switched off" };
        var create = Resources.Write(cli, RuleKind, HttpMethod.Put, (context, _, _) =>
        {
            var body = ruleCriteria.Body(context);
            body["schedule"] = context.Value(schedule);
            body["enabled"] = !context.Value(disabled);
            return Task.FromResult(body);
        }, [.. ruleCriteria.Symbols, schedule, disabled]);
        purge.Add(CliRuntime.Group("rule", "Scheduled purges", create, Resources.List(cli, RuleKind), Resources.Show(cli, RuleKind), Resources.Delete(cli, RuleKind)));
        return purge;
    }

    private static void Section(Output output, JsonArray items, params Column[] columns)
    {
        if (items.Count > 0)
        {
            output.Line(string.Empty);
            output.List(items, null, columns);
        }
    }

    /// <summary>What a purge (now or scheduled) selects: the options and the request body they make.</summary>
    private sealed class Criteria
    {
        private readonly Option<string[]> _filters = CliRuntime.Many("--filter", "<repository regex>:<tag regex> (repeatable), e.g. 'app:.*' or 'team/.*:^dev-'");
        private readonly Option<string?> _ago = new("--ago") { Description = "Only images last updated longer ago than this: 30d, 12h, 90m or d.hh:mm:ss" };
        private readonly Option<bool> _untagged = new("--untagged") { Description = "Also delete manifests without tags" };
        private readonly Option<int?> _keep = new("--keep") { Description = "Keep this many newest tags of each repository" };
        private readonly Option<string?> _lastPulled = new("--last-pulled-before") { Description = "Only images not pulled for this long (30d, …)" };

        public Symbol[] Symbols => [_filters, _ago, _untagged, _keep, _lastPulled];

        public JsonObject Body(CommandContext context) => Resources.Given(
            ("filters", Resources.Strings(context.Value(_filters)) ?? throw new CliException("give at least one --filter '<repository regex>:<tag regex>'")),
            ("ago", context.Value(_ago)),
            ("untagged", context.Value(_untagged)),
            ("keep", context.Value(_keep)),
            ("lastPulledBefore", context.Value(_lastPulled)));
    }
}
