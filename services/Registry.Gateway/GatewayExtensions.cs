using Registry.Security;
using Registry.Security.Limits;
using Yarp.ReverseProxy.Configuration;

namespace Registry.Gateway;

public static class GatewayExtensions
{
    public const string DistributionCluster = "distribution";
    public const string AuthCluster = "auth";
    public const string WebhooksCluster = "webhooks";
    public const string ReplicationCluster = "replication";
    public const string ScannerCluster = "scanner";

    /// <summary>The Aspire resource / connection string name of the shared Redis (request rate windows).</summary>
    public const string CacheConnectionName = "cache";

    /// <summary>
    /// The front door: YARP routes <c>/v2</c> and the clean-up and usage API (<c>/api/registries/{registry}/usage</c>,
    /// <c>…/purge</c>, <c>…/purgeRules</c>, <c>…/deleted</c>, <c>…/gc</c>, <c>…/cleanup</c>) to distribution, <c>/api/registries/{registry}/webhooks</c> to webhooks,
    /// <c>/api/registries/{registry}/import</c> and <c>…/replications</c> to replication (and <c>/v2</c> to the region
    /// <see cref="RegionRouter"/> picks), <c>/api/registries/{registry}/scans</c> and
    /// <c>/api/vulnerabilities</c> and the Harbor scanner API <c>/api/v1</c> to the scanner and
    /// <c>/oauth2</c>, the rest of <c>/api</c> to auth, resolving service
    /// names (and every replica behind one) through service discovery. Bodies stream both ways; <c>/v2</c> has no body limit.
    /// </summary>
    public static IHostApplicationBuilder AddGateway(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<GatewayOptions>()
            .Bind(builder.Configuration.GetSection(GatewayOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        if (!string.IsNullOrEmpty(builder.Configuration.GetConnectionString(CacheConnectionName)))
        {
            // Every gateway instance counts into the same windows, so a tier's rate holds however many there are.
            builder.AddRedisClient(CacheConnectionName, configureOptions: redis => redis.AbortOnConnectFail = false);
            builder.Services.AddSingleton<IRequestRateLimiter, RedisRequestRateLimiter>();

            // Manifest answers are kept only where the platform's invalidations can be heard (ADR 0019).
            builder.Services.AddHostedService<ManifestReadCacheListener>();
        }

        builder.AddRegistrySecurity();

        var options = builder.Configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions();
        builder.Services.AddSingleton<RegionRouter>();
        builder.Services.AddSingleton<ManifestReadCache>();
        builder.Services.AddSingleton<ManifestReads>();
        builder.Services.AddHttpClient<HttpRegistryRegions>(client => client.BaseAddress = options.ReplicationAddress);
        builder.Services.AddReverseProxy()
            .LoadFromMemory(Routes(options), Clusters(options))
            .AddServiceDiscoveryDestinationResolver();
        return builder;
    }

    private static RouteConfig[] Routes(GatewayOptions options) =>
    [
        new()
        {
            RouteId = "v2",
            ClusterId = DistributionCluster,
            Match = new RouteMatch { Path = "/v2/{**rest}" },
            MaxRequestBodySize = -1,
        },
        new()
        {
            RouteId = "acr",
            ClusterId = DistributionCluster,
            Match = new RouteMatch { Path = "/acr/{**rest}" },
            MaxRequestBodySize = options.MaxApiRequestBytes,
        },
        new()
        {
            RouteId = "oauth2",
            ClusterId = AuthCluster,
            Match = new RouteMatch { Path = "/oauth2/{**rest}" },
            MaxRequestBodySize = options.MaxApiRequestBytes,
        },
        new()
        {
            RouteId = "webhooks",
            ClusterId = WebhooksCluster,
            Match = new RouteMatch { Path = "/api/registries/{registry}/webhooks/{**rest}" },
            Order = -1, // before the catch-all /api route
            MaxRequestBodySize = options.MaxApiRequestBytes,
        },
        new()
        {
            RouteId = "import",
            ClusterId = ReplicationCluster,
            Match = new RouteMatch { Path = "/api/registries/{registry}/import/{**rest}" },
            Order = -1,
            MaxRequestBodySize = options.MaxApiRequestBytes,
        },
        new()
        {
            RouteId = "replications",
            ClusterId = ReplicationCluster,
            Match = new RouteMatch { Path = "/api/registries/{registry}/replications/{**rest}" },
            Order = -1,
            MaxRequestBodySize = options.MaxApiRequestBytes,
        },
        new()
        {
            RouteId = "scans",
            ClusterId = ScannerCluster,
            Match = new RouteMatch { Path = "/api/registries/{registry}/scans/{**rest}" },
            Order = -1,
            MaxRequestBodySize = options.MaxApiRequestBytes,
        },
        new()
        {
            RouteId = "usage",
            ClusterId = DistributionCluster,
            Match = new RouteMatch { Path = "/api/registries/{registry}/usage/{**rest}" },
            Order = -1,
            MaxRequestBodySize = options.MaxApiRequestBytes,
        },
        new()
        {
            RouteId = "purge",
            ClusterId = DistributionCluster,
            Match = new RouteMatch { Path = "/api/registries/{registry}/purge/{**rest}" },
            Order = -1,
            MaxRequestBodySize = options.MaxApiRequestBytes,
        },
        new()
        {
            RouteId = "purge-rules",
            ClusterId = DistributionCluster,
            Match = new RouteMatch { Path = "/api/registries/{registry}/purgeRules/{**rest}" },
            Order = -1,
            MaxRequestBodySize = options.MaxApiRequestBytes,
        },
        new()
        {
            RouteId = "deleted",
            ClusterId = DistributionCluster,
            Match = new RouteMatch { Path = "/api/registries/{registry}/deleted/{**rest}" },
            Order = -1,
            MaxRequestBodySize = options.MaxApiRequestBytes,
        },
        new()
        {
            RouteId = "gc",
            ClusterId = DistributionCluster,
            Match = new RouteMatch { Path = "/api/registries/{registry}/gc/{**rest}" },
            Order = -1,
            MaxRequestBodySize = options.MaxApiRequestBytes,
        },
        new()
        {
            RouteId = "cleanup",
            ClusterId = DistributionCluster,
            Match = new RouteMatch { Path = "/api/registries/{registry}/cleanup/{**rest}" },
            Order = -1,
            MaxRequestBodySize = options.MaxApiRequestBytes,
        },
        new()
        {
            RouteId = "harbor-scanner",
            ClusterId = ScannerCluster,
            Match = new RouteMatch { Path = "/api/v1/{**rest}" },
            Order = -1,
            MaxRequestBodySize = options.MaxApiRequestBytes,
        },
        new()
        {
            RouteId = "vulnerabilities",
            ClusterId = ScannerCluster,
            Match = new RouteMatch { Path = "/api/vulnerabilities/{**rest}" },
            Order = -1,
            MaxRequestBodySize = options.MaxImportRequestBytes,
        },
        new()
        {
            RouteId = "api",
            ClusterId = AuthCluster,
            Match = new RouteMatch { Path = "/api/{**rest}" },
            MaxRequestBodySize = options.MaxApiRequestBytes,
        },
    ];

    /// <summary>
    /// The front door's proxy: YARP's standard pipeline with the region choice (<see cref="RegionRouter"/>) and then the
    /// manifest answers kept for that region (<see cref="ManifestReads"/>) ahead of load balancing.
    /// </summary>
    public static IEndpointRouteBuilder MapGateway(this IEndpointRouteBuilder endpoints)
    {
        var router = endpoints.ServiceProvider.GetRequiredService<RegionRouter>();
        var manifestReads = endpoints.ServiceProvider.GetRequiredService<ManifestReads>();
        endpoints.MapReverseProxy(proxy =>
        {
            proxy.Use((context, next) => router.RouteAsync(context, () => next()));
            proxy.Use((context, next) => manifestReads.InvokeAsync(context, () => next()));
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        return endpoints;
    }

    public static string DistributionClusterOf(string region) => $"{DistributionCluster}-{region}";

    private static ClusterConfig[] Clusters(GatewayOptions options) =>
    [
        Cluster(DistributionCluster, options.Regions.TryGetValue(options.HomeRegionName, out var home) ? home.DistributionAddress : options.DistributionAddress, options.ActivityTimeout),
        .. options.Regions.Select(region => Cluster(DistributionClusterOf(region.Key), region.Value.DistributionAddress, options.ActivityTimeout) with
        {
            HealthCheck = new HealthCheckConfig
            {
                Active = new ActiveHealthCheckConfig { Enabled = true, Interval = TimeSpan.FromSeconds(5), Timeout = TimeSpan.FromSeconds(3), Policy = "ConsecutiveFailures", Path = "/alive" },
            },
        }),
        Cluster(AuthCluster, options.AuthAddress, TimeSpan.FromSeconds(100)),
        Cluster(WebhooksCluster, options.WebhooksAddress, TimeSpan.FromSeconds(100)),
        Cluster(ReplicationCluster, options.ReplicationAddress, TimeSpan.FromSeconds(100)),
        Cluster(ScannerCluster, options.ScannerAddress, TimeSpan.FromMinutes(10)),
    ];

    private static ClusterConfig Cluster(string id, Uri address, TimeSpan activityTimeout) => new()
    {
        ClusterId = id,
        LoadBalancingPolicy = "RoundRobin",
        HttpRequest = new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig { ActivityTimeout = activityTimeout },
        Destinations = new Dictionary<string, DestinationConfig> { [id] = new() { Address = address.ToString() } },
    };
}
