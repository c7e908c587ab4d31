using System.Text.RegularExpressions;
using Registry.Testing;

namespace Registry.ImagePolicy.Tests;

/// <summary>
/// Images made for these tests with the real tools: a root filesystem directory, <c>tar</c>, <c>docker import</c>, and
/// <c>docker push</c> to the host under test. Every image is new (a marker file with a random id), so its manifest digest
/// is seen by no other test: the registry keeps scan verdicts per digest.
/// </summary>
public static partial class TestImages
{
    /// <summary>The advisory: npm <c>ws</c> affected from 8.0.0 below 8.17.1 (and older branches), HIGH by its CVSS v3 vector.</summary>
    public const string AdvisoryId = "GHSA-3h5v-q93c-6h6q";

    public const string AdvisoryAlias = "CVE-2024-37890";

    /// <summary>An image of eng/setup.sh (busybox, its own os-release) without any package the advisory names.</summary>
    public const string TinyImage = "registry-test/tiny:1";

    /// <summary>The real OSV record (GitHub's database, as osv.dev publishes it) in the shared test data beside the repository.</summary>
    public static string AdvisoryFile
    {
        get
        {
            var file = Path.GetFullPath(Path.Combine(RepositoryPaths.Root, "..", "shared", "testdata", "vuln", "osv", "github", AdvisoryId + ".json"));
            Assert.True(File.Exists(file), $"the OSV test data '{file}' is missing");
            return file;
        }
    }

    /// <summary>
    /// Makes a new local image tagged <paramref name="image"/> (<c>host/repository:tag</c>): this machine's
    /// <c>/etc/os-release</c>, a marker file, and with <paramref name="vulnerableWs"/>
    /// <c>app/node_modules/ws/package.json</c> of ws 8.17.0.
    /// </summary>
    public static async Task BuildAsync(string image, bool vulnerableWs)
    {
        var work = Path.Combine(Path.GetTempPath(), "registry-policy-image-" + Guid.NewGuid().ToString("N")[..10]);
        var rootfs = Path.Combine(work, "rootfs");
        try
        {
            Directory.CreateDirectory(Path.Combine(rootfs, "etc"));
            await File.WriteAllTextAsync(Path.Combine(rootfs, "etc", "os-release"), await File.ReadAllTextAsync("/etc/os-release"));
            await File.WriteAllTextAsync(Path.Combine(rootfs, "etc", "policy-test-image"), Guid.NewGuid().ToString("N") + "\n");
            if (vulnerableWs)
            {
                var package = Path.Combine(rootfs, "app", "node_modules", "ws");
                Directory.CreateDirectory(package);
                await File.WriteAllTextAsync(Path.Combine(package, "package.json"), """{"name":"ws","version":"8.17.0"}""");
            }

            var tarball = Path.Combine(work, "rootfs.tar");
            await Cli.RunCheckedAsync("tar", ["-C", rootfs, "-cf", tarball, "."]);
            await Cli.RunCheckedAsync("docker", ["import", tarball, image]);
        }
        finally
        {
            TestDirectories.TryDelete(work);
        }
    }

    /// <summary><c>docker push</c> as <paramref name="docker"/>; the manifest digest docker reports.</summary>
    public static async Task<string> PushAsync(DockerClient docker, string image)
    {
        ArgumentNullException.ThrowIfNull(docker);
        var push = await docker.RunAsync("push", image);
        var match = PushDigestPattern().Match(push.StandardOutput);
        Assert.True(match.Success, $"no digest in the docker push output:{Environment.NewLine}{push.Describe()}");
        return match.Groups[1].Value;
    }

    /// <summary>Removes local tags made by a test (failures do not matter).</summary>
    public static async Task RemoveAsync(params string[] images)
    {
        foreach (var image in images)
        {
            await Cli.RunAsync("docker", ["image", "rm", image], timeout: TimeSpan.FromSeconds(30));
        }
    }

    [GeneratedRegex(@"digest: (sha256:[0-9a-f]{64}) size: \d+")]
    private static partial Regex PushDigestPattern();
}
