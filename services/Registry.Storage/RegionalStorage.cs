using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Registry.Storage.AzureBlob;
using Registry.Storage.FileSystem;

namespace Registry.Storage;

/// <summary>
/// One region's storage as configured under <c>Regions:&lt;name&gt;</c>: the <see cref="StorageOptions"/> shape, and for
/// Azure the name of its connection string (<c>ConnectionStrings:&lt;ConnectionName&gt;</c>).
/// </summary>
public sealed class RegionStorageOptions
{
    public StorageDriverKind Driver { get; set; } = StorageDriverKind.FileSystem;

    public string? RootDirectory { get; set; }

    public bool FlushToDisk { get; set; } = true;

    public string ContainerPrefix { get; set; } = "registry-";

    public string? ConnectionName { get; set; }
}

/// <summary>
/// The storage of every region of the deployment (section <c>Regions</c>): this instance's own region is the
/// <see cref="IStorageDriverFactory"/> it was configured with, the others come from their own settings.
/// </summary>
public sealed class RegionalStorage
{
    public const string SectionName = "Regions";

    private readonly Dictionary<string, IStorageDriverFactory> _regions;

    public RegionalStorage(string ownRegion, IStorageDriverFactory own, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        OwnRegion = ownRegion;
        _regions = new Dictionary<string, IStorageDriverFactory>(StringComparer.Ordinal) { [ownRegion] = own };
        foreach (var section in configuration.GetSection(SectionName).GetChildren())
        {
            var region = section.Key.ToLowerInvariant();
            if (region == ownRegion)
            {
                continue;
            }

            if (!Oci.OciGrammar.IsRegionName(region))
            {
                throw new InvalidOperationException($"{SectionName}:{section.Key}: a region name is 2 to 40 lowercase letters and digits");
            }

            var options = section.Get<RegionStorageOptions>() ?? new RegionStorageOptions();
            _regions[region] = options.Driver switch
            {
                StorageDriverKind.AzureBlob => new AzureBlobStorageDriverFactory(
                    new BlobServiceClient(configuration.GetConnectionString(options.ConnectionName ?? region)
                        ?? throw new InvalidOperationException($"{SectionName}:{section.Key} uses Azure Blob storage but ConnectionStrings:{options.ConnectionName ?? region} is not set")),
                    options.ContainerPrefix),
                _ => new FileSystemStorageDriverFactory(
                    Path.GetFullPath(options.RootDirectory ?? throw new InvalidOperationException($"{SectionName}:{section.Key}:RootDirectory is required for the filesystem driver")),
                    options.FlushToDisk),
            };
        }
    }

    public string OwnRegion { get; }

    /// <summary>Every configured region, this one first.</summary>
    public IReadOnlyList<string> Regions => [OwnRegion, .. _regions.Keys.Where(r => r != OwnRegion).Order(StringComparer.Ordinal)];

    public bool Contains(string region) => _regions.ContainsKey(region);

    public IStorageDriverFactory For(string region) =>
        _regions.TryGetValue(region, out var factory) ? factory : throw new ArgumentException($"region '{region}' is not configured", nameof(region));
}
