using System.ComponentModel.DataAnnotations;

namespace Registry.Distribution;

public sealed class DistributionOptions
{
    public const string SectionName = "Distribution";

    /// <summary>ACR's manifest limit: 4 MiB.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxManifestBytes { get; set; } = Oci.ManifestParser.MaxManifestBytes;

    /// <summary>Largest <c>n</c> honoured by tag and catalog listings; a larger <c>n</c> is clamped, as Distribution does.</summary>
    [Range(1, 100_000)]
    public int MaxPageSize { get; set; } = 10_000;

    /// <summary>The region this instance serves, carried by every event it raises.</summary>
    [Required]
    [RegularExpression("^[a-z0-9][a-z0-9-]{0,39}$")]
    public string Region { get; set; } = "local";

    /// <summary>How long an instance trusts the changeable attributes it read (locks); other instances see a change within it.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan MetadataCacheLifetime { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often pull counts gathered in memory are merged into storage (and once more on shutdown).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan PullStatisticsFlushInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether a whole blob of at least <see cref="SendFileMinBytes"/> read from filesystem storage over plain HTTP/1.1
    /// is handed to the kernel (<c>sendfile</c>) rather than copied through the process; the connection closes after
    /// such a response (ADR 0014).
    /// </summary>
    public bool SendFile { get; set; } = true;

    /// <summary>Smallest blob sent with <c>sendfile</c>: below it, keeping the connection open is worth more than the copy saved.</summary>
    [Range(typeof(long), "0", "9223372036854775807")]
    public long SendFileMinBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Whether a blob <c>GET</c> is answered with a 307 redirect to a time-limited, read-only storage URL when the
    /// storage can sign one (Azure Blob), as ACR does: clients then download from storage, not through the service.
    /// Off by default, because clients must be able to reach the storage endpoint.
    /// </summary>
    public bool RedirectBlobReads { get; set; }

    /// <summary>How long a redirect URL stays valid; a download that started in time finishes even after it.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan BlobReadUrlLifetime { get; set; } = TimeSpan.FromMinutes(20);
}
