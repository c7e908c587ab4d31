using System.Net;
using System.Security.Cryptography;
using System.Text;
using Registry.Testing;

namespace Registry.Replication.Tests;

/// <summary>
/// An import whose instance stops before it finishes reports <c>Failed</c> with code <c>Interrupted</c> once the host is
/// back, and no tag points at the half-copied image. The source must still be copying when the host stops, so it is the
/// webhook receiver process scripted as a registry that serves a manifest at once and then stalls on the blob.
/// </summary>
[Collection(ImportCollection.Name)]
public sealed class InterruptedImportTests(ImportFixture fixture)
{
    [Fact]
    public async Task An_import_cut_short_by_a_stopping_host_reads_as_Failed_Interrupted_after_a_restart()
    {
        var sourceRepository = "stalling" + Guid.NewGuid().ToString("N")[..8] + "/app";
        var config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}""");
        var configDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(config));
        var manifest = $$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{configDigest}}","size":{{config.Length}}},"layers":[]}""";
        await fixture.Receiver.SetModeAsync($"/v2/{sourceRepository}/manifests/v1", new ReceiverMode(Body: manifest));
        await fixture.Receiver.SetModeAsync($"/v2/{sourceRepository}/blobs/{configDigest}", new ReceiverMode(DelayMs: 120_000, Body: "too late"));

        var settings = new Dictionary<string, string?>
        {
            ["Import:AllowPrivateNetworks"] = "true",
            ["Import:StaleAfter"] = "00:00:10", // the shortest allowed: a save lost with the stopping host is noticed soon
        };
        var dataDirectory = Directory.CreateTempSubdirectory("registry-replication-restart-").FullName;
        try
        {
            string location;
            string password;
            await using (var first = await TestHost.StartAsync("admin", settings, dataDirectory))
            {
                password = first.AdminPassword;
                using var import = new ImportClient(first);
                var accepted = await import.StartAsync(new
                {
                    source = new { registryUri = fixture.Receiver.BaseAddress.GetLeftPart(UriPartial.Authority), sourceImage = $"{sourceRepository}:v1" },
                    targetTags = new[] { "interrupted/app:v1" },
                });
                location = accepted.Location.OriginalString;

                // The copy is under way: the source has been asked for the blob (and keeps it waiting).
                await fixture.Receiver.WaitForRequestsAsync($"/v2/{sourceRepository}/blobs/{configDigest}", 1, ImportClient.Patience);
            }

            await using var second = await TestHost.StartAsync("admin", settings, dataDirectory, password);
            using var again = new ImportClient(second);
            var (operation, text) = await again.WaitAsync(new Uri(location, UriKind.RelativeOrAbsolute));

            Assert.True(operation.GetProperty("status").GetString() == "Failed", text);
            Assert.Equal("Interrupted", operation.GetProperty("error").GetProperty("code").GetString());
            using var oci = new OciClient(second.BaseAddress, second.AdminUsername, second.AdminPassword);
            Assert.Empty(await oci.TagsAsync("interrupted/app"));
        }
        finally
        {
            TestDirectories.TryDelete(dataDirectory);
        }
    }
}
