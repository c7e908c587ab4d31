using System.ComponentModel.DataAnnotations;

namespace Registry.Messaging;

/// <summary>How the event outbox is relayed to the bus.</summary>
public sealed class OutboxOptions
{
    public const string SectionName = "Outbox";

    /// <summary>How often entries not published at once (bus down, an instance stopped) are looked for.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>An entry this young may still be in the hands of the instance that wrote it; others leave it alone.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ClaimAge { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one publish may wait for the broker before the entry is left to the sweep.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
