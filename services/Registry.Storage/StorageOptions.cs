using System.ComponentModel.DataAnnotations;

namespace Registry.Storage;

public enum StorageDriverKind
{
    FileSystem,
    AzureBlob,
}

public sealed class StorageOptions : IValidatableObject
{
    public const string SectionName = "Storage";

    /// <summary>The Aspire resource / connection string name of the Azure Blob service.</summary>
    public const string BlobConnectionName = "blobs";

    public StorageDriverKind Driver { get; set; } = StorageDriverKind.FileSystem;

    /// <summary>Filesystem driver: the data directory; each registry gets <c>registries/&lt;name&gt;</c> under it.</summary>
    public string RootDirectory { get; set; } = "data";

    /// <summary>Filesystem driver: fsync data before acknowledging a write (principle 2: an acknowledged write is durable).</summary>
    public bool FlushToDisk { get; set; } = true;

    /// <summary>Azure Blob driver: each registry is the container <c>&lt;prefix&gt;&lt;registry&gt;</c>.</summary>
    [RegularExpression("^[a-z0-9-]{0,20}$")]
    public string ContainerPrefix { get; set; } = "registry-";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Driver == StorageDriverKind.FileSystem && string.IsNullOrWhiteSpace(RootDirectory))
        {
            yield return new ValidationResult("Storage:RootDirectory is required for the filesystem driver", [nameof(RootDirectory)]);
        }
    }
}
