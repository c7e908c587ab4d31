namespace Registry.EndToEnd.Tests;

/// <summary>docker and skopeo push the same image to the same tag at the same time.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class ConcurrentPushTests(RegistryFixture registry)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Concurrent_docker_and_skopeo_pushes_to_one_tag_leave_one_of_the_two_digests_pullable(int round)
    {
        var repository = RegistryFixture.UniqueRepository($"race{round}");
        var image = $"{registry.Host}/{repository}:race";
        var temp = RegistryFixture.NewTempDirectory("race");
        await registry.Docker("tag", RegistryFixture.TinyImage1, image);
        try
        {
            var digestFile = Path.Combine(temp, "digest");
            var dockerPush = registry.AdminDocker.TryRunAsync("push", image);
            var skopeoPush = Cli.RunAsync("skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", registry.Admin.Creds, "--digestfile", digestFile, $"docker-daemon:{RegistryFixture.TinyImage1}", $"docker://{image}");
            await Task.WhenAll(dockerPush, skopeoPush);
            (await dockerPush).EnsureSuccess(registry.ServerOutput());
            (await skopeoPush).EnsureSuccess(registry.ServerOutput());
            var dockerDigest = DockerTests.PushedDigest(await dockerPush);
            var skopeoDigest = (await File.ReadAllTextAsync(digestFile)).Trim();

            // Both manifests are stored; the tag resolves to one of them.
            Assert.Equal(dockerDigest, (await registry.GetManifestAsync(repository, dockerDigest)).ComputedDigest);
            Assert.Equal(skopeoDigest, (await registry.GetManifestAsync(repository, skopeoDigest)).ComputedDigest);
            var tagged = await registry.GetManifestAsync(repository, "race");
            Assert.Contains(tagged.DockerContentDigest, new[] { dockerDigest, skopeoDigest });
            Assert.Equal(tagged.DockerContentDigest, tagged.ComputedDigest);

            var inspected = await registry.Skopeo("inspect", "--tls-verify=false", "--creds", registry.Admin.Creds, "--format", "{{.Digest}}", $"docker://{image}");
            Assert.Equal(tagged.DockerContentDigest, inspected.StandardOutput.Trim());

            await registry.Docker("rmi", image);
            var pull = await registry.Docker("pull", image);
            Assert.Contains($"Digest: {tagged.DockerContentDigest}", pull.StandardOutput, StringComparison.Ordinal);
            Assert.Equal(registry.TinyImage1Id, await DockerTests.ImageIdAsync(image));
        }
        finally
        {
            await RegistryFixture.Quietly("docker", "rmi", image);
            RegistryFixture.DeleteDirectory(temp);
        }
    }
}
