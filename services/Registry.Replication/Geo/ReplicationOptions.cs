using System.ComponentModel.DataAnnotations;

namespace Registry.Replication.Geo;

/// <summary>Geo-replication (section <c>Replication</c>); the regions and their storage are under <c>Regions</c>.</summary>
public sealed class ReplicationOptions
{
    public const string SectionName = "Replication";

    /// <summary>How often every replicated registry is compared region by region and differences repaired.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "1.00:00:00")]
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How soon a region whose replication failed is compared again (it was down; it may be back).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Repositories compared at the same time during reconciliation.</summary>
    [Range(1, 64)]
    public int ParallelRepositories { get; set; } = 4;

    /// <summary>Tags of one repository compared (and copied) at the same time during reconciliation, per repository.</summary>
    [Range(1, 64)]
    public int ParallelTags { get; set; } = 4;

    /// <summary>Events replicated at the same time by one instance.</summary>
    [Range(1, 256)]
    public int ParallelEvents { get; set; } = 16;

    /// <summary>
    /// How often an instance shares its view of the replicas' progress with the other instances (through Redis, when
    /// <c>ConnectionStrings:cache</c> is set); a view not renewed for five times this long is dropped.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan StatusShareInterval { get; set; } = TimeSpan.FromSeconds(1);
}
