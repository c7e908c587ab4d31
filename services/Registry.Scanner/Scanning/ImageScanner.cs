using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Registry.Contracts;
using Registry.Distribution;
using Registry.Distribution.Core;
using Registry.Messaging;
using Registry.Oci;
using Registry.Security;
using Registry.Scanner.Database;
using Registry.Vulnerabilities;
using Registry.Vulnerabilities.Inventory;

namespace Registry.Scanner.Scanning;

/// <summary>
/// Scans images in place, from the registry's own storage: every platform of an index, each layer streamed once and its
/// inventory cached by digest (an image sharing base layers with one scanned before costs only its own layers), the
/// layers combined bottom to top, the packages matched against the loaded vulnerability database. The SBOM (CycloneDX)
/// and the report are attached to the image as OCI referrers, the report is kept for the API, and <see cref="ScanCompleted"/>
/// is raised through the outbox.
/// </summary>
internal sealed partial class ImageScanner(
    [FromKeyedServices(DistributionExtensions.WithoutEvents)] IManifestStore manifests,
    IBlobStore blobs,
    IUploadStore uploads,
    IEventOutbox outbox,
    ScanStore store,
    VulnerabilityDatabase database,
    IOptions<ScannerOptions> options,
    IOptions<DistributionOptions> distribution,
    TimeProvider time,
    ILogger<ImageScanner> logger)
{
    public const string ReportArtifactType = "application/vnd.registry.scan.report.v1+json";
    public const string ScannerAnnotation = "io.registry.scanner";

    private static readonly byte[] EmptyConfig = "{}"u8.ToArray();
    private readonly KeyedLock scanning = new();

    /// <summary>The reports of every image the reference names (one for an image, one per platform for an index); empty for artifacts that are not images.</summary>
    public async Task<IReadOnlyList<ScanReport>> ScanAsync(RepositoryPath repository, Reference reference, CancellationToken cancellationToken)
    {
        var descriptor = await manifests.ResolveAsync(repository, reference, cancellationToken)
            ?? throw new OciException(OciErrorCode.ManifestUnknown, $"{repository.Name}:{reference} does not exist");
        var reports = new List<ScanReport>();
        await ScanTreeAsync(repository, descriptor, reports, depth: 0, cancellationToken);
        return reports;
    }

    private async Task ScanTreeAsync(RepositoryPath repository, ManifestDescriptor descriptor, List<ScanReport> reports, int depth, CancellationToken cancellationToken)
    {
        var content = await manifests.ReadContentAsync(repository, descriptor, cancellationToken)
            ?? throw new OciException(OciErrorCode.ManifestUnknown, $"{repository.Name}@{descriptor.Digest} has no content");
        var manifest = ManifestParser.Parse(content.Span, descriptor.MediaType);
        if (manifest.IsIndex)
        {
            foreach (var child in manifest.Manifests.Where(_ => depth < 4))
            {
                if (await manifests.ResolveAsync(repository, Reference.Parse(child.Digest), cancellationToken) is { } childDescriptor)
                {
                    await ScanTreeAsync(repository, childDescriptor, reports, depth + 1, cancellationToken);
                }
            }

            return;
        }

        if (IsImage(manifest))
        {
            reports.Add(await ScanImageAsync(repository, descriptor, manifest, cancellationToken));
        }
    }

    /// <summary>
    /// An image, as opposed to an artifact (an SBOM, a signature, a Helm chart): a container config, and no artifact type
    /// other than that config's type (OCI 1.1 reports the config's media type as the artifact type when none is set).
    /// </summary>
    internal static bool IsImage(Manifest manifest) => IsImageConfig(manifest.Config?.MediaType) && (manifest.ArtifactType is null || IsImageConfig(manifest.ArtifactType));

    internal static bool IsImageConfig(string? mediaType) => mediaType is MediaTypes.OciConfig or DockerConfig;

    private const string DockerConfig = "application/vnd.docker.container.image.v1+json";

    /// <summary>
    /// One scan of an image at a time (two tags pushed at once, an index scanned while its children's own pushes are):
    /// each scan replaces the referrers of the one before, so overlapping scans would leave two SBOMs behind.
    /// </summary>
    private async Task<ScanReport> ScanImageAsync(RepositoryPath repository, ManifestDescriptor descriptor, Manifest manifest, CancellationToken cancellationToken)
    {
        using (await scanning.AcquireAsync($"{repository.Registry}/{descriptor.Digest}", cancellationToken))
        {
            return await ScanImageExclusiveAsync(repository, descriptor, manifest, cancellationToken);
        }
    }

    private async Task<ScanReport> ScanImageExclusiveAsync(RepositoryPath repository, ManifestDescriptor descriptor, Manifest manifest, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var layers = new List<LayerInventory>();
        var (scanned, cached) = (0, 0);
        foreach (var layer in manifest.Layers.Where(l => l.Urls is not { Count: > 0 }))
        {
            var digest = Digest.Parse(layer.Digest);
            var inventory = await store.FindLayerAsync(repository.Registry, digest, cancellationToken);
            if (inventory is null)
            {
                var blob = await blobs.StatAsync(repository, digest, cancellationToken)
                    ?? throw new OciException(OciErrorCode.BlobUnknown, $"layer {digest} of {repository.Name}@{descriptor.Digest} is missing");
                await using (var stream = await blobs.OpenReadAsync(repository, blob, 0, null, cancellationToken))
                {
                    inventory = await LayerAnalyzer.AnalyzeAsync(stream, layer.Digest, cancellationToken);
                }

                await store.SaveLayerAsync(repository.Registry, digest, inventory, cancellationToken);
                scanned++;
            }
            else
            {
                cached++;
            }

            layers.Add(inventory);
        }

        var image = ImageInventory.Combine(layers);
        var index = database.Index;
        var version = database.Version;
        var findings = VulnerabilityMatcher.Match(image, index)
            .OrderByDescending(f => VulnerabilityMatcher.Rank(f.Severity))
            .ThenBy(f => f.Id, StringComparer.Ordinal)
            .ThenBy(f => f.PackageName, StringComparer.Ordinal)
            .ToList();
        var scannedAt = time.GetUtcNow();
        var report = new ScanReport
        {
            Registry = repository.Registry,
            Repository = repository.Name,
            Digest = descriptor.Digest,
            MediaType = descriptor.MediaType,
            OperatingSystem = image.OperatingSystem is { } os ? new OperatingSystemView(os.Id, os.VersionId, os.OsvEcosystem, os.PrettyName) : null,
            Packages = image.Packages.Count,
            Summary = SeverityTotals.Of(findings),
            Findings = findings,
            DatabaseVersion = version,
            ScannedAt = scannedAt,
            DurationMs = 0,
            LayersScanned = scanned,
            LayersFromCache = cached,
            UnreadableLayers = layers.Where(l => l.Unreadable is not null).Select(l => new UnreadableLayer(l.Digest, l.Unreadable!)).ToList() is { Count: > 0 } unreadable ? unreadable : null,
        };

        // No layer readable as an archive (an artifact or test content pushed as an image): nothing to describe.
        if (options.Value.AttachReferrers && !(layers.Count > 0 && layers.All(l => l.Unreadable is not null)))
        {
            var sbom = CycloneDx.Write(new SbomSubject($"{repository.Name}", descriptor.Digest, scannedAt), image, findings);
            var sbomRef = await AttachAsync(repository, descriptor, CycloneDx.MediaType, CycloneDx.MediaType, sbom, scannedAt, cancellationToken);
            var reportBytes = JsonSerializer.SerializeToUtf8Bytes(report with { DurationMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1) }, ScanJson.Default.ScanReport);
            var reportRef = await AttachAsync(repository, descriptor, ReportArtifactType, "application/json", reportBytes, scannedAt, cancellationToken);
            report = report with { Sbom = sbomRef, Report = reportRef };
            await DetachAsync(repository, descriptor, report, cancellationToken);
        }

        report = report with { DurationMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1) };
        await store.SaveReportAsync(report, cancellationToken);
        await store.SaveVerdictAsync(repository.Registry, new ScanVerdict(
            descriptor.Digest,
            scannedAt,
            version,
            findings.Select(f => new ScanVerdictFinding(f.Id, f.Severity, f.AdvisoryPackage, f.InstalledVersion, f.FixedVersion) { Aliases = f.Aliases }).ToList()), cancellationToken);
        await outbox.AddAsync(new ScanCompleted
        {
            EventId = Guid.NewGuid(),
            Registry = repository.Registry,
            Region = distribution.Value.Region,
            Repository = repository.Name,
            Digest = descriptor.Digest,
            MediaType = descriptor.MediaType,
            Critical = report.Summary.Critical,
            High = report.Summary.High,
            Medium = report.Summary.Medium,
            Low = report.Summary.Low,
            Unknown = report.Summary.Unknown,
            DatabaseVersion = version,
            SbomDigest = report.Sbom?.Digest,
            ReportDigest = report.Report?.Digest,
            OccurredAt = scannedAt,
            Source = EventSources.ThisProcess,
        }, cancellationToken);
        LogScanned(logger, repository.Registry, repository.Name, descriptor.Digest, image.Packages.Count, findings.Count, scanned, cached, version);
        return report;
    }

    /// <summary>Pushes an OCI 1.1 artifact (empty config, one layer) whose subject is the scanned image, by digest.</summary>
    private async Task<ArtifactRef> AttachAsync(
        RepositoryPath repository, ManifestDescriptor subject, string artifactType, string layerMediaType, byte[] content, DateTimeOffset created, CancellationToken cancellationToken)
    {
        var layer = await PutBlobAsync(repository, content, cancellationToken);
        var config = await PutBlobAsync(repository, EmptyConfig, cancellationToken);
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = MediaTypes.OciManifest,
            artifactType,
            config = new { mediaType = MediaTypes.OciEmpty, digest = config.ToString(), size = EmptyConfig.Length },
            layers = new[] { new { mediaType = layerMediaType, digest = layer.ToString(), size = content.Length } },
            subject = new { mediaType = subject.MediaType, digest = subject.Digest, size = subject.Size },
            annotations = new Dictionary<string, string>
            {
                ["org.opencontainers.image.created"] = created.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
                [ScannerAnnotation] = database.Version,
            },
        });
        var stored = await manifests.PutAsync(repository, Reference.Parse(Digest.Compute(Digest.Sha256, manifest).ToString()), manifest, MediaTypes.OciManifest, [], cancellationToken);
        return new ArtifactRef(stored.Digest, MediaTypes.OciManifest, artifactType);
    }

    /// <summary>
    /// Every earlier scan's referrers go once the new ones are attached, so an image carries one current SBOM and report
    /// (also those of a scan that stopped between attaching and recording its report).
    /// </summary>
    private async Task DetachAsync(RepositoryPath repository, ManifestDescriptor subject, ScanReport current, CancellationToken cancellationToken)
    {
        foreach (var referrer in await manifests.ListReferrersAsync(repository, Digest.Parse(subject.Digest), cancellationToken))
        {
            if (referrer.Annotations?.ContainsKey(ScannerAnnotation) == true
                && referrer.ArtifactType is CycloneDx.MediaType or ReportArtifactType
                && referrer.Digest != current.Sbom?.Digest && referrer.Digest != current.Report?.Digest)
            {
                await manifests.DeleteAsync(repository, Reference.Parse(referrer.Digest), cancellationToken);
            }
        }
    }

    private async Task<Digest> PutBlobAsync(RepositoryPath repository, byte[] content, CancellationToken cancellationToken)
    {
        var digest = Digest.Compute(Digest.Sha256, content);
        if (await blobs.StatAsync(repository, digest, cancellationToken) is not null || await blobs.MountAsync(repository, digest, null, cancellationToken) is not null)
        {
            return digest;
        }

        var upload = await uploads.StartAsync(repository, cancellationToken);
        await uploads.AppendAsync(repository, upload.Id, new MemoryStream(content, writable: false), 0, cancellationToken);
        await uploads.CompleteAsync(repository, upload.Id, digest, cancellationToken);
        return digest;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Scanned {Registry}/{Repository}@{Digest}: {Packages} packages, {Findings} findings ({LayersScanned} layers read, {LayersCached} from cache, database {DatabaseVersion})")]
    private static partial void LogScanned(ILogger logger, string registry, string repository, string digest, int packages, int findings, int layersScanned, int layersCached, string databaseVersion);
}
