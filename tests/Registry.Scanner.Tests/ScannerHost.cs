extern alias standalone;

using Microsoft.Extensions.Hosting;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Registry.Contracts;
using Registry.Messaging;
using standalone::Registry.Standalone;

namespace Registry.Scanner.Tests;

/// <summary>
/// The single-process host (auth, distribution, webhooks, replication, scanner, in-memory bus) composed in this process
/// exactly as its Program does (<c>AddStandalone</c>, <c>MapStandalone</c>), on filesystem storage in a data directory
/// the caller owns (so a second host can start on it after the first stopped), on real Kestrel at a free loopback port.
/// The default registry's admin user comes from <c>REGISTRY_ADMIN_USERNAME</c>/<c>REGISTRY_ADMIN_PASSWORD</c>. The only
/// addition is a consumer that records the <see cref="ScanCompleted"/> events the bus delivers.
/// </summary>
public sealed partial class ScannerHost : IAsyncDisposable
{
    public const string AdminUsername = "admin";
    public const string AdminPassword = "Scanner-integration-0f-the-admin";
    public const string Registry = "default";

    /// <summary>How long a test waits for something asynchronous (a scan on push, an event) before it fails.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);

    private readonly WebApplication _app;
    private readonly string _dockerConfig;
    private int _disposed;

    private ScannerHost(WebApplication app, HostLog log, string dataDirectory)
    {
        _app = app;
        Log = log;
        DataDirectory = dataDirectory;
        BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        Events = app.Services.GetRequiredService<ScanEvents>();
        Management = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        Management.DefaultRequestHeaders.Authorization = BasicAdmin;
        Anonymous = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        _dockerConfig = Path.Combine(Path.GetTempPath(), "registry-scanner-docker-" + Guid.NewGuid().ToString("N")[..10]);
    }

    public static AuthenticationHeaderValue BasicAdmin { get; } =
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AdminUsername}:{AdminPassword}")));

    public Uri BaseAddress { get; }

    /// <summary><c>127.0.0.1:port</c>, as docker and skopeo name the registry.</summary>
    public string Authority => BaseAddress.Authority;

    public string DataDirectory { get; }

    /// <summary>The management API as the admin user (Basic).</summary>
    public HttpClient Management { get; }

    /// <summary>No credentials at all.</summary>
    public HttpClient Anonymous { get; }

    public ScanEvents Events { get; }

    /// <summary>The host's warnings and errors, for failure messages.</summary>
    public HostLog Log { get; }

    public string Describe() => Log.Lines.Count == 0 ? "(the host logged no warning)" : "host log:" + Environment.NewLine + string.Join(Environment.NewLine, Log.Lines.TakeLast(40));

    public static async Task<ScannerHost> StartAsync(string dataDirectory)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Driver"] = "FileSystem",
            ["Storage:RootDirectory"] = dataDirectory,
            ["REGISTRY_ADMIN_USERNAME"] = AdminUsername,
            ["REGISTRY_ADMIN_PASSWORD"] = AdminPassword,
            ["Outbox:SweepInterval"] = "00:00:00.500",
            ["Outbox:ClaimAge"] = "00:00:01",
            ["Scanner:DatabaseRefreshInterval"] = "00:00:01",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        var builder = RegistryWebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton<ScanEvents>();
        builder.AddRegistryConsumers(bus => bus.AddConsumer<ScanCompletedRecorder>());
        builder.AddStandalone(["--data-dir", dataDirectory]);
        builder.Configuration.AddInMemoryCollection(settings);
        var log = new HostLog();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddProvider(log);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapStandalone();
        await app.StartAsync();
        return new ScannerHost(app, log, dataDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        Management.Dispose();
        Anonymous.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        TestDirectories.TryDelete(_dockerConfig);
    }

    // ---- management API ----

    public async Task<HttpResponseMessage> ImportAsync(byte[] content, string mediaType, HttpClient? client = null)
    {
        using var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return await (client ?? Management).PostAsync(new Uri("/api/vulnerabilities/imports", UriKind.Relative), body);
    }

    public async Task<JsonElement> DatabaseAsync()
    {
        using var response = await Management.GetAsync(new Uri("/api/vulnerabilities", UriKind.Relative));
        return await JsonOf(response, HttpStatusCode.OK);
    }

    public Task<HttpResponseMessage> ScanAsync(string repository, string? reference, HttpClient? client = null) =>
        (client ?? Management).PostAsync(
            new Uri($"/api/registries/{Registry}/scans", UriKind.Relative),
            new StringContent(JsonSerializer.Serialize(new { repository, reference }), Encoding.UTF8, "application/json"));

    /// <summary><c>POST …/scans</c>; must be 200: the reports.</summary>
    public async Task<IReadOnlyList<JsonElement>> ScanNowAsync(string repository, string? reference)
    {
        using var response = await ScanAsync(repository, reference);
        var body = await JsonOf(response, HttpStatusCode.OK);
        return body.GetProperty("reports").EnumerateArray().ToList();
    }

    public Task<HttpResponseMessage> GetReportAsync(string digest) =>
        Management.GetAsync(new Uri($"/api/registries/{Registry}/scans/{digest}", UriKind.Relative));

    /// <summary>Polls <c>GET …/scans/{digest}</c> until the scan on push has stored a report (404 meanwhile).</summary>
    public async Task<JsonElement> WaitForReportAsync(string digest, Func<JsonElement, bool>? until = null)
    {
        var deadline = DateTime.UtcNow + Patience;
        var last = "no answer";
        while (true)
        {
            using (var response = await GetReportAsync(digest))
            {
                var text = await response.Content.ReadAsStringAsync();
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var report = JsonDocument.Parse(text).RootElement.Clone();
                    if (until is null || until(report))
                    {
                        return report;
                    }

                    last = "a report not yet as awaited: " + text[..Math.Min(text.Length, 600)];
                }
                else
                {
                    Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"GET scans/{digest} answered {(int)response.StatusCode}: {text}");
                    last = "404";
                }
            }

            Assert.True(DateTime.UtcNow < deadline, $"no scan report for {digest} within {Patience.TotalSeconds} s (last: {last}){Environment.NewLine}{Describe()}");
            await Task.Delay(200);
        }
    }

    public static async Task<JsonElement> JsonOf(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}, not {(int)expected}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    // ---- the registry API (/v2) with a token from the realm of the challenge ----

    /// <summary>A token for <paramref name="scope"/>: the realm and service of the 401 challenge, asked with the admin's Basic credentials.</summary>
    public async Task<string> TokenAsync(string scope)
    {
        using var ping = await Anonymous.GetAsync(new Uri("/v2/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, ping.StatusCode);
        var challenge = Assert.Single(ping.Headers.WwwAuthenticate, h => h.Scheme == "Bearer").Parameter!;
        var parameters = ChallengeParameter().Matches(challenge).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        var realm = new Uri(parameters["realm"]);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{realm}?service={Uri.EscapeDataString(parameters["service"])}&scope={Uri.EscapeDataString(scope)}");
        request.Headers.Authorization = BasicAdmin;
        using var response = await Anonymous.SendAsync(request);
        var json = await JsonOf(response, HttpStatusCode.OK);
        return json.GetProperty("token").GetString()!;
    }

    public async Task<HttpResponseMessage> RegistryGetAsync(string repository, string path, params string[] accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/{path}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync($"repository:{repository}:pull"));
        foreach (var type in accept)
        {
            request.Headers.Accept.ParseAdd(type);
        }

        return await Anonymous.SendAsync(request);
    }

    /// <summary>The referrers index of <paramref name="digest"/>: its manifests' descriptors.</summary>
    public async Task<IReadOnlyList<JsonElement>> ReferrersAsync(string repository, string digest)
    {
        using var response = await RegistryGetAsync(repository, $"referrers/{digest}");
        var index = await JsonOf(response, HttpStatusCode.OK);
        Assert.Equal("application/vnd.oci.image.index.v1+json", response.Content.Headers.ContentType?.MediaType);
        return index.GetProperty("manifests").EnumerateArray().ToList();
    }

    /// <summary>A manifest by digest or tag: its bytes and the digest the registry names.</summary>
    public async Task<(byte[] Content, string? Digest, HttpStatusCode Status)> ManifestAsync(string repository, string reference)
    {
        using var response = await RegistryGetAsync(
            repository,
            $"manifests/{reference}",
            OciLayout.ManifestType,
            OciLayout.IndexType,
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.docker.distribution.manifest.list.v2+json");
        var digest = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.Single() : null;
        return (await response.Content.ReadAsByteArrayAsync(), digest, response.StatusCode);
    }

    public async Task<byte[]> BlobAsync(string repository, string digest)
    {
        using var response = await RegistryGetAsync(repository, $"blobs/{digest}");
        var content = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /v2/{repository}/blobs/{digest} answered {(int)response.StatusCode}");
        return content;
    }

    /// <summary>
    /// Pushes an image of the layout with the distribution API itself, blob by blob (<c>POST</c> then <c>PUT ?digest=</c>)
    /// and the manifest as it is: for content skopeo would change (it compresses plain tar layers).
    /// </summary>
    public async Task HttpPushAsync(OciLayout layout, Descriptor manifest, string repository, string tag)
    {
        var token = new AuthenticationHeaderValue("Bearer", await TokenAsync($"repository:{repository}:pull,push"));
        var manifestBytes = await File.ReadAllBytesAsync(layout.BlobPath(manifest.Digest));
        using var parsed = JsonDocument.Parse(manifestBytes);
        var blobs = parsed.RootElement.GetProperty("layers").EnumerateArray().Append(parsed.RootElement.GetProperty("config")).Select(d => d.GetProperty("digest").GetString()!);
        foreach (var digest in blobs)
        {
            using var start = new HttpRequestMessage(HttpMethod.Post, $"/v2/{repository}/blobs/uploads/");
            start.Headers.Authorization = token;
            using var started = await Anonymous.SendAsync(start);
            Assert.True(started.StatusCode == HttpStatusCode.Accepted, $"POST blobs/uploads answered {(int)started.StatusCode}");
            var location = started.Headers.Location!;
            var upload = location.IsAbsoluteUri ? location : new Uri(BaseAddress, location);
            using var put = new HttpRequestMessage(HttpMethod.Put, upload + (upload.Query.Length > 0 ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest))
            {
                Content = new ByteArrayContent(await File.ReadAllBytesAsync(layout.BlobPath(digest))),
            };
            put.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            put.Headers.Authorization = token;
            using var stored = await Anonymous.SendAsync(put);
            Assert.True(stored.StatusCode == HttpStatusCode.Created, $"PUT of blob {digest} answered {(int)stored.StatusCode}: {await stored.Content.ReadAsStringAsync()}");
        }

        using var request = new HttpRequestMessage(HttpMethod.Put, $"/v2/{repository}/manifests/{tag}") { Content = new ByteArrayContent(manifestBytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(manifest.MediaType);
        request.Headers.Authorization = token;
        using var response = await Anonymous.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"PUT of the manifest answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    // ---- real clients ----

    /// <summary><c>skopeo copy oci:&lt;layout&gt;:&lt;tag&gt; docker://host/repository:tag</c> as the admin user (<c>--all</c> for every platform of an index).</summary>
    public Task SkopeoCopyAsync(OciLayout layout, string layoutTag, string repository, string tag, bool all = false) =>
        Cli.RunCheckedAsync(
            "skopeo",
            [
                "copy", .. all ? new[] { "--all" } : [], "--preserve-digests", "--dest-creds", $"{AdminUsername}:{AdminPassword}", "--dest-tls-verify=false",
                $"oci:{layout.Directory}:{layoutTag}", $"docker://{Authority}/{repository}:{tag}",
            ],
            context: Describe);

    /// <summary>docker with a client configuration of this host's own, logged in as the admin user on first use.</summary>
    public async Task<CliResult> DockerAsync(params string[] arguments)
    {
        var environment = new Dictionary<string, string> { ["DOCKER_CONFIG"] = _dockerConfig };
        if (!Directory.Exists(_dockerConfig))
        {
            Directory.CreateDirectory(_dockerConfig);
            await Cli.RunCheckedAsync("docker", ["login", Authority, "-u", AdminUsername, "--password-stdin"], environment, AdminPassword, Describe);
        }

        return await Cli.RunCheckedAsync("docker", arguments, environment, context: Describe);
    }

    /// <summary><c>docker import</c> of the root filesystem's tar as <c>host/repository:tag</c>, <c>docker push</c>; the manifest digest docker reports.</summary>
    public async Task<string> DockerImportAndPushAsync(RootFs root, string repository, string tag)
    {
        var image = $"{Authority}/{repository}:{tag}";
        var tar = await root.TarAsync(root.Directory.TrimEnd('/') + ".tar");
        await DockerAsync("import", tar, image);
        try
        {
            var push = await DockerAsync("push", image);
            var match = PushedDigest().Match(push.StandardOutput);
            Assert.True(match.Success, $"no digest in the docker push output:{Environment.NewLine}{push.Describe()}");
            return match.Groups[1].Value;
        }
        finally
        {
            await Cli.RunAsync("docker", ["image", "rm", "-f", image], timeout: TimeSpan.FromSeconds(30));
        }
    }

    [GeneratedRegex(@"(\w+)=""([^""]*)""")]
    private static partial Regex ChallengeParameter();

    [GeneratedRegex(@"digest: (sha256:[0-9a-f]{64}) size: \d+")]
    private static partial Regex PushedDigest();
}

/// <summary>The <see cref="ScanCompleted"/> events the host's bus delivered.</summary>
public sealed class ScanEvents
{
    private readonly ConcurrentQueue<ScanCompleted> _events = new();

    public IReadOnlyList<ScanCompleted> All => [.. _events];

    public void Add(ScanCompleted message) => _events.Enqueue(message);

    public async Task<IReadOnlyList<ScanCompleted>> WaitForAsync(Func<ScanCompleted, bool> match, int count = 1)
    {
        var deadline = DateTime.UtcNow + ScannerHost.Patience;
        while (true)
        {
            var found = _events.Where(match).ToList();
            if (found.Count >= count)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{found.Count} of {count} ScanCompleted events arrived within {ScannerHost.Patience.TotalSeconds} s ({_events.Count} in all)");
            await Task.Delay(100);
        }
    }
}

public sealed class ScanCompletedRecorder(ScanEvents events) : IConsumer<ScanCompleted>
{
    public Task Consume(ConsumeContext<ScanCompleted> context)
    {
        events.Add(context.Message);
        return Task.CompletedTask;
    }
}
