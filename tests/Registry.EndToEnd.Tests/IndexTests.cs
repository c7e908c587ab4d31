using System.Text.Json;

namespace Registry.EndToEnd.Tests;

/// <summary>A 2-platform OCI index copied with <c>skopeo copy --all --preserve-digests</c> in and out, and pulled by docker.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class IndexTests(RegistryFixture registry)
{
    [Fact]
    public async Task Multi_platform_index_round_trips_byte_identical_and_docker_pulls_each_platform()
    {
        var layoutBlobs = Path.Combine(RegistryFixture.TinyIndexLayout, "blobs", "sha256");
        string indexDigest;
        using (var layoutIndex = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(RegistryFixture.TinyIndexLayout, "index.json"))))
        {
            indexDigest = layoutIndex.RootElement.GetProperty("manifests").EnumerateArray()
                .Single(m => m.TryGetProperty("annotations", out var a) && a.TryGetProperty("org.opencontainers.image.ref.name", out var n) && n.GetString() == "multi")
                .GetProperty("digest").GetString()!;
        }

        byte[] Blob(string digest) => File.ReadAllBytes(Path.Combine(layoutBlobs, digest["sha256:".Length..]));

        // Everything reachable from the index: the index, each platform manifest, its config and layers.
        var manifests = new List<(string Digest, string MediaType, string Architecture, string Config)>();
        var reachable = new HashSet<string> { indexDigest };
        using (var index = JsonDocument.Parse(Blob(indexDigest)))
        {
            foreach (var child in index.RootElement.GetProperty("manifests").EnumerateArray())
            {
                var digest = child.GetProperty("digest").GetString()!;
                reachable.Add(digest);
                using var manifest = JsonDocument.Parse(Blob(digest));
                var config = manifest.RootElement.GetProperty("config").GetProperty("digest").GetString()!;
                reachable.Add(config);
                foreach (var layer in manifest.RootElement.GetProperty("layers").EnumerateArray())
                {
                    reachable.Add(layer.GetProperty("digest").GetString()!);
                }

                manifests.Add((digest, child.GetProperty("mediaType").GetString()!, child.GetProperty("platform").GetProperty("architecture").GetString()!, config));
            }
        }

        Assert.Equal(["amd64", "arm64"], manifests.Select(m => m.Architecture).Order());

        var repository = RegistryFixture.UniqueRepository("index");
        var reference = $"docker://{registry.Host}/{repository}:multi";
        var image = $"{registry.Host}/{repository}:multi";
        var temp = RegistryFixture.NewTempDirectory("index");
        try
        {
            await registry.Skopeo("copy", "--all", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", registry.Admin.Creds, $"oci:{RegistryFixture.TinyIndexLayout}:multi", reference);

            var servedIndex = await registry.GetManifestAsync(repository, "multi");
            Assert.Equal(indexDigest, servedIndex.DockerContentDigest);
            Assert.Equal("application/vnd.oci.image.index.v1+json", servedIndex.MediaType);
            Assert.True(RegistryFixture.SameBytes(servedIndex.Content, Blob(indexDigest)), "GET index differs from the OCI layout's index");
            foreach (var (digest, mediaType, _, _) in manifests)
            {
                var served = await registry.GetManifestAsync(repository, digest);
                Assert.Equal(digest, served.DockerContentDigest);
                Assert.Equal(mediaType, served.MediaType);
                Assert.True(RegistryFixture.SameBytes(served.Content, Blob(digest)), $"GET manifest {digest} differs from the OCI layout's");
            }

            var dir = Path.Combine(temp, "dir");
            await registry.Skopeo("copy", "--all", "--preserve-digests", "--src-tls-verify=false", "--src-creds", registry.Admin.Creds, reference, $"dir:{dir}");
            var copied = new HashSet<string>();
            foreach (var file in Directory.GetFiles(dir))
            {
                var name = Path.GetFileName(file);
                if (name == "version")
                {
                    continue;
                }

                var digest = name switch
                {
                    "manifest.json" => indexDigest,
                    _ when name.EndsWith(".manifest.json", StringComparison.Ordinal) => "sha256:" + name[..^".manifest.json".Length],
                    _ => "sha256:" + name,
                };
                Assert.True(reachable.Contains(digest), $"skopeo wrote '{name}', which is not part of the index");
                var content = await File.ReadAllBytesAsync(file);
                Assert.Equal(digest, RegistryFixture.Sha256Digest(content));
                Assert.True(RegistryFixture.SameBytes(content, Blob(digest)), $"'{name}' differs from the OCI layout's blob");
                copied.Add(digest);
            }

            Assert.Equal(reachable.Order(), copied.Order());

            // docker picks the platform out of the OCI index.
            foreach (var (_, _, architecture, config) in manifests)
            {
                await registry.Docker("pull", "--platform", $"linux/{architecture}", image);
                var inspect = (await registry.Docker("image", "inspect", "--format", "{{.Id}} {{.Architecture}}", image)).StandardOutput.Trim();
                Assert.Equal($"{config} {architecture}", inspect);
                await registry.Docker("rmi", image); // the only reference: the pulled image goes with it
            }
        }
        finally
        {
            await RegistryFixture.Quietly("docker", "rmi", image);
            RegistryFixture.DeleteDirectory(temp);
        }
    }
}
