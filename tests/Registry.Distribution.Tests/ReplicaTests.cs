using System.Net;
using System.Net.Http.Headers;
using Registry.Testing;

namespace Registry.Distribution.Tests;

/// <summary>
/// Two distribution instances over one Azurite and one Redis, as the platform runs them: stateless instances,
/// invalidation seen across instances, and Redis that can be flushed or restarted at any moment.
/// </summary>
[Collection(PlatformInfrastructure.Name)]
public sealed class ReplicaTests(AzuriteFixture azurite, RedisFixture redis) : IAsyncLifetime
{
    private readonly string _prefix = $"t{Guid.NewGuid():N}"[..12] + "-";
    private DistributionInstance _first = null!;
    private DistributionInstance _second = null!;
    private OciClient _a = null!;
    private OciClient _b = null!;

    public Task InitializeAsync()
    {
        _first = new DistributionInstance(azurite.ConnectionString, redis.ConnectionString, _prefix);
        _second = new DistributionInstance(azurite.ConnectionString, redis.ConnectionString, _prefix);
        _a = _first.CreateOciClient();
        _b = _second.CreateOciClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _a.Dispose();
        _b.Dispose();
        await _first.DisposeAsync();
        await _second.DisposeAsync();
    }

    [Theory]
    [InlineData("sha256")]
    [InlineData("sha512")]
    public async Task An_upload_started_on_one_instance_is_continued_and_finished_on_the_other(string algorithm)
    {
        var repository = OciClient.NewRepository("replicas");
        var content = OciClient.RandomBytes(9 * 1024 * 1024 + 123);
        var digest = OciClient.DigestOf(content, algorithm);

        using var start = await _a.SendAsync(HttpMethod.Post, $"/v2/{repository}/blobs/uploads/");
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var location = start.Headers.Location!.OriginalString;

        // Chunks alternate between the instances; each sees what the other appended.
        var clients = new[] { _a, _b, _a, _b };
        var chunk = content.Length / clients.Length + 1;
        for (var i = 0; i < clients.Length; i++)
        {
            var offset = i * chunk;
            var length = Math.Min(chunk, content.Length - offset);
            using var body = new ByteArrayContent(content, offset, length);
            body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            body.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + length - 1}");
            using var patch = await clients[i].SendAsync(HttpMethod.Patch, location, body);
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            Assert.Equal($"0-{offset + length - 1}", OciClient.Header(patch, "Range"));
            location = patch.Headers.Location!.OriginalString;
        }

        using (var status = await _a.SendAsync(HttpMethod.Get, location))
        {
            Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
            Assert.Equal($"0-{content.Length - 1}", OciClient.Header(status, "Range"));
        }

        using (var put = await _b.SendAsync(HttpMethod.Put, $"{location}?digest={digest}"))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        Assert.Equal(content, await _a.Http.GetByteArrayAsync(new Uri($"/v2/{repository}/blobs/{digest}", UriKind.Relative)));
        Assert.Equal(content, await _b.Http.GetByteArrayAsync(new Uri($"/v2/{repository}/blobs/{digest}", UriKind.Relative)));
    }

    [Fact]
    public async Task A_wrong_digest_on_the_other_instance_stores_nothing()
    {
        var repository = OciClient.NewRepository("replicas");
        var content = OciClient.RandomBytes(1024);
        using var start = await _a.SendAsync(HttpMethod.Post, $"/v2/{repository}/blobs/uploads/");
        using var patch = await _a.SendAsync(HttpMethod.Patch, start.Headers.Location!.OriginalString, new ByteArrayContent(content));
        var wrong = OciClient.DigestOf(OciClient.RandomBytes(16));

        using var put = await _b.SendAsync(HttpMethod.Put, $"{patch.Headers.Location!.OriginalString}?digest={wrong}");

        await OciClient.AssertErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        using var head = await _a.SendAsync(HttpMethod.Head, $"/v2/{repository}/blobs/{wrong}");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    [Fact]
    public async Task A_tag_moved_or_deleted_on_one_instance_is_seen_at_once_by_the_other()
    {
        var repository = OciClient.NewRepository("replicas");
        var first = await _a.PushImageAsync(repository, "v1");
        Assert.Equal(first.Digest, await HeadDigestAsync(_b, repository, "v1"));

        var second = await _a.PushImageAsync(repository, "v1");
        Assert.Equal(second.Digest, await HeadDigestAsync(_b, repository, "v1"));
        Assert.Equal(second.Manifest, await _b.Http.GetByteArrayAsync(new Uri($"/v2/{repository}/manifests/v1", UriKind.Relative)));

        using (var delete = await _a.SendAsync(HttpMethod.Delete, $"/v2/{repository}/manifests/{second.Digest}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }

        using var gone = await _b.SendAsync(HttpMethod.Head, $"/v2/{repository}/manifests/v1");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        using var goneByDigest = await _b.SendAsync(HttpMethod.Head, $"/v2/{repository}/manifests/{second.Digest}");
        Assert.Equal(HttpStatusCode.NotFound, goneByDigest.StatusCode);
    }

    [Fact]
    public async Task A_tag_moved_or_deleted_is_announced_on_the_invalidation_channel_naming_its_repository()
    {
        var repository = OciClient.NewRepository("announced");
        var other = OciClient.NewRepository("quiet");
        var first = await _a.PushImageAsync(repository, "v1");
        using var listener = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var announced = new System.Collections.Concurrent.ConcurrentQueue<(string Registry, string Repository)>();
        await listener.GetSubscriber().SubscribeAsync(
            StackExchange.Redis.RedisChannel.Literal(Registry.Security.CacheInvalidations.Channel),
            (_, message) =>
            {
                // Blob keys are announced too and change no manifest's answer: they do not parse.
                if (Registry.Security.CacheInvalidations.TryParseManifestKey(message.ToString(), out var registry, out var name))
                {
                    announced.Enqueue((registry, name));
                }
            });

        await _b.PushImageAsync(other, "v1");
        await _a.PushImageAsync(repository, "v1");
        using (var delete = await _b.SendAsync(HttpMethod.Delete, $"/v2/{repository}/manifests/{first.Digest}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }

        // Messages arrive in publish order on one connection: the last write's announcement means all were heard.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (announced.Count(change => change.Repository == repository) < 2 && !timeout.IsCancellationRequested)
        {
            await Task.Delay(20, timeout.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        Assert.All(announced, change => Assert.Equal("default", change.Registry));
        Assert.Contains(("default", other), announced);
        Assert.True(announced.Count(change => change.Repository == repository) >= 2, $"heard for {repository}: {string.Join(", ", announced)}");
    }

    [Fact]
    public async Task Flushing_Redis_loses_nothing_and_serves_nothing_stale()
    {
        var repository = OciClient.NewRepository("replicas");
        var image = await _a.PushImageAsync(repository, "v1");
        Assert.Equal(image.Digest, await HeadDigestAsync(_b, repository, "v1"));

        await redis.FlushAllAsync();

        Assert.Equal(image.Digest, await HeadDigestAsync(_a, repository, "v1"));
        var moved = await _b.PushImageAsync(repository, "v1");
        await redis.FlushAllAsync();
        Assert.Equal(moved.Digest, await HeadDigestAsync(_a, repository, "v1"));
        Assert.Equal(moved.Digest, await HeadDigestAsync(_b, repository, "v1"));
    }

    [Fact]
    public async Task With_Redis_down_pushes_and_pulls_still_work_and_nothing_is_stale_after_it_returns()
    {
        var repository = OciClient.NewRepository("replicas");
        var before = await _a.PushImageAsync(repository, "v1");
        Assert.Equal(before.Digest, await HeadDigestAsync(_b, repository, "v1"));

        await redis.StopAsync();
        try
        {
            var during = await _b.PushImageAsync(repository, "v1");
            Assert.Equal(during.Digest, await HeadDigestAsync(_a, repository, "v1"));
            Assert.Equal(during.Manifest, await _a.Http.GetByteArrayAsync(new Uri($"/v2/{repository}/manifests/v1", UriKind.Relative)));
        }
        finally
        {
            await redis.StartAgainAsync();
        }

        var after = await _a.PushImageAsync(repository, "v2");
        Assert.Equal(after.Digest, await HeadDigestAsync(_b, repository, "v2"));
        Assert.NotEqual(before.Digest, await HeadDigestAsync(_b, repository, "v1"));
    }

    private static async Task<string?> HeadDigestAsync(OciClient client, string repository, string reference)
    {
        using var head = await client.SendAsync(HttpMethod.Head, $"/v2/{repository}/manifests/{reference}");
        return head.StatusCode == HttpStatusCode.OK ? OciClient.Header(head, "Docker-Content-Digest") : null;
    }
}
