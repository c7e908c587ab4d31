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
