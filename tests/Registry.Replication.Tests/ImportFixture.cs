using System.Net;
using System.Text.Json;
using Registry.Testing;

namespace Registry.Replication.Tests;

[CollectionDefinition(Name)]
public sealed class ImportCollection : ICollectionFixture<ImportFixture>
{
    public const string Name = "import";
}

/// <summary>A blob as a manifest references it.</summary>
public sealed record BlobRef(string Digest, long Size, string MediaType);

/// <summary>A manifest as the source serves it: exact bytes, media type, digest, and what it references.</summary>
public sealed record SourceManifest(string Digest, string MediaType, byte[] Content, IReadOnlyList<SourceManifest> Children, IReadOnlyList<BlobRef> Blobs)
{
    /// <summary>Every manifest of the tree, this one first.</summary>
    public IEnumerable<SourceManifest> All => Children.SelectMany(child => child.All).Prepend(this);

    /// <summary>Every distinct blob of the tree.</summary>
    public IReadOnlyList<BlobRef> AllBlobs => All.SelectMany(manifest => manifest.Blobs).DistinctBy(blob => blob.Digest).ToList();

    /// <summary>Reads <paramref name="repository"/>:<paramref name="reference"/> and, for an index, every child, from a registry.</summary>
    public static async Task<SourceManifest> ReadAsync(OciClient registry, string repository, string reference)
    {
        var fetched = await registry.GetManifestAsync(repository, reference);
        Assert.True(fetched.Status == HttpStatusCode.OK, fetched.Describe($"source manifest {repository}:{reference}"));
        var json = fetched.Json;
        var children = new List<SourceManifest>();
        if (json.TryGetProperty("manifests", out var manifests))
        {
            foreach (var child in manifests.EnumerateArray())
            {
                children.Add(await ReadAsync(registry, repository, child.GetProperty("digest").GetString()!));
            }
        }

        var blobs = new List<BlobRef>();
        if (json.TryGetProperty("config", out var config))
        {
            blobs.Add(Blob(config));
        }

        if (json.TryGetProperty("layers", out var layers))
        {
            blobs.AddRange(layers.EnumerateArray().Select(Blob));
        }

        return new SourceManifest(fetched.ComputedDigest, fetched.MediaType!, fetched.Content, children, blobs);
    }

    private static BlobRef Blob(JsonElement descriptor) =>
        new(descriptor.GetProperty("digest").GetString()!, descriptor.GetProperty("size").GetInt64(), descriptor.GetProperty("mediaType").GetString()!);
}

/// <summary>What the fixture's first import answered and how it ended (asserted by the tests, not by the fixture).</summary>
public sealed record FirstImport(HttpStatusCode Status, string Body, Uri? Location, string? AsyncOperation, JsonElement? Finished, string FinishedText);

/// <summary>
/// Everything the import tests share, started once for the collection on free loopback ports:
/// <list type="bullet">
/// <item>a real CNCF Distribution registry holding the 2-platform index <c>library/tiny:multi</c> (and the same again as
/// <c>library/digestonly:multi</c>), pushed with <c>skopeo copy --all</c> from the OCI layout of <c>eng/tiny-image.sh</c>;</item>
/// <item>a source single-process host with token auth (its own admin user) holding <c>source/tiny:1</c>, pushed with
/// skopeo from the docker daemon;</item>
/// <item>the target single-process host (imports from private networks allowed, as sources are on 127.0.0.1);</item>
/// <item>a webhook receiver process.</item>
/// </list>
/// The first import (<c>library/tiny:multi</c> from Distribution into <c>imported/tiny:multi</c> of the fresh target) is
/// made here, before any test can bring the same blobs into the target; <see cref="FirstImport"/> records it.
/// </summary>
public sealed class ImportFixture : IAsyncLifetime
{
    public const string IndexRepository = "library/tiny";
    public const string IndexTag = "multi";
    public const string DigestOnlyRepository = "library/digestonly";
    public const string FirstTarget = "imported/tiny:multi";
    public const string TokenSourceImage = "source/tiny:1";
    public const string TinyImage = "registry-test/tiny:1";

    private DistributionRegistryProcess? _distribution;
    private TestHost? _target;
    private TestHost? _source;
    private WebhookReceiverProcess? _receiver;
    private readonly List<IDisposable> _clients = [];

    public DistributionRegistryProcess Distribution => _distribution ?? throw NotStarted();

    /// <summary>The registry imports go into.</summary>
    public TestHost Target => _target ?? throw NotStarted();

    /// <summary>The single-process source with token auth.</summary>
    public TestHost Source => _source ?? throw NotStarted();

    public WebhookReceiverProcess Receiver => _receiver ?? throw NotStarted();

    /// <summary>The import API of <see cref="Target"/> as its admin.</summary>
    public ImportClient Import { get; private set; } = null!;

    /// <summary><c>/v2</c> of <see cref="Target"/> as its admin.</summary>
    public OciClient TargetOci { get; private set; } = null!;

    /// <summary><c>/v2</c> of <see cref="Distribution"/> (no auth).</summary>
    public OciClient DistributionOci { get; private set; } = null!;

    /// <summary><c>/v2</c> of <see cref="Source"/> as its admin.</summary>
    public OciClient SourceOci { get; private set; } = null!;

    /// <summary><c>http://127.0.0.1:port</c> of the Distribution registry, as <c>registryUri</c>.</summary>
    public string DistributionUri => $"http://{Distribution.Host}";

    /// <summary><c>http://127.0.0.1:port</c> of the token-auth source, as <c>registryUri</c>.</summary>
    public string SourceUri => $"http://{Source.Host}";

    /// <summary><c>library/tiny:multi</c> as Distribution serves it.</summary>
    public SourceManifest Index { get; private set; } = null!;

    /// <summary><c>source/tiny:1</c> as the token-auth source serves it.</summary>
    public SourceManifest TokenSourceManifest { get; private set; } = null!;

    public FirstImport FirstImport { get; private set; } = null!;

    /// <summary>A repository name no other test uses: <c>{prefix}-{random}/tiny</c>.</summary>
    public static string NewRepository(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..10]}/tiny";

    /// <summary>An import body from the Distribution registry.</summary>
    public object FromDistribution(string sourceImage, string[]? targetTags = null, string[]? untagged = null, string? mode = null) => new Dictionary<string, object?>
    {
        ["source"] = new Dictionary<string, object?> { ["registryUri"] = DistributionUri, ["sourceImage"] = sourceImage },
        ["targetTags"] = targetTags,
        ["untaggedTargetRepositories"] = untagged,
        ["mode"] = mode,
    }.Where(pair => pair.Value is not null).ToDictionary();

    /// <summary>For tests that build on the first import: it must have succeeded.</summary>
    public void AssertFirstImportSucceeded() => Assert.True(
        FirstImport.Finished is { } finished && finished.GetProperty("status").GetString() == "Succeeded",
        $"the fixture's first import did not succeed: {(int)FirstImport.Status} {FirstImport.Body} {FirstImport.FinishedText}{Environment.NewLine}{Describe()}");

    /// <summary>A failure message's account of the servers.</summary>
    public string Describe() => $"{Target.Describe()}{Environment.NewLine}{Source.Describe()}";

    public async Task InitializeAsync()
    {
        var layout = Path.Combine(RepositoryPaths.Tools, "tiny-index");
        if (!File.Exists(Path.Combine(layout, "index.json")))
        {
            throw new InvalidOperationException($"the OCI layout '{layout}' is missing. Install the test infrastructure with `bash eng/setup.sh`.");
        }

        var distribution = DistributionRegistryProcess.StartAsync();
        var receiver = WebhookReceiverProcess.StartAsync(WebhookReceiverProcess.DefaultDllPath);
        var target = TestHost.StartAsync("admin", new Dictionary<string, string?> { ["Import:AllowPrivateNetworks"] = "true" });
        var source = TestHost.StartAsync("sourceadmin");
        try
        {
            await Task.WhenAll(distribution, receiver, target, source);
        }
        finally
        {
            // Whatever started is disposed with the fixture, even when something else did not.
            _distribution = distribution.IsCompletedSuccessfully ? distribution.Result : null;
            _receiver = receiver.IsCompletedSuccessfully ? receiver.Result : null;
            _target = target.IsCompletedSuccessfully ? target.Result : null;
            _source = source.IsCompletedSuccessfully ? source.Result : null;
        }

        Import = Track(new ImportClient(Target));
        TargetOci = Track(new OciClient(Target.BaseAddress, Target.AdminUsername, Target.AdminPassword));
        DistributionOci = Track(new OciClient(Distribution.BaseAddress));
        SourceOci = Track(new OciClient(Source.BaseAddress, Source.AdminUsername, Source.AdminPassword));

        await Task.WhenAll(
            Skopeo("copy", "--all", "--dest-tls-verify=false", $"oci:{layout}:multi", $"docker://{Distribution.Host}/{IndexRepository}:{IndexTag}"),
            Skopeo("copy", "--all", "--dest-tls-verify=false", $"oci:{layout}:multi", $"docker://{Distribution.Host}/{DigestOnlyRepository}:{IndexTag}"),
            Skopeo("copy", "--dest-tls-verify=false", "--dest-creds", Source.AdminCreds, $"docker-daemon:{TinyImage}", $"docker://{Source.Host}/{TokenSourceImage}"));

        Index = await SourceManifest.ReadAsync(DistributionOci, IndexRepository, IndexTag);
        TokenSourceManifest = await SourceManifest.ReadAsync(SourceOci, "source/tiny", "1");
        FirstImport = await ImportFirstAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        foreach (var host in new[] { _target, _source })
        {
            if (host is not null)
            {
                await host.DisposeAsync();
            }
        }

        if (_receiver is not null)
        {
            await _receiver.DisposeAsync();
        }

        if (_distribution is not null)
        {
            await _distribution.DisposeAsync();
        }
    }

    /// <summary>The first import into the fresh target, recorded whatever it answers.</summary>
    private async Task<FirstImport> ImportFirstAsync()
    {
        using var response = await Import.PostAsync(FromDistribution($"{IndexRepository}:{IndexTag}", [FirstTarget]));
        var body = await response.Content.ReadAsStringAsync();
        var asyncOperation = response.Headers.TryGetValues("Azure-AsyncOperation", out var values) ? values.First() : null;
        if (response.StatusCode != HttpStatusCode.Accepted || response.Headers.Location is null)
        {
            return new FirstImport(response.StatusCode, body, response.Headers.Location, asyncOperation, null, string.Empty);
        }

        var (finished, text) = await Import.WaitAsync(response.Headers.Location);
        return new FirstImport(response.StatusCode, body, response.Headers.Location, asyncOperation, finished, text);
    }

    private Task<CliResult> Skopeo(params string[] arguments) => Cli.RunCheckedAsync("skopeo", arguments, () =>
        $"{Distribution.Describe("is the Distribution registry")}{Environment.NewLine}{Describe()}");

    private T Track<T>(T client)
        where T : IDisposable
    {
        _clients.Add(client);
        return client;
    }

    private static InvalidOperationException NotStarted() => new("the fixture has not started");
}
