using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Registry.Distribution.Core;
using Registry.Distribution.Metadata;
using Registry.Oci;
using Registry.Storage.FileSystem;

namespace Registry.Distribution.Tests;

/// <summary>Pull counts and last-pull times per repository, tag and manifest (ADR 0013).</summary>
public sealed class PullStatisticsTests(MetadataFixture fixture) : IClassFixture<MetadataFixture>
{
    private readonly OciClient _client = fixture.Client;

    [Fact]
    public async Task Manifest_gets_count_by_repository_tag_and_digest_and_heads_do_not()
    {
        var repository = OciClient.NewRepository();
        var image = await _client.PushImageAsync(repository, "v1");
        await _client.PushImageAsync(repository, "v2");
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        foreach (var reference in new[] { "v1", "v1", image.Digest })
        {
            using var pull = await _client.Http.GetAsync($"/v2/{repository}/manifests/{reference}");
            Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        }

        using (var head = await _client.SendAsync(HttpMethod.Head, $"/v2/{repository}/manifests/v2"))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        }

        var shown = await Acr.GetAsync(_client, $"/acr/v1/{repository}");
        Assert.Equal(3, shown.GetProperty("pullCount").GetInt64());
        Assert.InRange(shown.GetProperty("lastPulledTime").GetDateTimeOffset(), before, DateTimeOffset.UtcNow.AddSeconds(1));

        var tags = (await Acr.GetAsync(_client, $"/acr/v1/{repository}/_tags")).GetProperty("tags").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!);
        Assert.Equal(2, tags["v1"].GetProperty("pullCount").GetInt64());
        Assert.True(tags["v1"].TryGetProperty("lastPulledTime", out _));
        Assert.Equal(0, tags["v2"].GetProperty("pullCount").GetInt64());
        Assert.False(tags["v2"].TryGetProperty("lastPulledTime", out _));

        var manifest = (await Acr.GetAsync(_client, $"/acr/v1/{repository}/_manifests/{image.Digest}")).GetProperty("manifest");
        Assert.Equal(3, manifest.GetProperty("pullCount").GetInt64());
    }

    [Fact]
    public async Task Counts_are_flushed_to_storage_within_the_interval()
    {
        var repository = OciClient.NewRepository();
        var image = await _client.PushImageAsync(repository, "v1");
        using (var pull = await _client.Http.GetAsync($"/v2/{repository}/manifests/v1"))
        {
            Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        }

        var path = Path.Combine(fixture.App.RegistryDirectory, "repositories", repository, "_meta", "pulls.json");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!File.Exists(path) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        using var stored = JsonDocument.Parse(await File.ReadAllBytesAsync(path));
        Assert.Equal(1, stored.RootElement.GetProperty("repository").GetProperty("count").GetInt64());
        Assert.Equal(1, stored.RootElement.GetProperty("tags").GetProperty("v1").GetProperty("count").GetInt64());
        Assert.Equal(1, stored.RootElement.GetProperty("manifests").GetProperty(image.Digest).GetProperty("count").GetInt64());
    }

    [Fact]
    public async Task Instances_flushing_at_once_add_their_counts_and_lose_none()
    {
        var root = Directory.CreateTempSubdirectory("registry-pulls-").FullName;
        try
        {
            var storage = new FileSystemStorageDriverFactory(root, flushToDisk: false);
            var recorders = Enumerable.Range(0, 4).Select(_ => new PullStatisticsRecorder(storage, TimeProvider.System, NullLogger<PullStatisticsRecorder>.Instance)).ToList();
            var repository = new RepositoryPath("default", "app");
            var digest = Digest.Compute(Digest.Sha256, "manifest"u8);

            await Task.WhenAll(recorders.Select(async recorder =>
            {
                for (var round = 0; round < 5; round++)
                {
                    for (var i = 0; i < 10; i++)
                    {
                        recorder.Record(repository, round % 2 == 0 ? "v1" : null, digest);
                    }

                    await recorder.FlushAsync(CancellationToken.None);
                }
            }));

            var fresh = new PullStatisticsRecorder(storage, TimeProvider.System, NullLogger<PullStatisticsRecorder>.Instance);
            var merged = await fresh.GetAsync(repository, CancellationToken.None);
            Assert.Equal(200, merged.Repository.Count);
            Assert.Equal(200, merged.Manifests[digest.ToString()].Count);
            Assert.Equal(120, merged.Tags["v1"].Count);
            Assert.NotNull(merged.Repository.LastPulledAt);

            // Counts not flushed yet are seen by their own instance, added to what is stored.
            recorders[0].Record(repository, "v2", digest);
            Assert.Equal(201, (await recorders[0].GetAsync(repository, CancellationToken.None)).Repository.Count);
            Assert.Equal(200, (await fresh.GetAsync(repository, CancellationToken.None)).Repository.Count);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
