using Registry.Testing;

namespace Registry.ImagePolicy.Tests;

/// <summary>
/// A registry host of a collection's own. The image policy is a setting of the whole registry, so the tests of one
/// collection (which xunit runs one after the other) share a host, and collections (which run concurrently) never do.
/// </summary>
public abstract class HostFixture : IAsyncLifetime
{
    private RegistryHost? _host;

    public RegistryHost Host => _host ?? throw new InvalidOperationException("the registry host did not start");

    protected abstract string Name { get; }

    protected abstract IReadOnlyDictionary<string, string> Settings { get; }

    public async Task InitializeAsync()
    {
        await Prerequisites.CheckAsync();
        _host = await RegistryHost.StartAsync(Name, Settings);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}

/// <summary>The default: every pushed image is scanned as it arrives.</summary>
public sealed class ScanOnPushHostFixture : HostFixture
{
    protected override string Name => "scan-on-push";

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>();
}

/// <summary>
/// <c>Scanner__ScanOnPush=false</c>: an image stays unscanned until <c>POST …/scans</c>, deterministically. Webhooks may
/// reach the receiver on loopback.
/// </summary>
public sealed class ManualScanHostFixture : HostFixture
{
    protected override string Name => "manual-scan";

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Scanner__ScanOnPush"] = "false",
        ["Webhooks__AllowPrivateNetworks"] = "true",
        ["Webhooks__InitialRetryDelay"] = "00:00:00.200",
        ["Webhooks__MaxRetryDelay"] = "00:00:02",
    };
}

/// <summary>Scans on push, and delivers webhooks to the receiver on loopback (refused by outbound safety by default).</summary>
public sealed class WebhookHostFixture : HostFixture
{
    protected override string Name => "webhooks";

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Scanner__ScanOnPush"] = "true",
        ["Webhooks__AllowPrivateNetworks"] = "true",
        ["Webhooks__InitialRetryDelay"] = "00:00:00.200",
        ["Webhooks__MaxRetryDelay"] = "00:00:02",
    };
}

[CollectionDefinition(Name)]
public sealed class ScanOnPushCollection : ICollectionFixture<ScanOnPushHostFixture>
{
    public const string Name = "image-policy scan-on-push host";
}

[CollectionDefinition(Name)]
public sealed class ManualScanCollection : ICollectionFixture<ManualScanHostFixture>
{
    public const string Name = "image-policy manual-scan host";
}

/// <summary>The clients and images of <c>bash eng/setup.sh</c>.</summary>
public static class Prerequisites
{
    private const string Fix = "Install and start the test infrastructure with `bash eng/setup.sh` from the repository root.";

    public static async Task CheckAsync()
    {
        foreach (var tool in new[] { "docker", "tar" })
        {
            if (ProcessHost.FindExecutable(tool) is null)
            {
                throw new InvalidOperationException($"'{tool}' was not found on PATH. {Fix}");
            }
        }

        var info = await Cli.RunAsync("docker", ["info", "--format", "{{.ServerVersion}}"], timeout: TimeSpan.FromSeconds(30));
        if (!info.Succeeded)
        {
            throw new InvalidOperationException($"the docker daemon does not answer (`docker info` failed). {Fix}{Environment.NewLine}{info.Describe()}");
        }

        var tiny = await Cli.RunAsync("docker", ["image", "inspect", "--format", "{{.Id}}", TestImages.TinyImage], timeout: TimeSpan.FromSeconds(30));
        if (!tiny.Succeeded)
        {
            throw new InvalidOperationException($"the tiny image '{TestImages.TinyImage}' is missing from the docker daemon. {Fix}{Environment.NewLine}{tiny.Describe()}");
        }
    }
}
