using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Registry.Benchmarks;

internal sealed record ScanBenchSettings
{
    public required Uri Registry { get; init; }

    public required string Username { get; init; }

    public required string Password { get; init; }

    public required DirectoryInfo OsvDirectory { get; init; }

    public int ImageMiB { get; init; } = 200;

    public int SmallImages { get; init; } = 1000;

    public int PushConcurrency { get; init; } = 8;

    public string RegistryName { get; init; } = "default";
}

internal sealed record ScanResult(string Label, double Milliseconds, string Detail);

/// <summary>
/// Issue #6's scanner figures, against a running registry: (1) push-acknowledged to findings-available for an image of
/// <see cref="ScanBenchSettings.ImageMiB"/> MiB (gzip layer of incompressible files plus this machine's dpkg status and a
/// vulnerable npm package), (2) the same for an image sharing that base layer (only its small layer is read), and
/// (3) scans per second over many small images pushed at once. The vulnerability database is the OSV files given,
/// imported first. Findings-available = <c>GET /api/registries/{r}/scans/{digest}</c> answers 200 (polled every 20 ms).
/// </summary>
internal sealed class ScanBenchmark(ScanBenchSettings settings, TextWriter log)
{
    private const string OciManifest = "application/vnd.oci.image.manifest.v1+json";

    public async Task<IReadOnlyList<ScanResult>> RunAsync(CancellationToken cancellationToken)
    {
        using var management = new HttpClient { BaseAddress = settings.Registry, Timeout = TimeSpan.FromMinutes(5) };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.Username}:{settings.Password}")));
        using var client = new RegistryClient(settings.Registry, settings.PushConcurrency * 2, settings.Username, settings.Password);
        var results = new List<ScanResult>();

        log.WriteLine($"scanner: importing the OSV files of {settings.OsvDirectory.FullName}");
        await ImportDatabaseAsync(management, cancellationToken);

        var run = Guid.NewGuid().ToString("N")[..8];
        log.WriteLine($"scanner: building a {settings.ImageMiB} MiB base layer");
        var (baseLayer, baseDiffId) = Layer(BaseFiles(settings.ImageMiB));
        var (appLayer, appDiffId) = Layer([("app/node_modules/left-pad/package.json", Encoding.UTF8.GetBytes("""{"name":"left-pad","version":"1.3.0"}"""))]);

        var big = await PushImageAsync(client, $"bench/scan-{run}", "big", [(baseLayer, baseDiffId)], cancellationToken);
        var first = await WaitForReportAsync(management, big.Digest, big.AcknowledgedAt, cancellationToken);
        results.Add(new ScanResult($"first scan, {settings.ImageMiB} MiB image", first.Milliseconds, first.Detail));
        log.WriteLine($"scanner: first scan {first.Milliseconds:0} ms ({first.Detail})");

        var shared = await PushImageAsync(client, $"bench/scan-{run}", "shared", [(baseLayer, baseDiffId), (appLayer, appDiffId)], cancellationToken);
        var rescan = await WaitForReportAsync(management, shared.Digest, shared.AcknowledgedAt, cancellationToken);
        results.Add(new ScanResult("image sharing the scanned base layer", rescan.Milliseconds, rescan.Detail));
        log.WriteLine($"scanner: shared-base scan {rescan.Milliseconds:0} ms ({rescan.Detail})");

        if (settings.SmallImages > 0)
        {
            log.WriteLine($"scanner: pushing {settings.SmallImages} small images");
            var images = new (string Digest, long AcknowledgedAt)[settings.SmallImages];
            var next = -1;
            var pushers = Enumerable.Range(0, settings.PushConcurrency).Select(async _ =>
            {
                while (Interlocked.Increment(ref next) is var i && i < settings.SmallImages)
                {
                    var (layer, diffId) = Layer([
                        ("etc/os-release", Encoding.UTF8.GetBytes("ID=debian\nVERSION_ID=\"12\"\n")),
                        ("app/node_modules/ws/package.json", Encoding.UTF8.GetBytes($$"""{"name":"ws","version":"8.17.0","description":"{{run}}-{{i}}"}""")),
                    ]);
                    images[i] = await PushImageAsync(client, $"bench/small-{run}-{i % 20}", $"v{i}", [(layer, diffId)], cancellationToken);
                }
            });
            await Task.WhenAll(pushers);
            var firstAck = images.Min(image => image.AcknowledgedAt);
            long lastReport = 0;
            foreach (var image in images)
            {
                var waited = await WaitForReportAsync(management, image.Digest, image.AcknowledgedAt, cancellationToken);
                lastReport = Math.Max(lastReport, image.AcknowledgedAt + (long)(waited.Milliseconds * Stopwatch.Frequency / 1000));
            }

            var seconds = Stopwatch.GetElapsedTime(firstAck, lastReport).TotalSeconds;
            results.Add(new ScanResult(
                $"{settings.SmallImages} small images, first push to last report",
                seconds * 1000,
                $"{settings.SmallImages / seconds:0.0} scans/s"));
            log.WriteLine($"scanner: {settings.SmallImages / seconds:0.0} scans/s");
        }

        return results;
    }

    public static string ToMarkdown(IReadOnlyList<ScanResult> results) =>
        "| run | push acknowledged → findings available | detail |\n|---|---:|---|\n" +
        string.Join('\n', results.Select(r => $"| {r.Label} | {r.Milliseconds:0} ms | {r.Detail} |")) + "\n";

    private async Task ImportDatabaseAsync(HttpClient management, CancellationToken cancellationToken)
    {
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var file in settings.OsvDirectory.EnumerateFiles("*.json", SearchOption.AllDirectories))
            {
                var entry = archive.CreateEntry(Path.GetRelativePath(settings.OsvDirectory.FullName, file.FullName));
                await using var target = entry.Open();
                await using var source = file.OpenRead();
                await source.CopyToAsync(target, cancellationToken);
            }
        }

        using var content = new ByteArrayContent(zip.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        using var response = await management.PostAsync(new Uri("/api/vulnerabilities/imports", UriKind.Relative), content, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"import: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    private async Task<(string Digest, long AcknowledgedAt)> PushImageAsync(
        RegistryClient client, string repository, string tag, IReadOnlyList<(byte[] Blob, string DiffId)> layers, CancellationToken cancellationToken)
    {
        var config = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            architecture = "amd64",
            os = "linux",
            rootfs = new { type = "layers", diff_ids = layers.Select(l => l.DiffId).ToArray() },
        }));
        var configDigest = Sha256(config);
        await client.PushBlobAsync(repository, config, configDigest, cancellationToken);
        var descriptors = new List<object>();
        foreach (var (blob, _) in layers)
        {
            var digest = Sha256(blob);
            if (!await client.BlobExistsAsync(repository, digest, cancellationToken))
            {
                await client.PushBlobAsync(repository, blob, digest, cancellationToken);
            }

            descriptors.Add(new { mediaType = "application/vnd.oci.image.layer.v1.tar+gzip", digest, size = blob.Length });
        }

        var manifest = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = OciManifest,
            config = new { mediaType = "application/vnd.oci.image.config.v1+json", digest = configDigest, size = config.Length },
            layers = descriptors,
        });
        await client.PutManifestAsync(repository, tag, manifest, cancellationToken);
        return (Sha256(manifest), Stopwatch.GetTimestamp());
    }

    private async Task<(double Milliseconds, string Detail)> WaitForReportAsync(HttpClient management, string digest, long acknowledgedAt, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(10))
        {
            using var response = await management.GetAsync(new Uri($"/api/registries/{settings.RegistryName}/scans/{digest}", UriKind.Relative), cancellationToken);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var at = Stopwatch.GetTimestamp();
                using var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                var root = report.RootElement;
                var detail = $"{root.GetProperty("packages").GetInt32()} packages, {root.GetProperty("summary").GetProperty("total").GetInt32()} findings, " +
                    $"{root.GetProperty("layersScanned").GetInt32()} layers read, {root.GetProperty("layersFromCache").GetInt32()} from cache, scan {root.GetProperty("durationMs").GetDouble():0} ms";
                return (Stopwatch.GetElapsedTime(acknowledgedAt, at).TotalMilliseconds, detail);
            }

            await Task.Delay(20, cancellationToken);
        }

        throw new TimeoutException($"no scan report for {digest} within 10 minutes");
    }

    /// <summary>This machine's os-release and dpkg status, a vulnerable npm package, and incompressible files up to the size.</summary>
    private static IEnumerable<(string Path, byte[] Content)> BaseFiles(int mib)
    {
        yield return ("etc/os-release", File.Exists("/etc/os-release") ? File.ReadAllBytes("/etc/os-release") : Encoding.UTF8.GetBytes("ID=debian\nVERSION_ID=\"12\"\n"));
        if (File.Exists("/var/lib/dpkg/status"))
        {
            yield return ("var/lib/dpkg/status", File.ReadAllBytes("/var/lib/dpkg/status"));
        }

        yield return ("app/node_modules/ws/package.json", Encoding.UTF8.GetBytes("""{"name":"ws","version":"8.17.0"}"""));
        var random = new Random(42);
        for (var file = 0; file < mib / 2; file++)
        {
            var content = new byte[2 * 1024 * 1024];
            random.NextBytes(content);
            yield return ($"usr/share/bench/blob{file:D4}.bin", content);
        }
    }

    /// <summary>A gzip-compressed tar of the files, and its diff id (digest of the uncompressed tar).</summary>
    private static (byte[] Blob, string DiffId) Layer(IEnumerable<(string Path, byte[] Content)> files)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (path, content) in files)
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, path) { DataStream = new MemoryStream(content), Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead };
                writer.WriteEntry(entry);
            }
        }

        var diffId = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(tar.GetBuffer().AsSpan(0, (int)tar.Length)));
        using var gzip = new MemoryStream();
        using (var compressor = new GZipStream(gzip, CompressionLevel.Fastest, leaveOpen: true))
        {
            compressor.Write(tar.GetBuffer(), 0, (int)tar.Length);
        }

        return (gzip.ToArray(), diffId);
    }

    private static string Sha256(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
}
