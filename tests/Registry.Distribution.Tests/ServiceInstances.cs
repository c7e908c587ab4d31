using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Registry.Distribution.Apis;
using Registry.Messaging;
using Registry.Testing;

namespace Registry.Distribution.Tests;

/// <summary>
/// One instance of the distribution service as the platform runs it: Azure Blob storage (real Azurite) and the
/// shared Redis cache. Several of these over the same Azurite and Redis are several replicas.
/// </summary>
public sealed class DistributionInstance(
    string blobConnectionString, string cacheConnectionString, string containerPrefix, IReadOnlyDictionary<string, string?>? settings = null) : InProcessHost(
    new Dictionary<string, string?>
    {
        ["Storage:Driver"] = "AzureBlob",
        ["Storage:ContainerPrefix"] = containerPrefix,
        ["Auth:Enabled"] = "false",
    }.Concat(settings ?? new Dictionary<string, string?>()).ToDictionary(),
    builder =>
    {
        // Connection strings are read while registering (Redis or in-process cache), so they go in first.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:blobs"] = blobConnectionString,
            ["ConnectionStrings:cache"] = cacheConnectionString,
        });
        builder.AddServiceDefaults();
        builder.AddDistribution();
        builder.AddRegistryBus();
        builder.Services.AddSingleton<Registry.Security.IRegistryDirectory>(new FixedRegistryDirectory()); // no auth service here
    },
    app =>
    {
        app.MapDefaultEndpoints();
        app.MapDistributionApi();
    });

/// <summary>Real Azurite and Redis shared by the platform-mode tests.</summary>
[CollectionDefinition(Name)]
public sealed class PlatformInfrastructure : ICollectionFixture<AzuriteFixture>, ICollectionFixture<RedisFixture>
{
    public const string Name = "platform infrastructure";
}
