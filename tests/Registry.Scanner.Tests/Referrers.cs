using System.Net;
using System.Text.Json;

namespace Registry.Scanner.Tests;

/// <summary>The scan results attached to an image as OCI 1.1 referrers, read through <c>/v2</c> as any OCI client would.</summary>
public static class Referrers
{
    public const string SbomType = "application/vnd.cyclonedx+json";
    public const string ReportType = "application/vnd.registry.scan.report.v1+json";

    /// <summary>The referrers of the given artifact type.</summary>
    public static async Task<IReadOnlyList<JsonElement>> OfTypeAsync(ScannerHost host, string repository, string digest, string artifactType) =>
        (await host.ReferrersAsync(repository, digest)).Where(r => r.TryGetProperty("artifactType", out var type) && type.GetString() == artifactType).ToList();

    /// <summary>The artifact manifest at <paramref name="digest"/> and the content of its one layer.</summary>
    public static async Task<(JsonElement Manifest, byte[] Layer)> ArtifactAsync(ScannerHost host, string repository, string digest)
    {
        var (content, served, status) = await host.ManifestAsync(repository, digest);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(digest, served);
        var manifest = JsonDocument.Parse(content).RootElement.Clone();
        var layer = Assert.Single(manifest.GetProperty("layers").EnumerateArray());
        var blob = await host.BlobAsync(repository, layer.GetProperty("digest").GetString()!);
        Assert.Equal(layer.GetProperty("digest").GetString(), OciLayout.Sha256(blob));
        Assert.Equal(layer.GetProperty("size").GetInt64(), blob.LongLength);
        return (manifest, blob);
    }

    /// <summary>How long scans that are still running after a report appeared may take to settle.</summary>
    public static readonly TimeSpan SettleLimit = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Waits until the image's referrers are what the design promises once its scans have finished — exactly one SBOM and
    /// one report, the pair its stored report names — and returns that pair; fails with what is attached when they never are.
    /// </summary>
    public static async Task<(string Sbom, string Report)> WaitForOnePairAsync(ScannerHost host, string repository, string digest)
    {
        var deadline = DateTime.UtcNow + SettleLimit;
        while (true)
        {
            var report = await host.WaitForReportAsync(digest);
            var referrers = await host.ReferrersAsync(repository, digest);
            var sboms = referrers.Where(r => r.GetProperty("artifactType").GetString() == SbomType).Select(r => r.GetProperty("digest").GetString()!).ToList();
            var reports = referrers.Where(r => r.GetProperty("artifactType").GetString() == ReportType).Select(r => r.GetProperty("digest").GetString()!).ToList();
            var pair = (Sbom: report.GetProperty("sbom").GetProperty("digest").GetString()!, Report: report.GetProperty("report").GetProperty("digest").GetString()!);
            if (referrers.Count == 2 && sboms.SequenceEqual([pair.Sbom]) && reports.SequenceEqual([pair.Report]))
            {
                return pair;
            }

            Assert.True(
                DateTime.UtcNow < deadline,
                $"{repository}@{digest} has {sboms.Count} SBOM and {reports.Count} report referrers (of {referrers.Count}), not just the pair of its report " +
                $"(SBOM {pair.Sbom}, report {pair.Report}):{Environment.NewLine}{string.Join(Environment.NewLine, referrers)}{Environment.NewLine}" +
                $"ScanCompleted events for it: {string.Join("; ", host.Events.All.Where(e => e.Digest == digest).Select(e => $"SBOM {e.SbomDigest} report {e.ReportDigest}"))}");
            await Task.Delay(250);
        }
    }

    /// <summary>The image's one SBOM referrer, parsed.</summary>
    public static async Task<JsonElement> SbomAsync(ScannerHost host, string repository, string digest)
    {
        var sbom = Assert.Single(await OfTypeAsync(host, repository, digest, SbomType));
        var (_, layer) = await ArtifactAsync(host, repository, sbom.GetProperty("digest").GetString()!);
        return JsonDocument.Parse(layer).RootElement.Clone();
    }
}
