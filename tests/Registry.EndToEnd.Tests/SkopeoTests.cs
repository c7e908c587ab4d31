using System.IO.Compression;

namespace Registry.EndToEnd.Tests;

/// <summary><c>skopeo copy</c> into the registry from the docker daemon and back out, byte for byte.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class SkopeoTests(RegistryFixture registry)
{
    [Fact]
    public async Task Skopeo_copy_both_ways_returns_every_blob_and_the_manifest_byte_identical()
    {
        var repository = RegistryFixture.UniqueRepository("skopeo");
        var reference = $"docker://{registry.Host}/{repository}:1";
        var backInDocker = $"e2e-skopeo-back-{Guid.NewGuid().ToString("N")[..10]}:1";
        var temp = RegistryFixture.NewTempDirectory("skopeo");
        try
        {
            var digestFile = Path.Combine(temp, "digest");
            await registry.Skopeo("copy", "--dest-tls-verify=false", "--dest-creds", registry.Admin.Creds, "--digestfile", digestFile, $"docker-daemon:{RegistryFixture.TinyImage1}", reference);
            var pushedDigest = (await File.ReadAllTextAsync(digestFile)).Trim();

            var served = await registry.GetManifestAsync(repository, "1");
            Assert.Equal(pushedDigest, served.DockerContentDigest);
            Assert.Equal(pushedDigest, served.ComputedDigest);

            var dir = Path.Combine(temp, "dir");
            await registry.Skopeo("copy", "--src-tls-verify=false", "--src-creds", registry.Admin.Creds, "--preserve-digests", reference, $"dir:{dir}");
            Assert.True(RegistryFixture.SameBytes(served.Content, await File.ReadAllBytesAsync(Path.Combine(dir, "manifest.json"))), "dir:/manifest.json differs from GET manifest");

            string config;
            Dictionary<string, long> expected;
            using (var manifest = served.Parse())
            {
                var root = manifest.RootElement;
                config = root.GetProperty("config").GetProperty("digest").GetString()!;
                expected = root.GetProperty("layers").EnumerateArray().Append(root.GetProperty("config"))
                    .ToDictionary(d => d.GetProperty("digest").GetString()!, d => d.GetProperty("size").GetInt64());
            }

            var blobs = Directory.GetFiles(dir).Select(Path.GetFileName).Where(name => name is not "manifest.json" and not "version").ToList();
            Assert.Equal(expected.Keys.Select(d => d["sha256:".Length..]).Order(), blobs.Order());
            foreach (var (digest, size) in expected)
            {
                var content = await File.ReadAllBytesAsync(Path.Combine(dir, digest["sha256:".Length..]));
                Assert.Equal(digest, RegistryFixture.Sha256Digest(content));
                Assert.Equal(size, content.LongLength);
                Assert.True(RegistryFixture.SameBytes(content, await registry.GetBlobAsync(repository, digest)), $"GET blob {digest} differs from skopeo's copy");
            }

            // What went in came out: docker's config unchanged, and the layer is the tiny root filesystem tar.
            Assert.Equal(registry.TinyImage1Id, config);
            var layer = expected.Keys.Single(d => d != config);
            await using (var gzip = new GZipStream(File.OpenRead(Path.Combine(dir, layer["sha256:".Length..])), CompressionMode.Decompress))
            using (var tar = new MemoryStream())
            {
                await gzip.CopyToAsync(tar);
                Assert.Equal(RegistryFixture.Sha256Digest(Path.Combine(Registry.Testing.RepositoryPaths.Tools, "tiny-rootfs.tar")), RegistryFixture.Sha256Digest(tar.ToArray()));
            }

            // And back into the docker daemon: the same image.
            await registry.Skopeo("copy", "--src-tls-verify=false", "--src-creds", registry.Admin.Creds, reference, $"docker-daemon:{backInDocker}");
            Assert.Equal(registry.TinyImage1Id, await DockerTests.ImageIdAsync(backInDocker));
        }
        finally
        {
            await RegistryFixture.Quietly("docker", "rmi", backInDocker);
            RegistryFixture.DeleteDirectory(temp);
        }
    }
}
