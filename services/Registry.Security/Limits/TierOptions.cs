using System.ComponentModel.DataAnnotations;

namespace Registry.Security.Limits;

/// <summary>What one tier allows (DESIGN.md section 7; ACR's published limits by default).</summary>
public sealed class TierLimits
{
    [Range(0.0, 10_000_000.0)]
    public double IncludedStorageGiB { get; set; }

    /// <summary>Pushes are refused once a registry stores this much (deduplicated bytes); fractions allowed (tests).</summary>
    [Range(1e-9, 10_000_000.0)]
    public double MaxStorageGiB { get; set; } = 40960;

    [Range(0, 1_000_000)]
    public int Webhooks { get; set; }

    /// <summary>The most tokens, and the most scope maps (each counted alone), a registry may have.</summary>
    [Range(0, 10_000_000)]
    public int ScopeMapsAndTokens { get; set; }

    [Range(1, 100_000_000)]
    public int ReadOpsPerMinute { get; set; }

    [Range(1, 100_000_000)]
    public int WriteOpsPerMinute { get; set; }

    /// <summary>Geo-replication (Premium only in ACR).</summary>
    public bool Replications { get; set; }

    public long MaxStorageBytes => Bytes(MaxStorageGiB);

    public long IncludedStorageBytes => Bytes(IncludedStorageGiB);

    private static long Bytes(double gib) => (long)Math.Min(gib * 1024 * 1024 * 1024, long.MaxValue);
}

/// <summary>The limits of each tier (section <c>Tiers</c>), e.g. <c>Tiers:Basic:Webhooks</c>.</summary>
public sealed class TierOptions
{
    public const string SectionName = "Tiers";

    public TierLimits Basic { get; set; } = new()
    {
        IncludedStorageGiB = 10, Webhooks = 2, ScopeMapsAndTokens = 100, ReadOpsPerMinute = 1000, WriteOpsPerMinute = 100,
    };

    public TierLimits Standard { get; set; } = new()
    {
        IncludedStorageGiB = 100, Webhooks = 10, ScopeMapsAndTokens = 500, ReadOpsPerMinute = 3000, WriteOpsPerMinute = 500,
    };

    public TierLimits Premium { get; set; } = new()
    {
        IncludedStorageGiB = 500, Webhooks = 500, ScopeMapsAndTokens = 50_000, ReadOpsPerMinute = 10_000, WriteOpsPerMinute = 2000, Replications = true,
    };

    public TierLimits For(RegistryTier tier) => tier switch
    {
        RegistryTier.Basic => Basic,
        RegistryTier.Standard => Standard,
        _ => Premium,
    };

    /// <summary>The refusal of something past a tier's limit, as every management API words it.</summary>
    public static ManagementException QuotaExceeded(RegistryTier tier, string what, long limit) =>
        new(Microsoft.AspNetCore.Http.StatusCodes.Status409Conflict, "Quota exceeded", $"the {tier} tier allows {limit} {what}; delete some or move the registry to a higher tier");
}
