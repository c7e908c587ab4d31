using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Registry.Testing;

namespace Registry.Distribution.Tests;

/// <summary>
/// One instance of the distribution service as the platform runs it: Azure Blob storage (real Azurite) and the
/// shared Redis cache, on real Kestrel. Several of these over the same Azurite and Redis are several replicas.
/// </summary>
public sealed class DistributionInstance : WebApplicationFactory<Program>
{
    private readonly string _blobs;
    private readonly string _cache;
    private readonly string _containerPrefix;

    public DistributionInstance(string blobConnectionString, string cacheConnectionString, string containerPrefix)
    {
        _blobs = blobConnectionString;
        _cache = cacheConnectionString;
        _containerPrefix = containerPrefix;
        UseKestrel(0);
    }

    public OciClient CreateOciClient()
    {
        lock (HostStarts.Lock)
        {
            StartServer();
        }

        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new OciClient(new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false })
        {
            BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)),
            Timeout = TimeSpan.FromMinutes(2),
        });
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");

        // Host settings reach Program before its registrations run (ConfigureAppConfiguration only applies at Build),
        // and AddDistribution chooses the Redis cache from the connection string while registering.
        builder.UseSetting("ConnectionStrings:cache", _cache);
        builder.UseSetting("ConnectionStrings:blobs", _blobs);
        builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Driver"] = "AzureBlob",
            ["Storage:ContainerPrefix"] = _containerPrefix,
            ["ConnectionStrings:blobs"] = _blobs,
            ["ConnectionStrings:cache"] = _cache,
            ["Logging:LogLevel:Default"] = "Warning",
        }));
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
    }
}

/// <summary>Real Azurite and Redis shared by the platform-mode tests.</summary>
[CollectionDefinition(Name)]
public sealed class PlatformInfrastructure : ICollectionFixture<AzuriteFixture>, ICollectionFixture<RedisFixture>
{
    public const string Name = "platform infrastructure";
}
