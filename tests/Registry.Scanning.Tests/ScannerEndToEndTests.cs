using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Json.Schema;

namespace Registry.Scanning.Tests;

/// <summary>
/// The scanner in the single-process host with real docker: the OSV database imported through the API, images pushed
/// with docker scanned on push, their SBOM and report attached as referrers, and the image policy enforced on docker pull.
/// </summary>
public sealed class ScannerEndToEndTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _work = Directory.CreateTempSubdirectory("registry-scanner-images-").FullName;
    private ScannerHost _host = null!;

    public async Task InitializeAsync() => _host = await ScannerHost.StartAsync();

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task The_database_imports_from_an_OSV_zip_counts_what_it_holds_and_refuses_what_is_not_OSV()
    {
        var files = Directory.GetFiles(Oracle.VulnData("osv", "github"), "*.json");
        using (var imported = await ImportAsync(Zip(files), "application/zip"))
        {
            Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
        }

        using var database = JsonDocument.Parse(await _host.Management.GetStringAsync(new Uri("/api/vulnerabilities", UriKind.Relative)));
        Assert.Equal(files.Length, database.RootElement.GetProperty("advisories").GetInt32());
        Assert.Equal(files.Length, database.RootElement.GetProperty("sources")[0].GetProperty("advisories").GetInt32());

        using (var refused = await ImportAsync(Encoding.UTF8.GetBytes("""{"not":"osv"}"""), "application/json"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }

        using var anonymous = new HttpClient { BaseAddress = _host.BaseAddress };
        using var unauthenticated = await anonymous.PostAsync(new Uri("/api/vulnerabilities/imports", UriKind.Relative), new ByteArrayContent(Zip(files)));
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
        using var after = JsonDocument.Parse(await _host.Management.GetStringAsync(new Uri("/api/vulnerabilities", UriKind.Relative)));
        Assert.Equal(1, after.RootElement.GetProperty("sources").GetArrayLength());
    }

    [Fact]
    public async Task A_docker_push_is_scanned_and_gets_a_valid_CycloneDX_SBOM_and_a_report_as_referrers_and_a_rescan_replaces_them()
    {
        await ImportGitHubAdvisoriesAsync();
        var (reference, digest) = await PushAsync("scan/app", "1", ("app/node_modules/ws/package.json", """{"name":"ws","version":"8.17.0"}"""));

        var report = await ReportAsync(digest);
        var finding = Assert.Single(report.GetProperty("findings").EnumerateArray(), f => f.GetProperty("packageName").GetString() == "ws");
        Assert.Equal("GHSA-3h5v-q93c-6h6q", finding.GetProperty("id").GetString());
        Assert.Equal("8.17.1", finding.GetProperty("fixedVersion").GetString());
        Assert.Equal("HIGH", finding.GetProperty("severity").GetString());
        Assert.Equal(7.5, finding.GetProperty("cvssScore").GetDouble());
        Assert.True(report.GetProperty("packages").GetInt32() > 100, "this machine's dpkg packages are in the image");

        var referrers = await ReferrersAsync("scan/app", digest);
        var sbom = Assert.Single(referrers, r => r.ArtifactType == "application/vnd.cyclonedx+json");
        Assert.Single(referrers, r => r.ArtifactType == "application/vnd.registry.scan.report.v1+json");

        var document = await ArtifactContentAsync("scan/app", sbom.Digest);
        using var parsed = JsonDocument.Parse(document);
        var validation = CycloneDxSchema().Evaluate(parsed.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(validation.IsValid, JsonSerializer.Serialize(validation)[..Math.Min(3000, JsonSerializer.Serialize(validation).Length)]);
        using var bom = JsonDocument.Parse(document);
        Assert.Contains(bom.RootElement.GetProperty("components").EnumerateArray(), c => c.TryGetProperty("purl", out var purl) && purl.GetString() == "pkg:npm/ws@8.17.0");
        Assert.Contains(bom.RootElement.GetProperty("vulnerabilities").EnumerateArray(), v => v.GetProperty("id").GetString() == "GHSA-3h5v-q93c-6h6q");

        using var rescan = await _host.Management.PostAsync(new Uri("/api/registries/default/scans", UriKind.Relative), Json(new { repository = "scan/app", reference = "1" }));
        Assert.Equal(HttpStatusCode.OK, rescan.StatusCode);
        var after = await ReferrersAsync("scan/app", digest);
        Assert.Single(after, r => r.ArtifactType == "application/vnd.cyclonedx+json");
        Assert.Single(after, r => r.ArtifactType == "application/vnd.registry.scan.report.v1+json");
        _ = reference;
    }

    [Fact]
    public async Task Pull_prevention_refuses_docker_pull_naming_the_finding_and_an_allowlist_lets_it_through()
    {
        await ImportGitHubAdvisoriesAsync();
        var (reference, digest) = await PushAsync("policy/app", "1", ("app/node_modules/ws/package.json", """{"name":"ws","version":"8.17.0"}"""));
        await ReportAsync(digest);
        await PutPolicyAsync(new { blockSeverity = "HIGH" });

        var refused = await PullUntilAsync(reference, succeeded: false);
        Assert.Contains("GHSA-3h5v-q93c-6h6q", refused, StringComparison.Ordinal);
        Assert.Contains("blocked by the registry's image policy", refused, StringComparison.Ordinal);

        await PutPolicyAsync(new { blockSeverity = "HIGH", allowlist = new[] { "GHSA-3h5v-q93c-6h6q" } });
        await PullUntilAsync(reference, succeeded: true);

        using var invalid = await _host.Management.PutAsync(new Uri("/api/registries/default/scans/policy", UriKind.Relative), Json(new { blockSeverity = "SEVERE" }));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        using var policy = JsonDocument.Parse(await _host.Management.GetStringAsync(new Uri("/api/registries/default/scans/policy", UriKind.Relative)));
        Assert.Equal("HIGH", policy.RootElement.GetProperty("blockSeverity").GetString());
    }

    [Fact]
    public async Task A_quarantined_image_is_refused_to_docker_until_it_is_scanned()
    {
        await using var host = await ScannerHost.StartAsync(new Dictionary<string, string?> { ["Scanner:ScanOnPush"] = "false" });
        var previous = _host;
        _host = host;
        try
        {
            await PutPolicyAsync(new { quarantine = true });
            var (reference, _) = await PushAsync("quarantine/app", "1", ("app/readme.txt", "hello"));
            var refused = await PullUntilAsync(reference, succeeded: false);
            Assert.Contains("quarantined until its vulnerability scan passes", refused, StringComparison.Ordinal);

            using var scanned = await _host.Management.PostAsync(new Uri("/api/registries/default/scans", UriKind.Relative), Json(new { repository = "quarantine/app", reference = "1" }));
            Assert.Equal(HttpStatusCode.OK, scanned.StatusCode);
            await PullUntilAsync(reference, succeeded: true);
        }
        finally
        {
            _host = previous;
        }
    }

    [Fact]
    public async Task On_demand_scans_answer_precise_errors_and_nothing_for_artifacts()
    {
        using var unknown = await _host.Management.PostAsync(new Uri("/api/registries/default/scans", UriKind.Relative), Json(new { repository = "nothing/here", reference = "1" }));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var invalid = await _host.Management.PostAsync(new Uri("/api/registries/default/scans", UriKind.Relative), Json(new { repository = "Not..Valid", reference = "1" }));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);

        await ImportGitHubAdvisoriesAsync();
        var (_, digest) = await PushAsync("artifacts/app", "1", ("app/readme.txt", "hello"));
        await ReportAsync(digest);
        var sbom = (await ReferrersAsync("artifacts/app", digest)).Single(r => r.ArtifactType == "application/vnd.cyclonedx+json");
        using var artifact = await _host.Management.PostAsync(new Uri("/api/registries/default/scans", UriKind.Relative), Json(new { repository = "artifacts/app", reference = sbom.Digest }));
        using var body = JsonDocument.Parse(await artifact.Content.ReadAsStringAsync());
        Assert.Equal(0, body.RootElement.GetProperty("reports").GetArrayLength());
    }

    private async Task ImportGitHubAdvisoriesAsync()
    {
        using var imported = await ImportAsync(Zip(Directory.GetFiles(Oracle.VulnData("osv", "github"), "*.json")), "application/zip");
        Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
    }

    /// <summary>This machine's os-release and dpkg status plus the files given, imported into docker as one layer and pushed.</summary>
    private async Task<(string Reference, string Digest)> PushAsync(string repository, string tag, params (string Path, string Content)[] files)
    {
        var root = Path.Combine(_work, Guid.NewGuid().ToString("N"));
        foreach (var (path, content) in files.Append(("etc/os-release", File.ReadAllText("/etc/os-release"))).Append(("var/lib/dpkg/status", File.ReadAllText("/var/lib/dpkg/status"))))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, path))!);
            await File.WriteAllTextAsync(Path.Combine(root, path), content);
        }

        var archive = root + ".tar";
        Oracle.Run("tar", $"-C {root} -cf {archive} .");
        var reference = $"{_host.Authority}/{repository}:{tag}";
        await _host.DockerAsync("import", archive, reference).EnsureAsync();
        await _host.DockerAsync("push", "-q", reference).EnsureAsync();
        var repoDigest = (await _host.DockerAsync("inspect", "--format", "{{index .RepoDigests 0}}", reference).EnsureAsync()).Trim();
        await _host.DockerAsync("rmi", "-f", reference).EnsureAsync();
        return (reference, repoDigest[(repoDigest.IndexOf('@', StringComparison.Ordinal) + 1)..]);
    }

    private async Task<string> PullUntilAsync(string reference, bool succeeded)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var (code, output, error) = await _host.DockerAsync("pull", reference).RunAsync();
            await _host.DockerAsync("rmi", "-f", reference).RunAsync();
            if ((code == 0) == succeeded)
            {
                return error + output;
            }

            Assert.True(DateTime.UtcNow < deadline, $"docker pull {reference} {(succeeded ? "kept failing" : "kept succeeding")}: {error}{output}");
            await Task.Delay(500);
        }
    }

    private async Task<JsonElement> ReportAsync(string digest)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            using var response = await _host.Management.GetAsync(new Uri($"/api/registries/default/scans/{digest}", UriKind.Relative));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            }

            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.True(DateTime.UtcNow < deadline, $"no scan report for {digest} within {Patience}");
            await Task.Delay(200);
        }
    }

    private async Task<List<(string Digest, string ArtifactType)>> ReferrersAsync(string repository, string digest)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/referrers/{digest}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync($"repository:{repository}:pull"));
        using var anonymous = new HttpClient { BaseAddress = _host.BaseAddress };
        using var response = await anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var index = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return index.RootElement.GetProperty("manifests").EnumerateArray()
            .Select(m => (m.GetProperty("digest").GetString()!, m.GetProperty("artifactType").GetString()!)).ToList();
    }

    /// <summary>The single layer of an artifact manifest.</summary>
    private async Task<string> ArtifactContentAsync(string repository, string digest)
    {
        using var anonymous = new HttpClient { BaseAddress = _host.BaseAddress };
        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync($"repository:{repository}:pull"));
        using var manifestRequest = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/manifests/{digest}");
        manifestRequest.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        using var manifestResponse = await anonymous.SendAsync(manifestRequest);
        using var manifest = JsonDocument.Parse(await manifestResponse.Content.ReadAsStringAsync());
        var layer = manifest.RootElement.GetProperty("layers")[0].GetProperty("digest").GetString();
        return await anonymous.GetStringAsync(new Uri($"/v2/{repository}/blobs/{layer}", UriKind.Relative));
    }

    private async Task<string> TokenAsync(string scope)
    {
        using var anonymous = new HttpClient { BaseAddress = _host.BaseAddress };
        using var ping = await anonymous.GetAsync(new Uri("/v2/", UriKind.Relative));
        var challenge = Registry.Security.BearerChallenge.Parse(ping.Headers.WwwAuthenticate.Single().Parameter!);
        using var token = await _host.Management.GetAsync(new Uri($"{challenge["realm"]}?service={Uri.EscapeDataString(challenge["service"])}&scope={Uri.EscapeDataString(scope)}"));
        using var json = JsonDocument.Parse(await token.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("token").GetString()!;
    }

    private async Task PutPolicyAsync(object policy)
    {
        using var response = await _host.Management.PutAsync(new Uri("/api/registries/default/scans/policy", UriKind.Relative), Json(policy));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private Task<HttpResponseMessage> ImportAsync(byte[] content, string mediaType)
    {
        var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return _host.Management.PostAsync(new Uri("/api/vulnerabilities/imports", UriKind.Relative), body);
    }

    private static StringContent Json(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    private static byte[] Zip(IEnumerable<string> files)
    {
        using var output = new MemoryStream();
        using (var archive = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var file in files)
            {
                archive.CreateEntryFromFile(file, Path.GetFileName(file));
            }
        }

        return output.ToArray();
    }

    /// <summary>The CycloneDX 1.5 JSON schema that eng/setup.sh fetched, with the SPDX and JSF schemas it refers to.</summary>
    private static JsonSchema CycloneDxSchema()
    {
        var directory = Path.Combine(RepositoryPaths.Tools, "cyclonedx-schema");
        var registry = SchemaRegistry.Global;
        foreach (var name in new[] { "spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json" })
        {
            var schema = JsonSchema.FromFile(Path.Combine(directory, name));
            registry.Register(new Uri($"http://cyclonedx.org/schema/{name.Replace(".SNAPSHOT", string.Empty, StringComparison.Ordinal)}"), schema);
        }

        return JsonSchema.FromFile(Path.Combine(directory, "bom-1.5.SNAPSHOT.schema.json"));
    }
}
