using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Registry.Storage.AzureBlob;
using Registry.Storage.FileSystem;

namespace Registry.Storage;

public static class StorageExtensions
{
    /// <summary>Registers the configured storage driver (section <c>Storage</c>; Azure via connection string <c>blobs</c>).</summary>
    public static IHostApplicationBuilder AddRegistryStorage(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(service => service.ServiceType == typeof(IStorageDriverFactory)))
        {
            return builder; // already composed into this host by another service
        }

        builder.Services.AddOptions<StorageOptions>()
            .Bind(builder.Configuration.GetSection(StorageOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(
                options => options.Driver != StorageDriverKind.AzureBlob ||
                           !string.IsNullOrEmpty(builder.Configuration.GetConnectionString(StorageOptions.BlobConnectionName)),
                $"Storage:Driver is AzureBlob but ConnectionStrings:{StorageOptions.BlobConnectionName} is not set")
            .ValidateOnStart();

        builder.Services.AddSingleton<IStorageDriverFactory>(services =>
        {
            var options = services.GetRequiredService<IOptions<StorageOptions>>().Value;
            return options.Driver switch
            {
                StorageDriverKind.AzureBlob => new AzureBlobStorageDriverFactory(
                    new BlobServiceClient(builder.Configuration.GetConnectionString(StorageOptions.BlobConnectionName)),
                    options.ContainerPrefix),
                _ => new FileSystemStorageDriverFactory(Path.GetFullPath(options.RootDirectory), options.FlushToDisk),
            };
        });
        return builder;
    }

    /// <summary>The configuration key naming this instance's own region (<c>Distribution:Region</c>, <c>local</c> when unset).</summary>
    public const string OwnRegionKey = "Distribution:Region";

    /// <summary>
    /// Registers <see cref="RegionalStorage"/>: this instance's storage as its own region, the others from section
    /// <c>Regions</c>. Composing it twice into one host registers it once.
    /// </summary>
    public static IHostApplicationBuilder AddRegionalStorage(this IHostApplicationBuilder builder)
    {
        builder.AddRegistryStorage();
        if (builder.Services.Any(service => service.ServiceType == typeof(RegionalStorage)))
        {
            return builder;
        }

        var configuration = builder.Configuration;
        builder.Services.AddSingleton(services => new RegionalStorage(
            configuration[OwnRegionKey] is { Length: > 0 } region ? region : "local",
            services.GetRequiredService<IStorageDriverFactory>(),
            configuration));
        return builder;
    }
}
