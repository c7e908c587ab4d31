using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Registry.Testing;

namespace Registry.EndToEnd.Tests;

[CollectionDefinition(Name)]
public sealed class EndToEndCollection : ICollectionFixture<RegistryFixture>
{
    public const string Name = "end-to-end";
}

/// <summary>
/// The single-process registry (<c>Registry.Standalone.dll</c> from this test project's output) as a real process on a
/// free loopback port, reachable by the local dockerd, skopeo and podman as the insecure registry
/// <c>127.0.0.1:port</c>. Checks the clients and the tiny images from <c>bash eng/setup.sh</c> first.
/// Token auth is on: the default registry's admin user gets a random password, docker is logged in as it (in a
/// <c>DOCKER_CONFIG</c> of the fixture's own), and <see cref="Http"/> answers Bearer challenges with its credentials.
/// </summary>
public class RegistryFixture : IAsyncLifetime
{
    public const string TinyImage1 = "registry-test/tiny:1";
    public const string TinyImage2 = "registry-test/tiny:2";

    /// <summary>The registry a plain host (<c>127.0.0.1:port</c>) resolves to, and its login server (the token's <c>service</c>).</summary>
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

    private ProcessHost? _server;

    public RegistryFixture()
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), "registry-e2e-" + Guid.NewGuid().ToString("N")[..12]);
        Admin = new RegistryCredential("admin", "e2e-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        AdminDocker = new DockerClient(Path.Combine(DataDirectory, "docker-admin"), ServerOutput);
        Http = new HttpClient(new BearerTokenHandler(Admin) { InnerHandler = new SocketsHttpHandler { AllowAutoRedirect = true } })
        {
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    public int Port { get; private set; }

    /// <summary>The registry host as clients name it, <c>127.0.0.1:port</c> (insecure for docker: plain HTTP).</summary>
    public string Host => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    public string DataDirectory { get; }

    /// <summary>The default registry's admin user (REGISTRY_ADMIN_USERNAME / REGISTRY_ADMIN_PASSWORD of the server process).</summary>
    public RegistryCredential Admin { get; }

    /// <summary>docker logged in as <see cref="Admin"/>: what <see cref="Docker"/> runs.</summary>
    public DockerClient AdminDocker { get; }

    /// <summary>Raw HTTP to the registry, authenticated as <see cref="Admin"/> through the token endpoint.</summary>
    public HttpClient Http { get; }

    /// <summary>The OCI layout with the 2-platform index tagged <c>multi</c> (made by eng/tiny-image.sh).</summary>
    public static string TinyIndexLayout => Path.Combine(RepositoryPaths.Tools, "tiny-index");

    /// <summary>The docker image ID (config digest) of <see cref="TinyImage1"/>.</summary>
    public string TinyImage1Id { get; private set; } = string.Empty;

    public string TinyImage2Id { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        await CheckPrerequisitesAsync();
        Directory.CreateDirectory(DataDirectory);
        await StartDependenciesAsync();
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort.Next();
            try
            {
                await StartServerAsync();
                break;
            }
            catch (InvalidOperationException) when (attempt < 3 && _server is { HasExited: true })
            {
                // Most likely the port was taken between choosing and binding it.
                await _server.DisposeAsync();
                _server = null;
            }
        }

        Http.BaseAddress = new Uri($"http://{Host}/");
        var login = await AdminDocker.TryLoginAsync(Host, Admin);
        if (!login.Succeeded)
        {
            throw new InvalidOperationException($"docker login as the admin user failed.{Environment.NewLine}{login.Describe()}{Environment.NewLine}{ServerOutput()}");
        }
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        await StopDependenciesAsync();
        Http.Dispose();
        AdminDocker.Dispose();
        TestDirectories.TryDelete(DataDirectory);
    }

    /// <summary>Settings given to the server on its command line (where they win over its single-process defaults).</summary>
    protected virtual IEnumerable<string> ServerArguments => [];

    /// <summary>Starts what the server needs before it starts.</summary>
    protected virtual Task StartDependenciesAsync() => Task.CompletedTask;

    protected virtual Task StopDependenciesAsync() => Task.CompletedTask;

    /// <summary>A repository name no other test (or run) uses: <c>e2e/&lt;prefix&gt;-&lt;random&gt;</c>.</summary>
    public static string UniqueRepository(string prefix) => $"e2e/{prefix}-{Guid.NewGuid().ToString("N")[..10]}";

    /// <summary>The server's last output lines, for failure messages.</summary>
    public string ServerOutput() => _server is null ? "(registry not started)" : _server.Describe("is the registry under test");

    /// <summary>docker as the admin user.</summary>
    public Task<CliResult> Docker(params string[] arguments) => AdminDocker.RunAsync(arguments);

    /// <summary>A docker client with an empty configuration of its own: anonymous until it logs in (the caller disposes it).</summary>
    public DockerClient NewDockerClient(string name) => new(NewTempDirectory("docker-" + name), ServerOutput);

    /// <summary>A docker client of its own logged in as <paramref name="credential"/>; the login must succeed.</summary>
    public async Task<DockerClient> LoginDockerAsync(RegistryCredential credential, string name)
    {
        var client = NewDockerClient(name);
        var login = await client.TryLoginAsync(Host, credential);
        if (!login.Succeeded)
        {
            client.Dispose();
            login.EnsureSuccess($"docker login as {credential.Username}{Environment.NewLine}{ServerOutput()}");
        }

        return client;
    }

    public Task<CliResult> Skopeo(params string[] arguments) => TakingTurnsWithPodmanStore(() => RunAndCheck("skopeo", arguments));

    public Task<CliResult> Podman(params string[] arguments) => TakingTurnsWithPodmanStore(() => RunAndCheck("podman", arguments));

    /// <summary>
    /// podman's image store is one per machine, shared by the test collections that run side by side: a <c>podman rmi</c>
    /// in one removes a base layer that a <c>skopeo copy</c> into the store in another is committing at that moment
    /// ("layer not known"). podman and skopeo therefore take turns.
    /// </summary>
    private static async Task<T> TakingTurnsWithPodmanStore<T>(Func<Task<T>> run)
    {
        await PodmanStore.WaitAsync();
        try
        {
            return await run();
        }
        finally
        {
            PodmanStore.Release();
        }
    }

    private static readonly SemaphoreSlim PodmanStore = new(1, 1);

    /// <summary>Runs a client command and fails the test with its output and the server's unless it exits 0.</summary>
    public async Task<CliResult> RunAndCheck(string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var result = await Cli.RunAsync(program, arguments, environment: environment, workingDirectory: workingDirectory);
        return result.EnsureSuccess(result.Succeeded ? null : ServerOutput());
    }

    /// <summary>
    /// Builds <paramref name="image"/> in <paramref name="context"/>: tiny:1 plus a layer of <paramref name="bytes"/> random
    /// bytes, which do not compress, so the layer stays that large once gzipped. Returns the image ID.
    /// </summary>
    public async Task<string> BuildImageWithRandomLayerAsync(string image, string context, int bytes)
    {
        await File.WriteAllBytesAsync(Path.Combine(context, "payload.bin"), RandomNumberGenerator.GetBytes(bytes));
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), $"FROM {TinyImage1}\nCOPY payload.bin /payload.bin\n");
        await RunAndCheck("docker", ["build", "-q", "-t", image, "."], new Dictionary<string, string> { ["DOCKER_BUILDKIT"] = "0" }, context);
        return await DockerTests.ImageIdAsync(image);
    }

    /// <summary>Runs a command whose failure does not matter (cleanup).</summary>
    public static async Task Quietly(string program, params string[] arguments)
    {
        Task<CliResult> Run() => Cli.RunAsync(program, arguments, TimeSpan.FromSeconds(60));
        await (program is "podman" or "skopeo" ? TakingTurnsWithPodmanStore(Run) : Run());
    }

    /// <summary>
    /// A call to the management API of the default registry (<c>/api/registries/default{path}</c>) as the admin user, with
    /// <paramref name="body"/> as JSON; must succeed. The response's JSON, or an undefined element when it has no body.
    /// </summary>
    public async Task<JsonElement> ManageAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, $"api/registries/{RegistryName}{path}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Admin.Creds)));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {request.RequestUri} answered {(int)response.StatusCode}: {text}{Environment.NewLine}{ServerOutput()}");
        if (text.Length == 0)
        {
            return default;
        }

        using var json = JsonDocument.Parse(text);
        return json.RootElement.Clone();
    }

    /// <summary><c>GET /v2/&lt;name&gt;/manifests/&lt;reference&gt;</c> accepting every manifest type; must be 200.</summary>
    public async Task<FetchedManifest> GetManifestAsync(string repository, string reference)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v2/{repository}/manifests/{reference}");
        foreach (var mediaType in ManifestMediaTypes)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(mediaType));
        }

        using var response = await Http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(
            response.StatusCode == HttpStatusCode.OK,
            $"GET /v2/{repository}/manifests/{reference} answered {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}{Environment.NewLine}{ServerOutput()}");
        var digest = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.Single() : null;
        return new FetchedManifest(body, response.Content.Headers.ContentType?.MediaType, digest);
    }

    /// <summary><c>HEAD /v2/&lt;name&gt;/blobs/&lt;digest&gt;</c>: the status and Content-Length.</summary>
    public async Task<(HttpStatusCode Status, long? Length)> HeadBlobAsync(string repository, string digest)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, $"v2/{repository}/blobs/{digest}");
        using var response = await Http.SendAsync(request);
        return (response.StatusCode, response.Content.Headers.ContentLength);
    }

    /// <summary><c>GET /v2/&lt;name&gt;/blobs/&lt;digest&gt;</c>; must be 200.</summary>
    public async Task<byte[]> GetBlobAsync(string repository, string digest)
    {
        using var response = await Http.GetAsync(new Uri($"v2/{repository}/blobs/{digest}", UriKind.Relative));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /v2/{repository}/blobs/{digest} answered {(int)response.StatusCode}{Environment.NewLine}{ServerOutput()}");
        return await response.Content.ReadAsByteArrayAsync();
    }

    public static bool SameBytes(byte[] expected, byte[] actual) => expected.AsSpan().SequenceEqual(actual);

    public static string Sha256Digest(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    public static string Sha256Digest(string path)
    {
        using var stream = File.OpenRead(path);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>A fresh temporary directory (the caller deletes it).</summary>
    public static string NewTempDirectory(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), $"registry-e2e-{prefix}-{Guid.NewGuid().ToString("N")[..10]}");
        Directory.CreateDirectory(path);
        return path;
    }

    public static void DeleteDirectory(string path) => TestDirectories.TryDelete(path);

    private async Task CheckPrerequisitesAsync()
    {
        const string Fix = "Install and start the test infrastructure with `bash eng/setup.sh` from the repository root.";
        foreach (var tool in new[] { "docker", "skopeo", "podman" })
        {
            if (ProcessHost.FindExecutable(tool) is null)
            {
                throw new InvalidOperationException($"'{tool}' was not found on PATH. {Fix}");
            }
        }

        var info = await Cli.RunAsync("docker", ["info", "--format", "{{.ServerVersion}}"], TimeSpan.FromSeconds(30));
        if (!info.Succeeded)
        {
            throw new InvalidOperationException($"the docker daemon does not answer (`docker info` failed). {Fix}{Environment.NewLine}{info.Describe()}");
        }

        TinyImage1Id = await ImageIdAsync(TinyImage1, Fix);
        TinyImage2Id = await ImageIdAsync(TinyImage2, Fix);
        if (!File.Exists(Path.Combine(TinyIndexLayout, "index.json")))
        {
            throw new InvalidOperationException($"the OCI layout '{TinyIndexLayout}' is missing. {Fix}");
        }
    }

    private static async Task<string> ImageIdAsync(string image, string fix)
    {
        var inspect = await Cli.RunAsync("docker", ["image", "inspect", "--format", "{{.Id}}", image], TimeSpan.FromSeconds(30));
        return inspect.Succeeded
            ? inspect.StandardOutput.Trim()
            : throw new InvalidOperationException($"the tiny image '{image}' is missing from the docker daemon. {fix}{Environment.NewLine}{inspect.Describe()}");
    }

    private async Task StartServerAsync()
    {
        var assembly = Path.Combine(AppContext.BaseDirectory, "Registry.Standalone.dll");
        if (!File.Exists(assembly))
        {
            throw new InvalidOperationException($"'{assembly}' is missing: the test project references services/Registry.Standalone, rebuild it.");
        }

        var dotnet = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        _server = ProcessHost.Start(
            "registry",
            dotnet,
            [
                assembly,
                "--urls", $"http://{Host}",
                "--data-dir", Path.Combine(DataDirectory, "data"),
                // The same as ASPNETCORE_ENVIRONMENT=Production, and it wins over an inherited environment variable.
                "--environment", "Production",
                .. ServerArguments,
            ],
            AppContext.BaseDirectory,
            new Dictionary<string, string>
            {
                ["REGISTRY_ADMIN_USERNAME"] = Admin.Username,
                ["REGISTRY_ADMIN_PASSWORD"] = Admin.Password,
                // The webhook receivers of the tests listen on loopback, which outbound safety refuses by default.
                ["Webhooks__AllowPrivateNetworks"] = "true",
                ["Webhooks__InitialRetryDelay"] = "00:00:00.200",
                ["Webhooks__MaxRetryDelay"] = "00:00:02",
            });

        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        string last = "no answer yet";
        while (true)
        {
            if (_server.HasExited)
            {
                await Task.Delay(200); // let the output readers drain
                throw new InvalidOperationException(_server.Describe("exited before answering GET /v2/"));
            }

            try
            {
                // Ready: the version check asks for a token (auth is on by default; a 200 would mean it is off).
                using var response = await probe.GetAsync(new Uri($"http://{Host}/v2/"));
                var challenge = response.Headers.WwwAuthenticate.FirstOrDefault(h => h.Scheme == "Bearer");
                if (response.StatusCode == HttpStatusCode.Unauthorized &&
                    challenge?.Parameter?.StartsWith($"realm=\"http://{Host}/oauth2/token\",service=\"{LoginServer}\"", StringComparison.Ordinal) == true)
                {
                    return;
                }

                if (response.StatusCode == HttpStatusCode.OK)
                {
                    throw new InvalidOperationException(_server.Describe("answered GET /v2/ with 200 without credentials: token auth is off"));
                }

                last = $"GET /v2/ answered {(int)response.StatusCode} {response.Headers.WwwAuthenticate}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                last = ex.Message;
            }

            if (deadline.Elapsed > StartTimeout)
            {
                throw new InvalidOperationException(_server.Describe($"did not answer GET /v2/ with a Bearer challenge within {StartTimeout.TotalSeconds:0} s (last: {last})"));
            }

            await Task.Delay(100);
        }
    }
}

/// <summary>A manifest as the registry served it.</summary>
public sealed record FetchedManifest(byte[] Content, string? MediaType, string? DockerContentDigest)
{
    public string ComputedDigest => RegistryFixture.Sha256Digest(Content);

    public System.Text.Json.JsonDocument Parse() => System.Text.Json.JsonDocument.Parse(Content);
}
