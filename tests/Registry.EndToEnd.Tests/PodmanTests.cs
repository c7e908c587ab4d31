using System.Text.Json;

namespace Registry.EndToEnd.Tests;

/// <summary><c>podman push</c> / <c>pull</c> and a pushed manifest list (rootful podman, vfs storage).</summary>
[Collection(EndToEndCollection.Name)]
public sealed class PodmanTests(RegistryFixture registry)
{
    [Fact]
    public async Task Podman_push_pull_and_manifest_list_push_all()
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var local1 = $"localhost/e2e-podman-{id}:1";
        var local2 = $"localhost/e2e-podman-{id}:2";
        var list = $"localhost/e2e-podlist-{id}:1";
        var repository = RegistryFixture.UniqueRepository("podman");
        var listRepository = RegistryFixture.UniqueRepository("podlist");
        var remote = $"{registry.Host}/{repository}:1";
        var temp = RegistryFixture.NewTempDirectory("podman");
        try
        {
            // docker's tiny images into podman's store under names only this test uses.
            await registry.Skopeo("copy", $"docker-daemon:{RegistryFixture.TinyImage1}", $"containers-storage:{local1}");
            await registry.Skopeo("copy", $"docker-daemon:{RegistryFixture.TinyImage2}", $"containers-storage:{local2}");
            var imageId = (await registry.Podman("image", "inspect", "--format", "{{.Id}}", local1)).StandardOutput.Trim();
            Assert.Equal(registry.TinyImage1Id, "sha256:" + imageId);

            var digestFile = Path.Combine(temp, "digest");
            await registry.Podman("push", "--tls-verify=false", "--creds", registry.Admin.Creds, "--digestfile", digestFile, local1, $"docker://{remote}");
            var pushedDigest = (await File.ReadAllTextAsync(digestFile)).Trim();
            var raw = await registry.Skopeo("inspect", "--raw", "--tls-verify=false", "--creds", registry.Admin.Creds, $"docker://{remote}");
            Assert.Equal(pushedDigest, RegistryFixture.Sha256Digest(raw.StandardOutputBytes));
            Assert.Equal(pushedDigest, (await registry.GetManifestAsync(repository, "1")).DockerContentDigest);

            await registry.Podman("rmi", local1);
            var exists = await Cli.RunAsync("podman", "image", "exists", local1);
            Assert.False(exists.Succeeded, $"{local1} should be gone:{Environment.NewLine}{exists.Describe()}");

            await registry.Podman("pull", "--tls-verify=false", "--creds", registry.Admin.Creds, remote);
            var pulled = (await registry.Podman("image", "inspect", "--format", "{{.Id}} {{.Digest}}", remote)).StandardOutput.Trim();
            Assert.Equal($"{imageId} {pushedDigest}", pulled);

            // A 2-image list: the pulled image (amd64) and tiny:2 annotated as arm64, pushed with its children.
            await registry.Podman("manifest", "create", list);
            await registry.Podman("manifest", "add", list, $"containers-storage:{remote}");
            await registry.Podman("manifest", "add", "--arch", "arm64", list, $"containers-storage:{local2}");
            var listDigestFile = Path.Combine(temp, "list-digest");
            await registry.Podman("manifest", "push", "--all", "--tls-verify=false", "--creds", registry.Admin.Creds, "--digestfile", listDigestFile, list, $"docker://{registry.Host}/{listRepository}:1");
            var listDigest = (await File.ReadAllTextAsync(listDigestFile)).Trim();

            var servedList = await registry.GetManifestAsync(listRepository, "1");
            Assert.Equal(listDigest, servedList.DockerContentDigest);
            Assert.Equal(listDigest, servedList.ComputedDigest);
            var rawList = await registry.Skopeo("inspect", "--raw", "--tls-verify=false", "--creds", registry.Admin.Creds, $"docker://{registry.Host}/{listRepository}:1");
            Assert.True(RegistryFixture.SameBytes(servedList.Content, rawList.StandardOutputBytes), "skopeo inspect --raw differs from GET manifest");

            using var index = servedList.Parse();
            Assert.Equal(servedList.MediaType, index.RootElement.GetProperty("mediaType").GetString());
            var children = index.RootElement.GetProperty("manifests").EnumerateArray().ToList();
            Assert.Equal(["amd64", "arm64"], children.Select(c => c.GetProperty("platform").GetProperty("architecture").GetString()).Order());
            foreach (var child in children)
            {
                var digest = child.GetProperty("digest").GetString()!;
                var served = await registry.GetManifestAsync(listRepository, digest);
                Assert.Equal(digest, served.DockerContentDigest);
                Assert.Equal(digest, served.ComputedDigest);
                Assert.Equal(child.GetProperty("size").GetInt64(), served.Content.LongLength);
                Assert.Equal(child.GetProperty("mediaType").GetString(), served.MediaType);
                using var manifest = served.Parse();
                var descriptors = manifest.RootElement.GetProperty("layers").EnumerateArray().Append(manifest.RootElement.GetProperty("config"));
                foreach (var descriptor in descriptors)
                {
                    var blob = descriptor.GetProperty("digest").GetString()!;
                    Assert.Equal((System.Net.HttpStatusCode.OK, descriptor.GetProperty("size").GetInt64()), await registry.HeadBlobAsync(listRepository, blob));
                }
            }

            // And the whole list copies out with every child (skopeo verifies each blob's digest).
            await registry.Skopeo("copy", "--all", "--preserve-digests", "--src-tls-verify=false", "--src-creds", registry.Admin.Creds, $"docker://{registry.Host}/{listRepository}:1", $"dir:{Path.Combine(temp, "dir")}");
            Assert.True(RegistryFixture.SameBytes(servedList.Content, await File.ReadAllBytesAsync(Path.Combine(temp, "dir", "manifest.json"))), "the copied list differs");
        }
        finally
        {
            await RegistryFixture.Quietly("podman", "manifest", "rm", list);
            await RegistryFixture.Quietly("podman", "rmi", local1);
            await RegistryFixture.Quietly("podman", "rmi", local2);
            await RegistryFixture.Quietly("podman", "rmi", remote);
            RegistryFixture.DeleteDirectory(temp);
        }
    }
}
