using System.ComponentModel.DataAnnotations;

namespace Registry.Distribution.Cleanup;

/// <summary>The clean-up pass of every registry: expired soft deletes, retention, scheduled purge rules, garbage collection.</summary>
public sealed class CleanupOptions
{
    public const string SectionName = "Cleanup";

    /// <summary>Runs the background clean-up at all (on-demand purge and garbage collection work either way).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often a registry's full pass (soft-delete expiry, retention, garbage collection, usage reconcile) runs.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the background service wakes to look for due passes and due purge rules.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Blobs written, or linked into a repository, more recently than this are never collected (pushes in flight).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")]
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a registry's clean-up lease lasts without renewal: another instance takes over a crashed one after it.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "1.00:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How many runs <c>GET …/cleanup/runs</c> returns at most.</summary>
    [Range(1, 1000)]
    public int RunsListed { get; set; } = 50;

    /// <summary>An upload nothing was written to for this long is deleted by the full pass (Distribution purges after 168 h).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan UploadExpiry { get; set; } = TimeSpan.FromDays(7);
}
