using Registry.Auth;
using Registry.Distribution;
using Registry.Distribution.Apis;
using Registry.Messaging;
using Registry.Security;
using Registry.Storage;
using Registry.Replication;
using Registry.Scanner;
using Registry.Webhooks;

namespace Registry.Standalone;

public static class StandaloneExtensions
{
    public const string DataDirectoryVariable = "REGISTRY_DATA_DIR";
    public const string DefaultDataDirectory = "data";

    /// <summary>
    /// The single-process defaults: filesystem storage under the data directory (<c>--data-dir</c>, else
    /// <c>REGISTRY_DATA_DIR</c>, else <c>./data</c>), in-memory cache, no external service.
    /// </summary>
    public static WebApplicationBuilder AddStandaloneDefaults(this WebApplicationBuilder builder, string[] args)
    {
        var dataDirectory = Environment.GetEnvironmentVariable(DataDirectoryVariable) is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : DefaultDataDirectory;
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{StorageOptions.SectionName}:{nameof(StorageOptions.Driver)}"] = nameof(StorageDriverKind.FileSystem),
            [$"{StorageOptions.SectionName}:{nameof(StorageOptions.RootDirectory)}"] = dataDirectory,
        });
        builder.Configuration.AddCommandLine(args, new Dictionary<string, string>
        {
            ["--data-dir"] = $"{StorageOptions.SectionName}:{nameof(StorageOptions.RootDirectory)}",
        });
        return builder;
    }

    /// <summary>
    /// Every service of the platform in this one process: the same registrations the services' own hosts make, and one
    /// bus over MassTransit's in-memory transport for all of them.
    /// </summary>
    public static WebApplicationBuilder AddStandalone(this WebApplicationBuilder builder, string[] args)
    {
        builder.AddStandaloneDefaults(args);
        builder.AddServiceDefaults();
        builder.AddAuth();
        builder.AddDistribution();
        builder.AddWebhooks();
        builder.AddReplication();
        builder.AddScanner();
        builder.AddRegistryBus();
        return builder;
    }

    /// <summary>The gateway's behaviour without the hop (request id, host → registry), then every service's endpoints.</summary>
    public static WebApplication MapStandalone(this WebApplication app)
    {
        app.UseRegistryFrontDoor();
        app.MapDefaultEndpoints();
        app.MapAuth();
        app.MapDistributionApi();
        app.MapCleanupApi();
        app.MapUsageApi();
        app.MapWebhooks();
        app.MapReplication();
        app.MapScanner();
        return app;
    }
}
