using System.Net;
using Registry.Testing;

namespace Registry.EndToEnd.Tests;

[CollectionDefinition(Name)]
public sealed class RedirectedPullCollection : ICollectionFixture<AzureRedirectRegistryFixture>
{
    public const string Name = "end-to-end-azure-redirect";
}

/// <summary>
/// The single-process registry on Azure Blob storage (a real Azurite of its own) with
/// <c>Distribution:RedirectBlobReads</c> on: every blob download answers 307 to a read-only storage URL, as ACR's do.
/// </summary>
public sealed class AzureRedirectRegistryFixture : RegistryFixture
{
    private readonly AzuriteFixture _azurite = new();

    /// <summary>Where redirected downloads must go: Azurite's blob endpoint (<c>127.0.0.1:port</c>).</summary>
    public string StorageAuthority => _azurite.BlobEndpoint.Authority;

    protected override IEnumerable<string> ServerArguments =>
    [
        "--Storage:Driver", "AzureBlob",
        "--ConnectionStrings:blobs", _azurite.ConnectionString,
        "--Distribution:RedirectBlobReads", "true",
    ];

    protected override Task StartDependenciesAsync() => _azurite.InitializeAsync();

    protected override Task StopDependenciesAsync() => _azurite.DisposeAsync();
}

/// <summary>
/// docker, skopeo and podman follow the registry's blob redirects to storage and get the exact image back: what an ACR
/// user's clients do on every pull.
/// </summary>
[Collection(RedirectedPullCollection.Name)]
public sealed class RedirectedPullTests(AzureRedirectRegistryFixture registry)
{
    [Fact]
    public async Task Docker_skopeo_and_podman_pull_an_image_whose_blobs_are_redirected_to_storage()
    {
        var repository = RegistryFixture.UniqueRepository("redirect");
        var image = $"{registry.Host}/{repository}:1";
        var context = RegistryFixture.NewTempDirectory("redirect-build");
        try
        {
            var imageId = await registry.BuildImageWithRandomLayerAsync(image, context, 3 * 1024 * 1024);
            var pushedDigest = DockerTests.PushedDigest(await registry.Docker("push", image));

            Dictionary<string, long> blobs;
            using (var manifest = (await registry.GetManifestAsync(repository, "1")).Parse())
            {
                var root = manifest.RootElement;
                blobs = root.GetProperty("layers").EnumerateArray().Append(root.GetProperty("config"))
                    .ToDictionary(d => d.GetProperty("digest").GetString()!, d => d.GetProperty("size").GetInt64());
            }

            // Every blob download is a redirect to storage, never served by the registry itself.
            using (var http = new HttpClient(new BearerTokenHandler(registry.Admin) { InnerHandler = new SocketsHttpHandler { AllowAutoRedirect = false } }))
            {
                foreach (var digest in blobs.Keys)
                {
                    using var response = await http.GetAsync(new Uri($"http://{registry.Host}/v2/{repository}/blobs/{digest}"));
                    Assert.Equal(HttpStatusCode.TemporaryRedirect, response.StatusCode);
                    Assert.Equal(registry.StorageAuthority, response.Headers.Location?.Authority);
                }
            }

            await registry.Docker("rmi", image);
            var pull = await registry.Docker("pull", image);
            Assert.Contains($"Digest: {pushedDigest}", pull.StandardOutput, StringComparison.Ordinal);
            Assert.Equal(imageId, await DockerTests.ImageIdAsync(image));

            var dir = Path.Combine(context, "skopeo");
            await registry.Skopeo("copy", "--src-tls-verify=false", "--src-creds", registry.Admin.Creds, "--preserve-digests", $"docker://{image}", $"dir:{dir}");
            foreach (var (digest, size) in blobs)
            {
                var path = Path.Combine(dir, digest["sha256:".Length..]);
                Assert.Equal(size, new FileInfo(path).Length);
                Assert.Equal(digest, RegistryFixture.Sha256Digest(path));
            }

            await registry.Podman("pull", "--tls-verify=false", "--creds", registry.Admin.Creds, image);
            var podmanImage = (await registry.Podman("image", "inspect", "--format", "{{.Id}} {{.Digest}}", image)).StandardOutput.Trim();
            Assert.Equal($"{imageId["sha256:".Length..]} {pushedDigest}", podmanImage);
        }
        finally
        {
            await RegistryFixture.Quietly("docker", "rmi", image);
            await RegistryFixture.Quietly("podman", "rmi", image);
            RegistryFixture.DeleteDirectory(context);
        }
    }
}
