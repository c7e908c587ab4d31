using Microsoft.Extensions.DependencyInjection.Extensions;
using Registry.Distribution.Apis;
using Registry.Distribution.Caching;
using Registry.Distribution.Cleanup;
using Registry.Distribution.Core;
using Registry.Distribution.Events;
using Registry.Distribution.Metadata;
using Registry.Distribution.Usage;
using Registry.Messaging;
using Registry.Storage;
using StackExchange.Redis;

namespace Registry.Distribution;

public static class DistributionExtensions
{
    /// <summary>The Aspire resource / connection string name of the shared Redis cache.</summary>
    public const string CacheConnectionName = "cache";

    /// <summary>
    /// The key of the manifest store that raises no events: for the platform's own bookkeeping writes (the scanner's SBOM
    /// and report referrers), which are not a user's push and must not reach webhooks.
    /// </summary>
    public const string WithoutEvents = "without-events";

    /// <summary>The key of the cache every region shares; each region reads and writes it through its own key scope.</summary>
    internal const string SharedCache = "shared";

    /// <summary>
    /// Registers the distribution service: its stores (<see cref="AddDistributionStores"/>), token checks for <c>/v2</c>
    /// and the upload hash cache. The host adds the bus (<see cref="MessagingExtensions.AddRegistryBus"/>) once every
    /// service is added.
    /// </summary>
    public static IHostApplicationBuilder AddDistribution(this IHostApplicationBuilder builder)
    {
        builder.AddDistributionStores();
        builder.AddRegistrySecurity();
        builder.AddCleanup();
        builder.Services.AddSingleton<V2Access>();
        builder.Services.AddSingleton<PullPolicyGate>();
        builder.Services.AddHostedService<PullStatisticsFlusher>();
        builder.Services.AddSingleton<AcrViews>();
        builder.Services.AddSingleton<AttributeChanges>();
        return builder;
    }

    /// <summary>
    /// The content stores as every writer of registry content uses them (distribution, import, replication): storage,
    /// the core stores, the cache decorators around them (Redis when <c>ConnectionStrings:cache</c> is set, else in
    /// process), the event decorator with its outbox, and outermost the locks (repository metadata, ADR 0013). Composing
    /// it twice into one host registers it once.
    /// </summary>
    public static IHostApplicationBuilder AddDistributionStores(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(service => service.ServiceType == typeof(IManifestStore)))
        {
            return builder;
        }

        builder.Services.AddOptions<DistributionOptions>()
            .Bind(builder.Configuration.GetSection(DistributionOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.AddRegistryStorage();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<UploadHashCache>();

        if (!string.IsNullOrEmpty(builder.Configuration.GetConnectionString(CacheConnectionName)))
        {
            builder.AddRedisClient(CacheConnectionName, configureOptions: options => options.AbortOnConnectFail = false);
            builder.Services.AddKeyedSingleton<IRegistryCache>(SharedCache, (services, _) =>
                new RedisRegistryCache(services.GetRequiredService<IConnectionMultiplexer>(), services.GetRequiredService<ILogger<RedisRegistryCache>>()));
        }
        else
        {
            builder.Services.AddKeyedSingleton<IRegistryCache, MemoryRegistryCache>(SharedCache);
        }

        builder.Services.AddSingleton<IRegistryCache>(services => new RegionScopedCache(
            services.GetRequiredKeyedService<IRegistryCache>(SharedCache),
            services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DistributionOptions>>().Value.Region));

        builder.Services.AddSingleton<IBlobStore>(services => new CachingBlobStore(
            new StorageBlobStore(services.GetRequiredService<IStorageDriverFactory>()),
            services.GetRequiredService<IRegistryCache>()));
        builder.AddEventOutbox();
        builder.AddUsage();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddKeyedSingleton<IManifestStore>(WithoutEvents, (services, _) => new CachingManifestStore(
            SoftDeleting(services, new StorageManifestStore(services.GetRequiredService<IStorageDriverFactory>(), services.GetRequiredService<IBlobStore>())),
            services.GetRequiredService<IRegistryCache>()));
        builder.Services.AddSingleton<IManifestStore>(services => new UsageManifestStore(
            new LockingManifestStore(
                new EventingManifestStore(
                    services.GetRequiredKeyedService<IManifestStore>(WithoutEvents),
                    services.GetRequiredService<IEventOutbox>(),
                    services.GetRequiredService<IHttpContextAccessor>(),
                    services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DistributionOptions>>(),
                    services.GetRequiredService<TimeProvider>()),
                services.GetRequiredService<IRepositoryMetadata>()),
            services.GetRequiredService<UsageService>(),
            services.GetRequiredService<StorageQuota>()));
        builder.Services.AddSingleton<IUploadStore>(services => new QuotaUploadStore(
            ActivatorUtilities.CreateInstance<StorageUploadStore>(services), services.GetRequiredService<StorageQuota>()));
        builder.Services.AddSingleton<PullStatisticsRecorder>();
        builder.Services.AddSingleton<IRepositoryMetadata, StorageRepositoryMetadata>();
        return builder;
    }

    /// <summary>Soft delete around a core manifest store (of this region or, through <see cref="RegionContentStores"/>, another's).</summary>
    internal static IManifestStore SoftDeleting(IServiceProvider services, IManifestStore core, IStorageDriverFactory? storage = null) =>
        new SoftDeletingManifestStore(
            core,
            storage ?? services.GetRequiredService<IStorageDriverFactory>(),
            services.GetRequiredService<Registry.Security.IRegistryDirectory>(),
            services.GetRequiredService<IHttpContextAccessor>(),
            services.GetRequiredService<TimeProvider>());
}
