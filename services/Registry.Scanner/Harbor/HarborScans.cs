using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Registry.Oci;
using Registry.Scanner.Database;
using Registry.Security;
using Registry.Storage;
using Registry.Vulnerabilities;
using Registry.Vulnerabilities.Inventory;

namespace Registry.Scanner.Harbor;

/// <summary>
/// Scans for other registries through the Harbor scanner API: pulls the artifact from the registry the request names,
/// with the request's Authorization (exchanged for a pull token when that registry answers with a Bearer challenge),
/// analyses its layers (cached by digest in the platform partition), matches, and keeps the job with its reports.
/// </summary>
internal sealed partial class HarborScans(IStorageDriverFactory storage, VulnerabilityDatabase database, IHttpClientFactory clients, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<HarborScans> logger)
{
    public const string HttpClientName = "harbor-scans";
    public const string Running = "running";
    public const string Done = "done";
    public const string Failed = "failed";

    public static readonly HarborScanner Scanner = new("Registry", "Registry", "1.0.0");

    public async Task<HarborScanJob> StartAsync(HarborScanRequest request, CancellationToken cancellationToken)
    {
        if (request.Registry?.Url is not { } url || !Uri.TryCreate(url.TrimEnd('/'), UriKind.Absolute, out var registry) || registry.Scheme is not ("http" or "https"))
        {
            throw new HarborException(StatusCodes.Status422UnprocessableEntity, "registry.url must be an http(s) URL");
        }

        if (request.Artifact is not { Repository: { } repository, Digest: { } digest } artifact || !OciGrammar.IsRepositoryName(repository) || !Digest.TryParse(digest, out _))
        {
            throw new HarborException(StatusCodes.Status422UnprocessableEntity, "artifact.repository and artifact.digest are required and must be valid");
        }

        if (artifact.MimeType is { } mimeType && mimeType is not (HarborMediaTypes.OciManifest or HarborMediaTypes.DockerManifest))
        {
            throw new HarborException(StatusCodes.Status501NotImplemented, $"artifacts of type {mimeType} cannot be scanned");
        }

        var now = time.GetUtcNow();
        var job = new HarborScanJob { Id = Guid.NewGuid().ToString(), Status = Running, Artifact = artifact, CreatedAt = now, UpdatedAt = now };
        await SaveAsync(job, cancellationToken);
        _ = Task.Run(() => RunAsync(job, registry, request.Registry.Authorization), CancellationToken.None);
        return job;
    }

    public async Task<HarborScanJob?> FindAsync(string id, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var parsed))
        {
            return null;
        }

        var stored = await storage.ForPlatform().ReadAsync(Path(parsed.ToString()), cancellationToken);
        return stored is null ? null : JsonSerializer.Deserialize(stored.Content.Span, HarborJson.Default.HarborScanJob);
    }

    private async Task RunAsync(HarborScanJob job, Uri registry, string? authorization)
    {
        var cancellationToken = lifetime.ApplicationStopping;
        try
        {
            var client = new RemoteImage(clients.CreateClient(HttpClientName), registry, authorization, job.Artifact.Repository!);
            var (content, mediaType) = await client.ManifestAsync(job.Artifact.Digest!, cancellationToken);
            var manifest = ManifestParser.Parse(content, mediaType);
            var layers = new List<LayerInventory>();
            foreach (var layer in manifest.Layers.Where(l => l.Urls is not { Count: > 0 }))
            {
                var digest = Digest.Parse(layer.Digest);
                var cached = await storage.ForPlatform().ReadAsync(LayerPath(digest), cancellationToken);
                LayerInventory inventory;
                if (cached is not null)
                {
                    inventory = JsonSerializer.Deserialize(cached.Content.Span, Scanning.ScanJson.Default.LayerInventory)!;
                }
                else
                {
                    await using var blob = await client.BlobAsync(digest, cancellationToken);
                    inventory = await LayerAnalyzer.AnalyzeAsync(blob, layer.Digest, cancellationToken);
                    await storage.ForPlatform().WriteAsync(LayerPath(digest), JsonSerializer.SerializeToUtf8Bytes(inventory, Scanning.ScanJson.Default.LayerInventory), cancellationToken: cancellationToken);
                }

                layers.Add(inventory);
            }

            var image = ImageInventory.Combine(layers);
            var findings = VulnerabilityMatcher.Match(image, database.Index);
            var generated = time.GetUtcNow();
            var artifact = job.Artifact with { MimeType = mediaType };
            var vulnerabilities = findings
                .OrderByDescending(f => VulnerabilityMatcher.Rank(f.Severity)).ThenBy(f => f.Id, StringComparer.Ordinal)
                .Select(f => new HarborVulnerability(
                    f.Id, f.AdvisoryPackage, f.InstalledVersion, f.FixedVersion, SeverityOf(f.Severity), f.Summary, f.Links,
                    f.CvssScore is { } score ? new HarborCvss(score, f.CvssVector) : null,
                    new Dictionary<string, string> { ["purl"] = f.Purl, ["package_type"] = f.PackageType, ["location"] = f.Location ?? string.Empty }))
                .ToList();
            var worst = findings.Count == 0 ? "None" : SeverityOf(findings.MaxBy(f => VulnerabilityMatcher.Rank(f.Severity))!.Severity);
            var sbom = JsonDocument.Parse(CycloneDx.Write(new SbomSubject(job.Artifact.Repository!, job.Artifact.Digest!, generated), image)).RootElement.Clone();
            await SaveAsync(job with
            {
                Status = Done,
                Artifact = artifact,
                UpdatedAt = generated,
                Vulnerabilities = new HarborVulnerabilityReport(generated, artifact, Scanner, worst, vulnerabilities),
                Sbom = sbom,
            }, CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogFailed(logger, job.Id, job.Artifact.Repository ?? "", job.Artifact.Digest ?? "", ex);
            await SaveAsync(job with { Status = Failed, UpdatedAt = time.GetUtcNow(), Error = ex.Message }, CancellationToken.None);
        }
    }

    /// <summary>Harbor's scale: <c>Critical</c>, <c>High</c>, <c>Medium</c>, <c>Low</c>, <c>Negligible</c>, <c>Unknown</c>.</summary>
    internal static string SeverityOf(string severity) => severity switch
    {
        "CRITICAL" => "Critical",
        "HIGH" => "High",
        "MEDIUM" => "Medium",
        "LOW" => "Low",
        "NONE" => "Negligible",
        _ => "Unknown",
    };

    private Task SaveAsync(HarborScanJob job, CancellationToken cancellationToken) =>
        storage.ForPlatform().WriteAsync(Path(job.Id), JsonSerializer.SerializeToUtf8Bytes(job, HarborJson.Default.HarborScanJob), cancellationToken: cancellationToken);

    private static string Path(string id) => $"scans/harbor/jobs/{id}.json";

    private static string LayerPath(Digest digest) => $"scans/harbor/layers/{digest.Algorithm}/{digest.Hex}.json";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Harbor scan {JobId} of {Repository}@{Digest} failed")]
    private static partial void LogFailed(ILogger logger, string jobId, string repository, string digest, Exception exception);

    /// <summary>One repository of the requesting registry, read with its Authorization; a Bearer challenge is answered with a pull token for it.</summary>
    private sealed class RemoteImage(HttpClient http, Uri registry, string? authorization, string repository)
    {
        private static readonly string[] ManifestTypes = [HarborMediaTypes.OciManifest, HarborMediaTypes.DockerManifest];
        private AuthenticationHeaderValue? _current = authorization is { Length: > 0 } value ? AuthenticationHeaderValue.Parse(value) : null;

        public async Task<(byte[] Content, string MediaType)> ManifestAsync(string digest, CancellationToken cancellationToken)
        {
            using var response = await SendAsync($"/v2/{repository}/manifests/{digest}", ManifestTypes, cancellationToken);
            var content = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (Digest.Compute(Digest.Parse(digest).Algorithm, content).ToString() != digest)
            {
                throw new InvalidDataException($"the registry served {repository}@{digest} with other content");
            }

            return (content, MediaTypes.Normalize(response.Content.Headers.ContentType?.ToString()));
        }

        public async Task<Stream> BlobAsync(Digest digest, CancellationToken cancellationToken)
        {
            var response = await SendAsync($"/v2/{repository}/blobs/{digest}", [], cancellationToken);
            return await response.Content.ReadAsStreamAsync(cancellationToken);
        }

        private async Task<HttpResponseMessage> SendAsync(string path, string[] accept, CancellationToken cancellationToken)
        {
            for (var attempt = 0; ; attempt++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(registry, path));
                foreach (var type in accept)
                {
                    request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
                }

                request.Headers.Authorization = _current;
                var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0
                    && response.Headers.WwwAuthenticate.FirstOrDefault(c => c.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase)) is { Parameter: { } parameter })
                {
                    response.Dispose();
                    _current = new AuthenticationHeaderValue("Bearer", await TokenAsync(BearerChallenge.Parse(parameter), cancellationToken));
                    continue;
                }

                if (!response.IsSuccessStatusCode)
                {
                    var status = (int)response.StatusCode;
                    response.Dispose();
                    throw new HttpRequestException($"{registry.Authority} answered {status} for {path}");
                }

                return response;
            }
        }

        private async Task<string> TokenAsync(Dictionary<string, string> challenge, CancellationToken cancellationToken)
        {
            var realm = challenge.GetValueOrDefault("realm") ?? throw new HttpRequestException($"{registry.Authority} challenged without a realm");
            var query = $"scope={Uri.EscapeDataString($"repository:{repository}:pull")}"
                + (challenge.TryGetValue("service", out var service) ? $"&service={Uri.EscapeDataString(service)}" : string.Empty);
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"{realm}{(realm.Contains('?', StringComparison.Ordinal) ? "&" : "?")}{query}"));
            request.Headers.Authorization = authorization is { Length: > 0 } value ? AuthenticationHeaderValue.Parse(value) : null;
            using var response = await http.SendAsync(request, cancellationToken);
            response.EnsureSuccessStatusCode();
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            return (document.RootElement.TryGetProperty("token", out var token) ? token.GetString() : null)
                ?? (document.RootElement.TryGetProperty("access_token", out var access) ? access.GetString() : null)
                ?? throw new HttpRequestException("the token service answered without a token");
        }
    }
}

/// <summary>A refusal in the Harbor API's own error format.</summary>
internal sealed class HarborException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
