using System.ComponentModel.DataAnnotations;

namespace Registry.Distribution.Usage;

public sealed class UsageOptions
{
    public const string SectionName = "Usage";

    /// <summary>How often every registry's usage summary is recomputed whole from storage.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long after a push or delete the figures of the repository it touched are recomputed (changes in between are coalesced).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan RecomputeDelay { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>The storage limit of each tier (<c>Tiers:&lt;Basic|Standard|Premium&gt;:MaxStorageGiB</c>); pushes are refused beyond it.</summary>
public sealed class TierStorageOptions
{
    public const string SectionName = "Tiers";

    public TierStorage Basic { get; set; } = new();

    public TierStorage Standard { get; set; } = new();

    public TierStorage Premium { get; set; } = new();

    public TierStorage For(RegistryTier tier) => tier switch
    {
        RegistryTier.Basic => Basic,
        RegistryTier.Standard => Standard,
        _ => Premium,
    };

    public bool IsValid => new[] { Basic, Standard, Premium }.All(tier => tier.MaxStorageGiB > 0);
}

public sealed class TierStorage
{
    /// <summary>ACR's maximum storage of every tier: 40 TiB.</summary>
    public double MaxStorageGiB { get; set; } = 40960;

    public long MaxStorageBytes => (long)Math.Min(MaxStorageGiB * 1024 * 1024 * 1024, long.MaxValue);
}
