using System.ComponentModel.DataAnnotations;

namespace Registry.Replication;

public sealed class ImportOptions
{
    public const string SectionName = "Import";

    public const string AllowPrivateNetworksSetting = SectionName + ":" + nameof(AllowPrivateNetworks);

    /// <summary>Lets imports reach loopback, link-local and private addresses (a source inside the operator's network).</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>How long the source may take to answer a request (the headers; a blob body may stream for longer).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Blobs of one import copied at the same time.</summary>
    [Range(1, 64)]
    public int ParallelBlobs { get; set; } = 4;

    /// <summary>A running operation not updated for this long belongs to an instance that stopped: it reads as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromMinutes(2);
}
