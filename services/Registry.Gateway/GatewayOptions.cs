using System.ComponentModel.DataAnnotations;

namespace Registry.Gateway;

/// <summary>Where the gateway sends each API (section <c>Gateway</c>): service-discovery names in the platform, URLs elsewhere.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    [Required]
    public Uri DistributionAddress { get; set; } = new("http://distribution");

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

    /// <summary>Largest request body outside <c>/v2</c> (management and token calls are small).</summary>
    [Range(1024, 1024 * 1024 * 1024)]
    public long MaxApiRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest vulnerability database import (<c>/api/vulnerabilities/imports</c>: OSV zip archives are large).</summary>
    [Range(1024, 16L * 1024 * 1024 * 1024)]
    public long MaxImportRequestBytes { get; set; } = 2L * 1024 * 1024 * 1024;
}
