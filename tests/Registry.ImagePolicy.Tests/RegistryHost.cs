using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Registry.Testing;

namespace Registry.ImagePolicy.Tests;

/// <summary>A user name and password the registry knows: its admin user or a service principal (user name = app id).</summary>
public sealed record RegistryCredential(string Username, string Password)
{
    public AuthenticationHeaderValue Basic => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}")));

    /// <summary>Never the password: records print into assertion messages.</summary>
    public override string ToString() => Username;
}

/// <summary>An HTTP answer kept after its response is disposed.</summary>
public sealed record ApiAnswer(HttpStatusCode Status, string Body, string? MediaType, IReadOnlyList<string> WwwAuthenticate)
{
    public JsonElement Json()
    {
        using var document = JsonDocument.Parse(Body);
        return document.RootElement.Clone();
    }

    public override string ToString() => $"{(int)Status} {MediaType} {Body}";
}

/// <summary>
/// An answer to <c>GET</c>/<c>HEAD /v2/&lt;name&gt;/manifests/&lt;ref&gt;</c>: the status and, for a refused GET, the OCI
/// error (<c>{"errors":[{"code","message","detail"}]}</c>).
/// </summary>
public sealed record ManifestAnswer(HttpStatusCode Status, string Body, string? DockerContentDigest)
{
    public JsonElement? Error
    {
        get
        {
            if (Body.Length == 0 || (int)Status < 400)
            {
                return null;
            }

            try
            {
                using var document = JsonDocument.Parse(Body);
                return document.RootElement.GetProperty("errors")[0].Clone();
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or IndexOutOfRangeException or InvalidOperationException)
            {
                return null;
            }
        }
    }

    public string? ErrorCode => Error?.GetProperty("code").GetString();

    public string ErrorMessage => Error?.GetProperty("message").GetString() ?? string.Empty;

    public override string ToString() => $"{(int)Status} {(Body.Length > 600 ? Body[..600] + "…" : Body)}";
}

/// <summary>
/// One <c>Registry.Standalone</c> process of our own (from this test project's output) on a free loopback port, with a
/// data directory of its own, its default registry's admin user set to a random password and extra settings given as
/// environment variables (<c>Scanner__ScanOnPush</c>, …). The local dockerd reaches it as the insecure registry
/// <c>127.0.0.1:port</c>. Image policies are per registry, so tests that change the policy share a host only when they run
/// one after the other (one xunit collection).
/// </summary>
public sealed class RegistryHost : IAsyncDisposable
{
    public const string RegistryName = "default";
    public const string LoginServer = "default.localhost";

    public static readonly string[] ManifestMediaTypes =
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ];

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private readonly IReadOnlyDictionary<string, string> _settings;
    private ProcessHost? _server;

    private RegistryHost(string name, IReadOnlyDictionary<string, string> settings)
    {
        Name = name;
        _settings = settings;
        DataDirectory = Path.Combine(Path.GetTempPath(), $"registry-policy-{name}-{Guid.NewGuid().ToString("N")[..10]}");
        Directory.CreateDirectory(DataDirectory);
        Admin = new RegistryCredential("admin", "policy-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        Http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
    }

    public string Name { get; }

    public int Port { get; private set; }

    /// <summary><c>127.0.0.1:port</c>, as docker names the registry.</summary>
    public string Host => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    public string DataDirectory { get; }

    public RegistryCredential Admin { get; }

    /// <summary>Plain HTTP to the host (no credentials of its own: every call says who it is).</summary>
    public HttpClient Http { get; }

    /// <summary>docker logged in as <see cref="Admin"/> (a <c>DOCKER_CONFIG</c> of this host's own).</summary>
    public DockerClient AdminDocker { get; private set; } = null!;

    public static async Task<RegistryHost> StartAsync(string name, IReadOnlyDictionary<string, string> settings)
    {
        var host = new RegistryHost(name, settings);
        try
        {
            await host.StartAsync();
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>The server's last output lines, for failure messages.</summary>
    public string ServerOutput() => _server is null ? "(registry not started)" : _server.Describe($"is the registry under test ({Name})");

    /// <summary>A repository name no other test (or run) uses.</summary>
    public static string UniqueRepository(string prefix) => $"policy/{prefix}-{Guid.NewGuid().ToString("N")[..10]}";

    // ------------------------------------------------------------------------------------------------ management API

    /// <summary>A call to the API with <paramref name="json"/> as body, as <paramref name="credential"/> (Basic), or anonymous when null.</summary>
    public async Task<ApiAnswer> SendAsync(HttpMethod method, string path, string? json, RegistryCredential? credential, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, new Uri($"http://{Host}/{path.TrimStart('/')}"));
        request.Headers.Authorization = credential?.Basic;
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        using var response = await Http.SendAsync(request);
        return new ApiAnswer(
            response.StatusCode,
            await response.Content.ReadAsStringAsync(),
            response.Content.Headers.ContentType?.MediaType,
            [.. response.Headers.WwwAuthenticate.Select(h => h.ToString())]);
    }

    /// <summary>A call as the admin user that must succeed; its JSON (undefined when there is no body).</summary>
    public async Task<JsonElement> ManageAsync(HttpMethod method, string path, string? json = null)
    {
        var answer = await SendAsync(method, path, json, Admin);
        Assert.True((int)answer.Status is >= 200 and < 300, $"{method} {path} answered {answer}{Environment.NewLine}{ServerOutput()}");
        return answer.Body.Length == 0 ? default : answer.Json();
    }

    public const string PolicyPath = $"api/registries/{RegistryName}/scans/policy";

    public Task<JsonElement> GetPolicyAsync() => ManageAsync(HttpMethod.Get, PolicyPath);

    /// <summary><c>PUT …/scans/policy</c> as the admin user; the policy as the API answers it.</summary>
    public Task<JsonElement> SetPolicyAsync(string json) => ManageAsync(HttpMethod.Put, PolicyPath, json);

    /// <summary>Imports an OSV file into the platform's vulnerability database (201).</summary>
    public async Task<JsonElement> ImportAdvisoryAsync(string osvFile)
    {
        var answer = await SendAsync(HttpMethod.Post, "api/vulnerabilities/imports", await File.ReadAllTextAsync(osvFile), Admin);
        Assert.True(answer.Status == HttpStatusCode.Created, $"importing {osvFile} answered {answer}{Environment.NewLine}{ServerOutput()}");
        return answer.Json();
    }

    /// <summary>Polls <c>GET …/scans/{digest}</c> until the image's report exists (200); 404 meanwhile.</summary>
    public async Task<JsonElement> WaitForScanAsync(string digest, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var answer = await SendAsync(HttpMethod.Get, $"api/registries/{RegistryName}/scans/{digest}", null, Admin);
            if (answer.Status == HttpStatusCode.OK)
            {
                return answer.Json();
            }

            Assert.True(answer.Status == HttpStatusCode.NotFound, $"GET scans/{digest} answered {answer}{Environment.NewLine}{ServerOutput()}");
            Assert.True(clock.Elapsed < timeout, $"no scan report of {digest} within {timeout.TotalSeconds:0} s (the scan on push did not happen){Environment.NewLine}{ServerOutput()}");
            await Task.Delay(200);
        }
    }

    /// <summary><c>POST …/scans {"repository","reference"}</c> as the admin user: scans now; the answer (<c>{"reports":[…]}</c>).</summary>
    public Task<JsonElement> ScanNowAsync(string repository, string reference) =>
        ManageAsync(HttpMethod.Post, $"api/registries/{RegistryName}/scans", JsonSerializer.Serialize(new { repository, reference }));

    /// <summary>A service principal holding <paramref name="role"/> on the whole registry (or on <paramref name="scope"/>); it logs in with its app id.</summary>
    public async Task<RegistryCredential> CreateServicePrincipalAsync(string role, string? scope = null)
    {
        var principal = await ManageAsync(
            HttpMethod.Post, $"api/registries/{RegistryName}/servicePrincipals", JsonSerializer.Serialize(new { name = $"policy-{role}-{Guid.NewGuid().ToString("N")[..8]}" }));
        var appId = principal.GetProperty("appId").GetString()!;
        await ManageAsync(
            HttpMethod.Put,
            $"api/registries/{RegistryName}/roleAssignments/{Guid.NewGuid():D}",
            JsonSerializer.Serialize(new { properties = new { principalId = appId, roleDefinitionName = role, scope } }));
        return new RegistryCredential(appId, principal.GetProperty("password").GetString()!);
    }

    // ------------------------------------------------------------------------------------------------ tokens and /v2

    /// <summary>An access token from <c>GET /oauth2/token</c> for these scopes, with Basic credentials; must be 200.</summary>
    public async Task<string> GetTokenAsync(RegistryCredential credential, params string[] scopes)
    {
        var query = string.Join('&', scopes.Select(s => "scope=" + Uri.EscapeDataString(s)).Prepend("service=" + Uri.EscapeDataString(LoginServer)));
        var answer = await SendAsync(HttpMethod.Get, "oauth2/token?" + query, null, credential);
        Assert.True(answer.Status == HttpStatusCode.OK, $"GET /oauth2/token?{query} as {credential} answered {answer}");
        var json = answer.Json();
        return (json.TryGetProperty("access_token", out var token) ? token : json.GetProperty("token")).GetString()!;
    }

    /// <summary><c>GET</c> or <c>HEAD</c> of a manifest with a pull token of <paramref name="credential"/> (the admin user by default).</summary>
    public async Task<ManifestAnswer> RequestManifestAsync(HttpMethod method, string repository, string reference, RegistryCredential? credential = null)
    {
        var token = await GetTokenAsync(credential ?? Admin, $"repository:{repository}:pull");
        using var request = new HttpRequestMessage(method, new Uri($"http://{Host}/v2/{repository}/manifests/{reference}"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        foreach (var mediaType in ManifestMediaTypes)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(mediaType));
        }

        using var response = await Http.SendAsync(request);
        return new ManifestAnswer(
            response.StatusCode,
            await response.Content.ReadAsStringAsync(),
            response.Headers.TryGetValues("Docker-Content-Digest", out var digests) ? digests.First() : null);
    }

    /// <summary>
    /// Repeats <see cref="RequestManifestAsync"/> until <paramref name="until"/> holds or <paramref name="timeout"/> passes (a
    /// policy change takes effect within seconds); the last answer either way — the caller asserts on it.
    /// </summary>
    public async Task<ManifestAnswer> WaitForManifestAsync(HttpMethod method, string repository, string reference, Func<ManifestAnswer, bool> until, TimeSpan timeout, RegistryCredential? credential = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var answer = await RequestManifestAsync(method, repository, reference, credential);
            if (until(answer) || clock.Elapsed > timeout)
            {
                return answer;
            }

            await Task.Delay(250);
        }
    }

    // ------------------------------------------------------------------------------------------------ docker

    /// <summary>A docker client with a configuration of its own (in the data directory, removed with the host), logged in as <paramref name="credential"/>.</summary>
    public async Task<DockerClient> LoginDockerAsync(RegistryCredential credential, string name)
    {
        var client = new DockerClient(Path.Combine(DataDirectory, $"docker-{name}-{Guid.NewGuid().ToString("N")[..6]}"), Host, ServerOutput);

        var login = await client.LoginAsync(credential);
        Assert.True(login.Succeeded, $"docker login {Host} as {credential} failed:{Environment.NewLine}{login.Describe()}{Environment.NewLine}{ServerOutput()}");
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
            _server = null;
        }

        Http.Dispose();
        TestDirectories.TryDelete(DataDirectory);
    }

    private async Task StartAsync()
    {
        var assembly = Path.Combine(AppContext.BaseDirectory, "Registry.Standalone.dll");
        if (!File.Exists(assembly))
        {
            throw new InvalidOperationException($"'{assembly}' is missing: the test project references services/Registry.Standalone, rebuild it.");
        }

        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort.Next();
            try
            {
                await StartProcessAsync(assembly);
                break;
            }
            catch (InvalidOperationException) when (attempt < 3 && _server is { HasExited: true })
            {
                // Most likely the port was taken between choosing and binding it.
                await _server.DisposeAsync();
                _server = null;
            }
        }

        AdminDocker = await LoginDockerAsync(Admin, "admin");
    }

    private async Task StartProcessAsync(string assembly)
    {
        var dotnet = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var environment = new Dictionary<string, string>
        {
            ["REGISTRY_ADMIN_USERNAME"] = Admin.Username,
            ["REGISTRY_ADMIN_PASSWORD"] = Admin.Password,
        };
        foreach (var (key, value) in _settings)
        {
            environment[key] = value;
        }

        _server = ProcessHost.Start(
            $"registry-{Name}",
            dotnet,
            [assembly, "--urls", $"http://{Host}", "--data-dir", Path.Combine(DataDirectory, "data"), "--environment", "Production"],
            AppContext.BaseDirectory,
            environment);

        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        var last = "no answer yet";
        while (true)
        {
            if (_server.HasExited)
            {
                await Task.Delay(200); // let the output readers drain
                throw new InvalidOperationException(_server.Describe("exited before answering GET /v2/"));
            }

            try
            {
                // Ready: the version check asks for a token.
                using var response = await probe.GetAsync(new Uri($"http://{Host}/v2/"));
                if (response.StatusCode == HttpStatusCode.Unauthorized && response.Headers.WwwAuthenticate.Any(h => h.Scheme == "Bearer"))
                {
                    return;
                }

                last = $"GET /v2/ answered {(int)response.StatusCode}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                last = ex.Message;
            }

            if (clock.Elapsed > StartTimeout)
            {
                throw new InvalidOperationException(_server.Describe($"did not answer GET /v2/ within {StartTimeout.TotalSeconds:0} s (last: {last})"));
            }

            await Task.Delay(100);
        }
    }
}

/// <summary>
/// The docker CLI with a configuration directory of its own (<c>DOCKER_CONFIG</c>): what it logs in as is seen by no other
/// client. The daemon, and with it the local images, are shared by all.
/// </summary>
public sealed class DockerClient(string configDirectory, string registryHost, Func<string> serverOutput)
{
    private readonly Dictionary<string, string> _environment = new() { ["DOCKER_CONFIG"] = Directory.CreateDirectory(configDirectory).FullName };

    public Task<CliResult> TryRunAsync(params string[] arguments) => Cli.RunAsync("docker", arguments, _environment);

    /// <summary>Runs docker and fails the test (with the server's output) unless it exits 0.</summary>
    public Task<CliResult> RunAsync(params string[] arguments) => Cli.RunCheckedAsync("docker", arguments, _environment, serverOutput);

    public Task<CliResult> LoginAsync(RegistryCredential credential) =>
        Cli.RunAsync("docker", ["login", registryHost, "-u", credential.Username, "--password-stdin"], _environment, credential.Password);

    /// <summary>
    /// <c>docker pull</c> of <paramref name="image"/> after untagging it locally (so the daemon really fetches it); may fail.
    /// </summary>
    public async Task<CliResult> TryPullAsync(string image)
    {
        await Cli.RunAsync("docker", ["image", "rm", image], _environment);
        return await TryRunAsync("pull", image);
    }

    /// <summary>A pull that must succeed.</summary>
    public async Task<CliResult> PullAsync(string image, string because)
    {
        var pull = await TryPullAsync(image);
        Assert.True(pull.Succeeded, $"docker pull {image} should succeed ({because}):{Environment.NewLine}{pull.Describe()}{Environment.NewLine}{serverOutput()}");
        return pull;
    }

    /// <summary>A pull that must fail with the registry's refusal, whose stderr contains every one of <paramref name="expected"/>.</summary>
    public async Task<CliResult> PullRefusedAsync(string image, string because, params string[] expected)
    {
        var pull = await TryPullAsync(image);
        Assert.False(pull.Succeeded, $"docker pull {image} should be refused ({because}):{Environment.NewLine}{pull.Describe()}");
        foreach (var text in expected)
        {
            Assert.True(
                pull.StandardError.Contains(text, StringComparison.Ordinal),
                $"docker pull {image} failed ({because}), but its error does not say '{text}':{Environment.NewLine}{pull.Describe()}{Environment.NewLine}{serverOutput()}");
        }

        return pull;
    }
}
