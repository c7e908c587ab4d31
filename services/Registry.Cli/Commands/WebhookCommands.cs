using System.CommandLine;
using System.Text.Json.Nodes;
using Registry.Cli.Infrastructure;

namespace Registry.Cli.Commands;

/// <summary><c>registry webhook …</c>: notifications of pushes and deletes.</summary>
internal static class WebhookCommands
{
    private static readonly ResourceKind Kind = new("webhook", "/webhooks",
        new Column("Name", "name"), new Column("Status", "properties.status"), new Column("Actions", "properties.actions"),
        new Column("Scope", "properties.scope"), new Column("Health", "properties.health.state"));

    public static Command Create(CliRuntime cli) => CliRuntime.Group("webhook", "Webhooks: HTTP notifications of the registry's changes",
        Write(cli, HttpMethod.Put), Resources.List(cli, Kind), Resources.Show(cli, Kind), Write(cli, HttpMethod.Patch), Resources.Delete(cli, Kind),
        Ping(cli), ListEvents(cli));

    private static Command Write(CliRuntime cli, HttpMethod method)
    {
        var create = method == HttpMethod.Put;
        var uri = new Option<string?>("--uri") { Description = "The service URI deliveries are POSTed to", Required = create };
        var actions = CliRuntime.Many("--actions", "push, delete, chart_push, chart_delete, quarantine");
        actions.Required = create;
        var scope = new Option<string?>("--scope") { Description = "repo:tag the webhook hears (wildcards allowed; empty: everything)" };
        var status = new Option<string?>("--status") { Description = "enabled or disabled" };
        status.AcceptOnlyFromAmong("enabled", "disabled");
        var headers = CliRuntime.Many("--headers", "Custom headers: Name=value (repeatable)");
        var location = new Option<string?>("--location", "-l") { Description = "The region whose changes the webhook hears" };
        var format = new Option<string?>("--payload-format") { Description = "acr or cloudevents" };
        format.AcceptOnlyFromAmong("acr", "cloudevents");
        var secret = new Option<string?>("--secret") { Description = "Signs each delivery (X-Registry-Signature); empty removes it" };
        return Resources.Write(cli, Kind, method, (context, _, _) => Task.FromResult(Resources.Given(
            ("location", context.Value(location)),
            ("properties", Resources.Given(
                ("serviceUri", context.Value(uri)),
                ("actions", Resources.Strings(context.Value(actions))),
                ("scope", context.Value(scope)),
                ("status", context.Value(status)),
                ("customHeaders", Headers(context.Value(headers))),
                ("payloadFormat", context.Value(format)),
                ("secret", context.Value(secret)))))), uri, actions, scope, status, headers, location, format, secret);
    }

    private static JsonObject? Headers(string[]? values)
    {
        if (values is not { Length: > 0 })
        {
            return null;
        }

        var result = new JsonObject();
        foreach (var value in values)
        {
            var separator = value.IndexOf('=', StringComparison.Ordinal);
            if (separator <= 0)
            {
                throw new CliException($"--headers '{value}': use Name=value");
            }

            result[value[..separator]] = value[(separator + 1)..];
        }

        return result;
    }

    private static Command Ping(CliRuntime cli)
    {
        var name = CliRuntime.Name("name", "The webhook");
        return cli.Action(CliRuntime.Command("ping", "Send a ping event to the webhook now", name), async (context, cancellationToken) =>
            context.Output.Object(await context.Client.ManageAsync(HttpMethod.Post, $"{Kind.Path}/{context.Value(name)}/ping", cancellationToken: cancellationToken)));
    }

    private static Command ListEvents(CliRuntime cli)
    {
        var name = CliRuntime.Name("name", "The webhook");
        var top = RepositoryCommands.Top();
        return cli.Action(CliRuntime.Command("list-events", "List the webhook's deliveries, newest first", name, top), async (context, cancellationToken) =>
        {
            var query = context.Value(top) is { } n ? $"?top={n}" : string.Empty;
            context.Output.List(await context.Client.ManageAsync(HttpMethod.Get, $"{Kind.Path}/{context.Value(name)}/events{query}", cancellationToken: cancellationToken), "value",
                new("Id", "id"), new("Status", "status"), new("Attempts", "attemptCount"), new("Created", "createdAt"),
                new("Response", "eventResponseMessage.statusCode"), new("Failure", "failureReason"));
        });
    }
}
