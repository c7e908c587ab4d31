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
}
