using System.ComponentModel.DataAnnotations;

namespace Registry.Scanner;

public sealed class ScannerOptions
{
    public const string SectionName = "Scanner";

    /// <summary>Scan every pushed image (each platform of an index) as its <c>ManifestPushed</c> event arrives.</summary>
    public bool ScanOnPush { get; set; } = true;

    /// <summary>Attach the SBOM and the report to the image as OCI referrers.</summary>
    public bool AttachReferrers { get; set; } = true;

    /// <summary>How often an instance looks whether another one imported a newer vulnerability database.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan DatabaseRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest advisory source accepted by the import API (an OSV zip of a whole ecosystem is large).</summary>
    [Range(1024, 16L * 1024 * 1024 * 1024)]
    public long MaxImportBytes { get; set; } = 2L * 1024 * 1024 * 1024;
}
