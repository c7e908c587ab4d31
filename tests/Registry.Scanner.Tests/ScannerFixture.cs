using System.Net;

namespace Registry.Scanner.Tests;

/// <summary>
/// A single-process host on a fresh data directory with the vulnerability database imported from every OSV file of the
/// test data (the non-OSV ones among them are skipped), and a work directory for the images the tests build; one per
/// test class, so layer caches and referrers of one class never meet another's.
/// </summary>
public class ScannerFixture : IAsyncLifetime
{
    private ScannerHost? _host;

    public ScannerFixture()
    {
        Root = Directory.CreateTempSubdirectory("registry-scanner-tests-").FullName;
        Work = Path.Combine(Root, "work");
        Directory.CreateDirectory(Work);
    }

    public string Root { get; }

    public string Work { get; }

    public string DataDirectory => Path.Combine(Root, "data");

    public ScannerHost Host => _host ?? throw new InvalidOperationException("the fixture has not started");

    /// <summary>Whether the fixture imports the test data's advisories once the host is up.</summary>
    protected virtual bool ImportAdvisories => true;

    public async Task InitializeAsync()
    {
        _host = await ScannerHost.StartAsync(DataDirectory);
        if (ImportAdvisories)
        {
            using var imported = await _host.ImportAsync(TestData.Zip(TestData.AllOsvFiles()), "application/zip");
            await ScannerHost.JsonOf(imported, HttpStatusCode.Created);
        }
    }

    /// <summary>Stops the host and starts a new one on the same data directory.</summary>
    public async Task RestartAsync()
    {
        await Host.DisposeAsync();
        _host = null;
        _host = await ScannerHost.StartAsync(DataDirectory);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        TestDirectories.TryDelete(Root);
    }

    public RootFs NewRoot(string name) => new(Path.Combine(Work, $"{name}-{Guid.NewGuid().ToString("N")[..8]}"));

    public OciLayout NewLayout(string name) => new(Path.Combine(Work, $"layout-{name}-{Guid.NewGuid().ToString("N")[..8]}"));

    /// <summary>A repository name no other test uses.</summary>
    public static string NewRepository(string prefix) => $"scanner/{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>
    /// A Debian 12 root filesystem (this machine's os-release and dpkg status) with npm <c>ws</c> 8.17.0 and a .NET
    /// application whose deps.json names Newtonsoft.Json 12.0.3: vulnerable to <see cref="TestData.WsAdvisory"/> and
    /// <see cref="TestData.NewtonsoftAdvisory"/>.
    /// </summary>
    public RootFs VulnerableDebianApp(string name) =>
        NewRoot(name).DebianBase().Npm("ws", "8.17.0").DepsJson(("Newtonsoft.Json", "12.0.3"));

    /// <summary>A one-image layout tagged <c>image</c>, pushed with skopeo (with the distribution API when a layer is a plain tar); the manifest digest, checked against what the registry serves.</summary>
    public async Task<string> PushImageAsync(string repository, string tag, params (RootFs Root, Compression Compression)[] layers)
    {
        var layout = NewLayout(repository.Replace('/', '-'));
        var built = new List<Layer>();
        foreach (var (root, compression) in layers)
        {
            built.Add(await layout.AddLayerAsync(root, compression));
        }

        var manifest = layout.AddImage(built);
        layout.Tag("image", manifest);
        if (layers.Any(l => l.Compression == Compression.None))
        {
            await Host.HttpPushAsync(layout, manifest, repository, tag); // skopeo would compress the plain layer
        }
        else
        {
            await Host.SkopeoCopyAsync(layout, "image", repository, tag);
        }

        await AssertServedAsync(repository, tag, manifest.Digest);
        return manifest.Digest;
    }

    /// <summary>The registry serves <paramref name="tag"/> as exactly the manifest the layout holds (skopeo changed nothing).</summary>
    public async Task AssertServedAsync(string repository, string tag, string digest)
    {
        var (content, served, status) = await Host.ManifestAsync(repository, tag);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(digest, served);
        Assert.Equal(digest, OciLayout.Sha256(content));
    }
}
