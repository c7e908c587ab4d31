using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;

namespace Registry.GeoReplication.Tests;

/// <summary>
/// Two regions, each a real single-process registry (<see cref="RegionProcess"/>) with storage of its own, each
/// configured with the other's storage, sharing one real Redis (their cache keys are region-scoped): <see cref="Home"/>
/// (<see cref="A"/>) and <see cref="Replica"/> (<see cref="B"/>). With <see cref="UseAzurite"/> each region's storage is
/// its own real Azurite (separate port and data directory, so one can be stopped alone), else a directory of its own.
/// With <see cref="CreateReplication"/> the default registry is replicated to <see cref="Replica"/> (created through
/// <see cref="A"/>'s API) before any test runs. One fixture per test class: nothing is shared between classes.
/// </summary>
public abstract class GeoFixture : IAsyncLifetime
{
    public const string Home = "eastus";
    public const string Replica = "westeurope";
    public const string AdminUsername = "admin";

    /// <summary>The container of the default registry in a region's Azurite (the storage prefix + the registry name).</summary>
    public const string RegistryContainer = "registry-default";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "registry-geo-" + Guid.NewGuid().ToString("N")[..12]);
    private RedisFixture? _redis;
    private RegionProcess? _a;
    private RegionProcess? _b;

    public string AdminPassword { get; } = "Geo-" + Guid.NewGuid().ToString("N");

    /// <summary>The home region's process (<see cref="Home"/>).</summary>
    public RegionProcess A => _a ?? throw NotStarted();

    /// <summary>The replica region's process (<see cref="Replica"/>).</summary>
    public RegionProcess B => _b ?? throw NotStarted();

    public RegionClient ClientA { get; private set; } = null!;

    public RegionClient ClientB { get; private set; } = null!;

    /// <summary>The Azurite of <see cref="Home"/> (with <see cref="UseAzurite"/>).</summary>
    public AzuriteFixture? AzuriteA { get; private set; }

    /// <summary>The Azurite of <see cref="Replica"/> (with <see cref="UseAzurite"/>).</summary>
    public AzuriteFixture? AzuriteB { get; private set; }

    /// <summary>docker's configuration directory, logged in to both regions as the admin.</summary>
    public string DockerConfig => Path.Combine(_root, "docker");

    protected virtual bool UseAzurite => true;

    protected virtual bool CreateReplication => true;

    /// <summary>More <c>--key=value</c> settings for both regions' processes.</summary>
    protected virtual IReadOnlyList<string> Settings => [];

    /// <summary>A repository name no other test uses: <c>{prefix}-{random}/app</c>.</summary>
    public static string NewRepository(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}/app";

    /// <summary>Both regions' last output, for failure messages.</summary>
    public string Describe() => $"{_a?.Describe()}{Environment.NewLine}{_b?.Describe()}";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        _redis = new RedisFixture();
        List<Task> infrastructure = [_redis.InitializeAsync()];
        if (UseAzurite)
        {
            AzuriteA = new AzuriteFixture();
            AzuriteB = new AzuriteFixture();
            infrastructure.Add(AzuriteA.InitializeAsync());
            infrastructure.Add(AzuriteB.InitializeAsync());
        }

        await Task.WhenAll(infrastructure);

        var a = StartRegionAsync(Home, Replica, AzuriteA, AzuriteB);
        var b = StartRegionAsync(Replica, Home, AzuriteB, AzuriteA);
        try
        {
            await Task.WhenAll(a, b);
        }
        finally
        {
            // Whatever started is disposed with the fixture, even when the other did not.
            _a = a.IsCompletedSuccessfully ? a.Result : null;
            _b = b.IsCompletedSuccessfully ? b.Result : null;
        }

        ClientA = new RegionClient(A.BaseAddress, AdminUsername, AdminPassword);
        ClientB = new RegionClient(B.BaseAddress, AdminUsername, AdminPassword);
        if (CreateReplication)
        {
            var created = await ClientA.ManageAsync(HttpMethod.Put, $"/replications/{Replica}", new { location = Replica, properties = new { regionEndpointEnabled = true } });
            Assert.True(created.Status == HttpStatusCode.Created, created.Describe("creating the replication") + Environment.NewLine + Describe());

            // The replicas are recorded in every region; the other process reads its own copy (cached briefly).
            await Eventually.WaitAsync(
                async () => (await ClientB.ManageAsync(HttpMethod.Get, "/replications")).Json.GetProperty("value").GetArrayLength() == 2,
                () => $"{Replica} does not list the replication{Environment.NewLine}{Describe()}");
        }

        if (UseAzurite)
        {
            foreach (var region in new[] { A, B })
            {
                await Cli.RunCheckedAsync(
                    "docker", ["login", region.Host, "-u", AdminUsername, "--password-stdin"], DockerEnvironment, AdminPassword, Describe);
            }
        }
    }

    /// <summary>What docker runs with: <see cref="DockerConfig"/>.</summary>
    public IReadOnlyDictionary<string, string> DockerEnvironment => new Dictionary<string, string> { ["DOCKER_CONFIG"] = DockerConfig };

    /// <summary>Runs docker as the admin of both regions; must exit 0.</summary>
    public Task<CliResult> DockerAsync(params string[] arguments) => Cli.RunCheckedAsync("docker", arguments, DockerEnvironment, context: Describe);

    /// <summary>The default registry's container in the region's Azurite.</summary>
    public BlobContainerClient ContainerOf(string region) =>
        (region == Home ? AzuriteA : AzuriteB)?.CreateServiceClient().GetBlobContainerClient(RegistryContainer)
        ?? throw new InvalidOperationException("the fixture runs without Azurite");

    /// <summary>A JSON document the region's replication stored in its registry partition, or null.</summary>
    public async Task<JsonElement?> ReadStoredJsonAsync(string region, string path)
    {
        var blob = ContainerOf(region).GetBlobClient(path);
        if (!(await blob.ExistsAsync()).Value)
        {
            return null;
        }

        var content = (await blob.DownloadContentAsync()).Value.Content;
        using var json = JsonDocument.Parse(content.ToMemory());
        return json.RootElement.Clone();
    }

    /// <summary>Waits until neither process has a change in flight to any region (<c>properties.sync.pending</c> is 0 everywhere).</summary>
    public Task WaitForQuietAsync() => Eventually.WaitAsync(
        async () =>
        {
            foreach (var client in new[] { ClientA, ClientB })
            {
                var list = await client.ManageAsync(HttpMethod.Get, "/replications");
                if (list.Status != HttpStatusCode.OK
                    || list.Json.GetProperty("value").EnumerateArray().Any(r => r.GetProperty("properties").GetProperty("sync").GetProperty("pending").GetInt32() > 0))
                {
                    return false;
                }
            }

            return true;
        },
        () => $"changes are still in flight{Environment.NewLine}{Describe()}");

    /// <summary>
    /// Everything a region serves of the default registry, as text: every repository (<c>/v2/_catalog</c>), its tags and
    /// what they point at (<c>tags/list</c>, manifests), every manifest's digest and bytes (children of an index too), and
    /// every blob they reference (HEAD: status and length). Two regions in sync give the same text.
    /// </summary>
    public static async Task<string> SnapshotAsync(RegionClient region)
    {
        var text = new StringBuilder();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var repository in await region.CatalogAsync())
        {
            text.Append("repository ").AppendLine(repository);
            foreach (var tag in await region.TagsAsync(repository))
            {
                var manifest = await region.GetManifestAsync(repository, tag);
                text.Append("  tag ").Append(tag).Append(" -> ").Append((int)manifest.Status).Append(' ').AppendLine(manifest.DockerContentDigest);
                if (manifest.Status == HttpStatusCode.OK)
                {
                    await DescribeManifestAsync(region, repository, manifest, text, seen, depth: 2);
                }
            }
        }

        return text.ToString();
    }

    public async Task DisposeAsync()
    {
        ClientA?.Dispose();
        ClientB?.Dispose();
        await Task.WhenAll(new[] { _a, _b }.Where(p => p is not null).Select(p => p!.DisposeAsync().AsTask()));
        foreach (var azurite in new[] { AzuriteA, AzuriteB })
        {
            if (azurite is not null)
            {
                await azurite.DisposeAsync();
            }
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        TestDirectories.TryDelete(_root);
    }

    private static async Task DescribeManifestAsync(RegionClient region, string repository, Answer manifest, StringBuilder text, HashSet<string> seen, int depth)
    {
        var indent = new string(' ', depth * 2);
        var digest = RegionClient.Sha256(manifest.Content);
        text.Append(indent).Append("manifest ").Append(digest).Append(' ').Append(manifest.MediaType).Append(" served as ").AppendLine(manifest.DockerContentDigest);
        if (!seen.Add(repository + "@" + digest))
        {
            return;
        }

        var json = manifest.Json;
        if (json.TryGetProperty("manifests", out var children))
        {
            foreach (var child in children.EnumerateArray())
            {
                var childDigest = child.GetProperty("digest").GetString()!;
                var fetched = await region.GetManifestAsync(repository, childDigest);
                if (fetched.Status != HttpStatusCode.OK)
                {
                    text.Append(indent).Append("  child ").Append(childDigest).Append(" -> ").Append((int)fetched.Status).AppendLine();
                    continue;
                }

                await DescribeManifestAsync(region, repository, fetched, text, seen, depth + 1);
            }
        }

        var blobs = new List<JsonElement>();
        if (json.TryGetProperty("config", out var config))
        {
            blobs.Add(config);
        }

        if (json.TryGetProperty("layers", out var layers))
        {
            blobs.AddRange(layers.EnumerateArray());
        }

        foreach (var blob in blobs)
        {
            var blobDigest = blob.GetProperty("digest").GetString()!;
            var head = await region.HeadBlobAsync(repository, blobDigest);
            text.Append(indent).Append("  blob ").Append(blobDigest).Append(' ').Append((int)head.Status).Append(' ').Append(head.Content.Length == 0 ? string.Empty : "body!")
                .AppendLine();
        }

        // What refers to it (signatures, SBOMs: untagged, so only found this way), described in full too.
        foreach (var referrer in await region.ReferrersAsync(repository, digest))
        {
            var fetched = await region.GetManifestAsync(repository, referrer);
            text.Append(indent).Append("  referrer ").Append(referrer).Append(" -> ").Append((int)fetched.Status).AppendLine();
            if (fetched.Status == HttpStatusCode.OK)
            {
                await DescribeManifestAsync(region, repository, fetched, text, seen, depth + 2);
            }
        }
    }

    private async Task<RegionProcess> StartRegionAsync(string region, string other, AzuriteFixture? own, AzuriteFixture? others)
    {
        var environment = new Dictionary<string, string>
        {
            ["REGISTRY_ADMIN_USERNAME"] = AdminUsername,
            ["REGISTRY_ADMIN_PASSWORD"] = AdminPassword,
            ["ConnectionStrings__cache"] = _redis!.ConnectionString,
        };
        List<string> settings =
        [
            // A region whose replication failed (its storage was down) is compared again soon.
            "--Replication:RetryInterval=00:00:02",
            .. Settings,
        ];
        if (own is not null && others is not null)
        {
            environment["ConnectionStrings__blobs"] = own.ConnectionString;
            environment[$"ConnectionStrings__{other}"] = others.ConnectionString;
            settings.AddRange(["--Storage:Driver=AzureBlob", $"--Regions:{other}:Driver=AzureBlob", $"--Regions:{other}:ConnectionName={other}"]);
        }
        else
        {
            Directory.CreateDirectory(Path.Combine(_root, other));
            settings.Add($"--Regions:{other}:RootDirectory={Path.Combine(_root, other)}");
        }

        return await RegionProcess.StartAsync(region, Path.Combine(_root, region), settings, environment);
    }

    private static InvalidOperationException NotStarted() => new("the fixture has not started");
}

/// <summary>Two regions on two real Azurites, replicated before the tests run.</summary>
public sealed class AzuriteRegionsFixture : GeoFixture;

/// <summary>Two regions on the filesystem, not replicated: the replications API tests create and delete replicas themselves.</summary>
public class FileSystemRegionsFixture : GeoFixture
{
    protected override bool UseAzurite => false;

    protected override bool CreateReplication => false;
}

/// <summary>
/// <see cref="FileSystemRegionsFixture"/> whose processes reconcile one repository and one tag at a time: a catch-up
/// lasts long enough for the other process to meet it in the middle.
/// </summary>
public sealed class OneAtATimeRegionsFixture : FileSystemRegionsFixture
{
    protected override IReadOnlyList<string> Settings => ["--Replication:ParallelRepositories=1", "--Replication:ParallelTags=1"];
}
