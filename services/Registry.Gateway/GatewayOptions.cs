using System.ComponentModel.DataAnnotations;

namespace Registry.Gateway;

/// <summary>Where the gateway sends each API (section <c>Gateway</c>): service-discovery names in the platform, URLs elsewhere.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    [Required]
    public Uri DistributionAddress { get; set; } = new("http://distribution");

    /// <summary>
    /// The regions' distribution instances, by region name; empty for a single region (<see cref="DistributionAddress"/>).
    /// </summary>
    public Dictionary<string, GatewayRegionOptions> Regions { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The region clients go to when nothing else decides (default: the first region by name).</summary>
    public string? HomeRegion { get; set; }

    public string HomeRegionName => HomeRegion ?? Regions.Keys.Order(StringComparer.Ordinal).FirstOrDefault() ?? "local";

    [Required]
    public Uri AuthAddress { get; set; } = new("http://auth");

    [Required]
    public Uri WebhooksAddress { get; set; } = new("http://webhooks");

    [Required]
    public Uri ReplicationAddress { get; set; } = new("http://replication");

    [Required]
    public Uri ScannerAddress { get; set; } = new("http://scanner");

    /// <summary>How long a proxied request may go without a byte moving (a slow multi-GB layer upload must not be cut).</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan ActivityTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Whether the gateway answers manifest <c>HEAD</c> requests itself from what distribution answered before (ADR 0019).
    /// Takes effect only with the shared Redis (<c>ConnectionStrings:cache</c>), whose invalidations it listens to.
    /// </summary>
    public bool ManifestCache { get; set; } = true;

    /// <summary>
    /// How long a kept manifest answer is used. Pushes, tag moves and deletes drop it at once; this bounds what no
    /// invalidation announces: lock changes, image policy verdicts, an invalidation lost to a partition.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan ManifestCacheLifetime { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Manifest answers kept at most (about 1 KiB each); past it the gateway starts over.</summary>
    [Range(1, 10_000_000)]
    public int ManifestCacheMaxEntries { get; set; } = 100_000;

    /// <summary>Largest request body outside <c>/v2</c> (management and token calls are small).</summary>
    [Range(1024, 1024 * 1024 * 1024)]
    public long MaxApiRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest vulnerability database import (<c>/api/vulnerabilities/imports</c>: OSV zip archives are large).</summary>
    [Range(1024, 16L * 1024 * 1024 * 1024)]
    public long MaxImportRequestBytes { get; set; } = 2L * 1024 * 1024 * 1024;
}

/// <summary>One region as the gateway sees it (<c>Gateway:Regions:&lt;region&gt;</c>).</summary>
public sealed class GatewayRegionOptions
{
    [Required]
    public Uri DistributionAddress { get; set; } = new("http://distribution");

    /// <summary>Client networks (CIDR, e.g. <c>10.1.0.0/16</c>) sent to this region first.</summary>
    public List<string> ClientNetworks { get; set; } = [];

    /// <summary>False takes the region out of rotation for every registry: clients fail over, replication goes on.</summary>
    public bool InRotation { get; set; } = true;
}
