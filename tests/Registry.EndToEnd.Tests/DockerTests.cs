using System.Net;
using System.Text.RegularExpressions;

namespace Registry.EndToEnd.Tests;

/// <summary><c>docker push</c> / <c>docker pull</c> through the local dockerd against the registry process.</summary>
[Collection(EndToEndCollection.Name)]
public sealed partial class DockerTests(RegistryFixture registry)
{
    [Fact]
    public async Task Docker_push_and_pull_round_trip_the_image_with_one_manifest_digest_everywhere()
    {
        var repository = RegistryFixture.UniqueRepository("docker");
        var image = $"{registry.Host}/{repository}:1";
        string? byDigest = null;
        await registry.Docker("tag", RegistryFixture.TinyImage1, image);
        try
        {
            var push = await registry.Docker("push", image);
            var pushedDigest = PushedDigest(push);

            var served = await registry.GetManifestAsync(repository, "1");
            Assert.Equal(pushedDigest, served.DockerContentDigest);
            Assert.Equal(pushedDigest, served.ComputedDigest);
            Assert.Equal("application/vnd.docker.distribution.manifest.v2+json", served.MediaType);

            var raw = await registry.Skopeo("inspect", "--raw", "--tls-verify=false", "--creds", registry.Admin.Creds, $"docker://{image}");
            Assert.Equal(pushedDigest, RegistryFixture.Sha256Digest(raw.StandardOutputBytes));
            Assert.True(RegistryFixture.SameBytes(served.Content, raw.StandardOutputBytes), "skopeo inspect --raw differs from GET manifest");

            using (var manifest = served.Parse())
            {
                // The image ID is the config digest: docker pushed its own config unchanged.
                Assert.Equal(registry.TinyImage1Id, manifest.RootElement.GetProperty("config").GetProperty("digest").GetString());
            }

            await registry.Docker("rmi", image);
            var pull = await registry.Docker("pull", image);
            Assert.Contains($"Digest: {pushedDigest}", pull.StandardOutput, StringComparison.Ordinal);
            Assert.Equal(registry.TinyImage1Id, await ImageIdAsync(image));

            byDigest = $"{registry.Host}/{repository}@{pushedDigest}";
            await registry.Docker("pull", byDigest);
            Assert.Equal(registry.TinyImage1Id, await ImageIdAsync(byDigest));
        }
        finally
        {
            await RegistryFixture.Quietly("docker", "rmi", image);
            if (byDigest is not null)
            {
                await RegistryFixture.Quietly("docker", "rmi", byDigest);
            }
        }
    }

    [Fact]
    public async Task Docker_push_of_an_image_sharing_the_base_layer_mounts_it_across_repositories_and_pulls_back()
    {
        var baseRepository = RegistryFixture.UniqueRepository("docker-base");
        var derivedRepository = RegistryFixture.UniqueRepository("docker-derived");
        var baseImage = $"{registry.Host}/{baseRepository}:1";
        var derivedImage = $"{registry.Host}/{derivedRepository}:1";
        var context = RegistryFixture.NewTempDirectory("build");
        await registry.Docker("tag", RegistryFixture.TinyImage1, baseImage);
        try
        {
            await registry.Docker("push", baseImage);
            string baseLayer;
            using (var manifest = (await registry.GetManifestAsync(baseRepository, "1")).Parse())
            {
                baseLayer = manifest.RootElement.GetProperty("layers")[0].GetProperty("digest").GetString()!;
            }

            // tiny:1 plus one unique layer: FROM + COPY needs no container run (legacy builder: no buildx here).
            await File.WriteAllTextAsync(Path.Combine(context, "marker.txt"), $"{derivedRepository}\n");
            await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), $"FROM {RegistryFixture.TinyImage1}\nCOPY marker.txt /marker.txt\n");
            await registry.RunAndCheck("docker", ["build", "-q", "-t", derivedImage, "."], new Dictionary<string, string> { ["DOCKER_BUILDKIT"] = "0" }, context);
            var derivedId = await ImageIdAsync(derivedImage);

            var push = await registry.Docker("push", derivedImage);
            // docker names layers by the short diff ID (the uncompressed digest) in its progress lines.
            var baseDiffId = (await registry.Docker("image", "inspect", "--format", "{{index .RootFS.Layers 0}}", RegistryFixture.TinyImage1)).StandardOutput.Trim();
            var shortBase = baseDiffId["sha256:".Length..][..12];
            Assert.True(
                Regex.IsMatch(push.StandardOutput, $@"^{shortBase}: (Mounted from e2e/|Layer already exists)", RegexOptions.Multiline),
                $"docker did not report the shared base layer {baseLayer} as mounted or existing:{Environment.NewLine}{push.Describe()}");
            var pushedDigest = PushedDigest(push);

            string topLayer;
            long baseSize;
            using (var manifest = (await registry.GetManifestAsync(derivedRepository, "1")).Parse())
            {
                var layers = manifest.RootElement.GetProperty("layers");
                Assert.Equal(2, layers.GetArrayLength());
                Assert.Equal(baseLayer, layers[0].GetProperty("digest").GetString());
                baseSize = layers[0].GetProperty("size").GetInt64();
                topLayer = layers[1].GetProperty("digest").GetString()!;
            }

            // The base layer is linked in both repositories; the new layer only where it was pushed.
            Assert.Equal((HttpStatusCode.OK, baseSize), await registry.HeadBlobAsync(baseRepository, baseLayer));
            Assert.Equal((HttpStatusCode.OK, baseSize), await registry.HeadBlobAsync(derivedRepository, baseLayer));
            Assert.Equal(HttpStatusCode.OK, (await registry.HeadBlobAsync(derivedRepository, topLayer)).Status);
            Assert.Equal(HttpStatusCode.NotFound, (await registry.HeadBlobAsync(baseRepository, topLayer)).Status);

            // Remove the derived image completely (its top layer is then gone from the daemon) and pull it back.
            await registry.Docker("rmi", derivedImage);
            var inspect = await Cli.RunAsync("docker", "image", "inspect", derivedId);
            Assert.False(inspect.Succeeded, $"the derived image should be gone before the pull:{Environment.NewLine}{inspect.Describe()}");
            var pull = await registry.Docker("pull", derivedImage);
            Assert.Contains($"Digest: {pushedDigest}", pull.StandardOutput, StringComparison.Ordinal);
            Assert.Equal(derivedId, await ImageIdAsync(derivedImage));
        }
        finally
        {
            await RegistryFixture.Quietly("docker", "rmi", baseImage);
            await RegistryFixture.Quietly("docker", "rmi", derivedImage);
            RegistryFixture.DeleteDirectory(context);
        }
    }

    [Fact]
    public async Task Docker_pulls_back_a_layer_of_several_mebibytes_sent_with_sendfile()
    {
        var repository = RegistryFixture.UniqueRepository("docker-large");
        var image = $"{registry.Host}/{repository}:1";
        var context = RegistryFixture.NewTempDirectory("build");
        try
        {
            // Above Distribution:SendFileMinBytes (1 MiB) once gzipped.
            var imageId = await registry.BuildImageWithRandomLayerAsync(image, context, 6 * 1024 * 1024);
            var push = await registry.Docker("push", image);
            var pushedDigest = PushedDigest(push);

            string topLayer;
            using (var manifest = (await registry.GetManifestAsync(repository, "1")).Parse())
            {
                var layer = manifest.RootElement.GetProperty("layers")[1];
                Assert.True(layer.GetProperty("size").GetInt64() > 6_000_000, $"the layer is only {layer.GetProperty("size").GetInt64()} bytes");
                topLayer = layer.GetProperty("digest").GetString()!;
            }

            using (var served = await registry.Http.GetAsync($"http://{registry.Host}/v2/{repository}/blobs/{topLayer}", HttpCompletionOption.ResponseHeadersRead))
            {
                Assert.Equal(HttpStatusCode.OK, served.StatusCode);
                Assert.True(served.Headers.ConnectionClose, "the layer was not sent with sendfile (no Connection: close)");
            }

            await registry.Docker("rmi", image);
            var pull = await registry.Docker("pull", image);
            Assert.Contains($"Digest: {pushedDigest}", pull.StandardOutput, StringComparison.Ordinal);
            Assert.Equal(imageId, await ImageIdAsync(image));
        }
        finally
        {
            await RegistryFixture.Quietly("docker", "rmi", image);
            RegistryFixture.DeleteDirectory(context);
        }
    }

    /// <summary>The digest in docker push's last line, "TAG: digest: sha256:… size: N".</summary>
    internal static string PushedDigest(CliResult push)
    {
        var match = PushDigestPattern().Match(push.StandardOutput);
        Assert.True(match.Success, $"no digest in the docker push output:{Environment.NewLine}{push.Describe()}");
        return match.Groups[1].Value;
    }

    internal static async Task<string> ImageIdAsync(string image) =>
        (await Cli.RunAsync("docker", "image", "inspect", "--format", "{{.Id}}", image)).EnsureSuccess().StandardOutput.Trim();

    [GeneratedRegex(@"digest: (sha256:[0-9a-f]{64}) size: \d+")]
    private static partial Regex PushDigestPattern();
}
