using System.Net;
using Microsoft.Extensions.Options;
using Registry.Oci;
using Registry.Security;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Registry.Gateway;

/// <summary>
/// Picks the region that serves a <c>/v2</c> request: the one its host names (<c>&lt;registry&gt;.&lt;region&gt;.&lt;domain&gt;</c>,
/// ACR's regional endpoint), else the one the client's network is mapped to (<c>Gateway:Regions:&lt;region&gt;:ClientNetworks</c>),
/// else the home region — among the regions that hold the registry, are in rotation (the replica's
/// <c>regionEndpointEnabled</c> and <c>Gateway:Regions:&lt;region&gt;:InRotation</c>) and have a healthy distribution
/// instance; failing over to the next such region otherwise. The answer names the region in <c>X-Registry-Region</c>.
/// </summary>
internal sealed partial class RegionRouter(
    IOptions<GatewayOptions> options, RegistryHosts hosts, IProxyStateLookup proxy, HttpRegistryRegions registryRegions, ILogger<RegionRouter> logger)
{
    public const string RegionHeader = "X-Registry-Region";

    private readonly IReadOnlyList<(IPNetwork Network, string Region)> _networks = options.Value.Regions
        .SelectMany(region => region.Value.ClientNetworks.Select(cidr => (IPNetwork.Parse(cidr), region.Key)))
        .ToList();

    public async Task RouteAsync(HttpContext context, Func<Task> next)
    {
        var configured = options.Value.Regions;
        if (configured.Count == 0 || context.GetReverseProxyFeature().Route.Config.ClusterId != GatewayExtensions.DistributionCluster)
        {
            await next();
            return;
        }

        var resolution = hosts.Resolve(context.Request.Host);
        var registry = resolution.Registry ?? hosts.DefaultRegistry;
        var home = options.Value.HomeRegionName;
        var serving = await registryRegions.FindAsync(registry, context.RequestAborted);
        var holds = serving?.Select(r => r.Region).ToHashSet(StringComparer.Ordinal) ?? [home];
        if (resolution.Region is { } asked && (!holds.Contains(asked) || !configured.ContainsKey(asked)))
        {
            await OciErrorResult.Of(OciErrorCode.NameUnknown, $"registry '{registry}' has no replica in region '{asked}'", new { registry, region = asked }).ExecuteAsync(context);
            return;
        }

        var preferred = resolution.Region ?? RegionOf(context.Connection.RemoteIpAddress) ?? home;
        var candidates = new[] { preferred, home }.Concat(configured.Keys.Order(StringComparer.Ordinal)).Distinct(StringComparer.Ordinal);
        var chosen = candidates.FirstOrDefault(region => holds.Contains(region) && InRotation(region, serving, explicitly: region == resolution.Region) && IsHealthy(region))
            ?? (holds.Contains(preferred) ? preferred : home);
        if (chosen != preferred)
        {
            LogFailover(logger, registry, preferred, chosen);
        }

        context.Response.Headers[RegionHeader] = chosen;
        if (proxy.TryGetCluster(GatewayExtensions.DistributionClusterOf(chosen), out var cluster))
        {
            context.ReassignProxyRequest(cluster);
        }

        await next();
    }

    private string? RegionOf(IPAddress? address)
    {
        if (address is null)
        {
            return null;
        }

        address = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        foreach (var (network, region) in _networks)
        {
            if (network.Contains(address))
            {
                return region;
            }
        }

        return null;
    }

    /// <summary>A region taken out of rotation still answers its own regional endpoint (ACR keeps it reachable by name).</summary>
    private bool InRotation(string region, IReadOnlyList<RegistryRegion>? serving, bool explicitly) =>
        explicitly || (options.Value.Regions.TryGetValue(region, out var configured) && configured.InRotation
                       && serving?.FirstOrDefault(r => r.Region == region)?.EndpointEnabled != false);

    private bool IsHealthy(string region) =>
        proxy.TryGetCluster(GatewayExtensions.DistributionClusterOf(region), out var cluster) && cluster.DestinationsState.AvailableDestinations.Count > 0;

    [LoggerMessage(Level = LogLevel.Information, Message = "Registry {Registry}: region {Preferred} is not available, serving from {Chosen}")]
    private static partial void LogFailover(ILogger logger, string registry, string preferred, string chosen);
}
