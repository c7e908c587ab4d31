using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Registry.Distribution;
using Registry.Replication.Apis;
using Registry.Replication.Geo;
using Registry.Replication.Import;
using Registry.Messaging;
using Registry.Storage;
using Registry.Security;

namespace Registry.Replication;

public static class ReplicationExtensions
{
    /// <summary>
    /// Registers the replication service: geo-replication of every registry with replicas (<c>/api/registries/{registry}/replications</c>,
    /// the regions' storage under <c>Regions</c>) and image import (<c>/api/registries/{registry}/import</c>), writing through
    /// the same content stores as distribution. The host adds the bus (events of imported manifests) once every service is added.
    /// </summary>
    public static IHostApplicationBuilder AddReplication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ImportOptions>()
            .Bind(builder.Configuration.GetSection(ImportOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddOptions<ReplicationOptions>()
            .Bind(builder.Configuration.GetSection(ReplicationOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.AddDistributionStores();
        builder.AddRegistrySecurity();
        builder.AddRegionalStorage();
        builder.Services.AddSingleton<ReplicaStore>();
        builder.Services.AddSingleton<ReplicationStatus>();
        if (!string.IsNullOrEmpty(builder.Configuration.GetConnectionString(DistributionExtensions.CacheConnectionName)))
        {
            // AddDistributionStores registered the Redis client of that connection.
            builder.Services.AddSingleton<IReplicaStatusBoard, RedisReplicaStatusBoard>();
            builder.Services.AddHostedService<ReplicaStatusSharing>();
        }

        builder.Services.AddSingleton<Replicator>();
        builder.Services.AddSingleton<Reconciler>();
        builder.Services.AddHostedService(services => services.GetRequiredService<Reconciler>());
        builder.AddRegistryConsumers(bus => bus.AddConsumer<ReplicationConsumer>(typeof(ReplicationConsumerDefinition)));
        builder.Services.AddSingleton<ImportOperationStore>();
        builder.Services.AddSingleton<Importer>();

        // Blob bodies stream for as long as they take (each request's headers have Import:RequestTimeout); a retrying
        // resilience handler would replay requests whose bodies were half consumed.
#pragma warning disable EXTEXP0001
        builder.Services.AddHttpClient(Importer.HttpClientName, client =>
            {
                client.Timeout = Timeout.InfiniteTimeSpan;
                client.DefaultRequestHeaders.UserAgent.ParseAdd("Registry-Import/1.0");
            })
            .ConfigurePrimaryHttpMessageHandler(services =>
            {
                var guard = new OutboundGuard(services.GetRequiredService<IOptions<ImportOptions>>().Value.AllowPrivateNetworks, ImportOptions.AllowPrivateNetworksSetting, "imports");
                return new SocketsHttpHandler
                {
                    ConnectCallback = guard.ConnectAsync,
                    AllowAutoRedirect = true, // blob GETs are often redirected to storage; Authorization is not forwarded
                    MaxAutomaticRedirections = 5,
                    PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                    UseCookies = false,
                };
            })
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        return builder;
    }

    public static IEndpointRouteBuilder MapReplication(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapImportApi();
        endpoints.MapReplicationsApi();
        return endpoints;
    }
}
