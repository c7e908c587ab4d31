using System.CommandLine;
using Registry.Cli.Infrastructure;

namespace Registry.Cli.Commands;

/// <summary><c>registry replication …</c>: the regions a Premium registry is replicated to.</summary>
internal static class ReplicationCommands
{
    private static readonly ResourceKind Kind = new("replication", "/replications",
        new Column("Name", "name"), new Column("Location", "location"), new Column("Status", "properties.status.displayStatus"),
        new Column("Home", "properties.isHome"), new Column("Endpoint", "properties.regionEndpointEnabled"), new Column("Lag (s)", "properties.sync.lagSeconds"));

    public static Command Create(CliRuntime cli)
    {
        var location = new Option<string?>("--location", "-l") { Description = "The region to replicate to", Required = true };
        var createEndpoint = CliRuntime.Switch("--region-endpoint-enabled", "Whether the global endpoint routes to this region (true|false)");
        var zones = new Option<string?>("--zone-redundancy") { Description = "Enabled or Disabled" };
        zones.AcceptOnlyFromAmong("Enabled", "Disabled");
        var create = Resources.Write(cli, Kind, HttpMethod.Put, (context, _, _) => Task.FromResult(Resources.Given(
            ("location", context.Value(location)),
            ("properties", Resources.Given(("regionEndpointEnabled", context.Value(createEndpoint)), ("zoneRedundancy", context.Value(zones)))))),
            location, createEndpoint, zones);

        var updateEndpoint = CliRuntime.Switch("--region-endpoint-enabled", "Whether the global endpoint routes to this region (true|false)");
        var update = Resources.Write(cli, Kind, HttpMethod.Patch, (context, _, _) => Task.FromResult(Resources.Given(
            ("properties", Resources.Given(("regionEndpointEnabled", context.Value(updateEndpoint)))))), updateEndpoint);

        return CliRuntime.Group("replication", "Geo-replication (Premium): the regions the registry is served from",
            create, Resources.List(cli, Kind), Resources.Show(cli, Kind), update, Resources.Delete(cli, Kind));
    }
}
