using System.Net;
using System.Text;

namespace Registry.Distribution.Tests;

public sealed class ConcurrencyTests(IsolatedRegistryFixture fixture) : IClassFixture<IsolatedRegistryFixture>
{
    private readonly OciClient _client = fixture.Client;

    [Fact]
    public async Task Parallel_pushes_of_one_tag_leave_exactly_one_of_them()
    {
        const int pushes = 32;
        var repository = OciClient.NewRepository("race");
        var config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux"}""");
        var layer = OciClient.RandomBytes(1000);
        var configDescriptor = OciClient.Descriptor(OciClient.OciConfig, await _client.PushBlobAsync(repository, config), config.Length);
        var layerDescriptor = OciClient.Descriptor(OciClient.OciLayer, await _client.PushBlobAsync(repository, layer), layer.Length);
        var manifests = Enumerable.Range(0, pushes)
            .Select(i => OciClient.ImageManifest(OciClient.OciManifest, configDescriptor, [layerDescriptor], annotations: new Dictionary<string, string> { ["n"] = $"{i}" }))
            .ToList();
        var digests = manifests.Select(m => OciClient.DigestOf(m)).ToHashSet();

        using var start = new ManualResetEventSlim();
        var tasks = manifests.Select(manifest => Task.Run(async () =>
        {
            start.Wait();
            using var response = await _client.PutManifestAsync(repository, "contended", manifest, OciClient.OciManifest);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(tasks);

        Assert.All(results, result => Assert.True(result.StatusCode == HttpStatusCode.Created, $"{(int)result.StatusCode} {result.Item2}"));

        using var get = await _client.Http.GetAsync($"/v2/{repository}/manifests/contended");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        var body = await get.Content.ReadAsByteArrayAsync();
        var served = OciClient.Header(get, "Docker-Content-Digest")!;
        Assert.Contains(served, digests);
        Assert.Equal(served, OciClient.DigestOf(body));
        Assert.Contains(body, manifests);

        // What the host serves is what storage holds: no cache may keep a loser of the race.
        var link = Path.Combine(fixture.App.RegistryDirectory, "repositories", repository, "_manifests", "tags", "contended", "current", "link");
        Assert.Equal(served, await File.ReadAllTextAsync(link));

        using var head = await _client.SendAsync(HttpMethod.Head, $"/v2/{repository}/manifests/contended");
        Assert.Equal(served, OciClient.Header(head, "Docker-Content-Digest"));

        // Every manifest was stored and stays reachable by digest.
        foreach (var digest in digests)
        {
            using var byDigest = await _client.SendAsync(HttpMethod.Head, $"/v2/{repository}/manifests/{digest}");
            Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
        }

        // Where this test's writes went; the host's background services (clean-up lease, usage, pull counts) write
        // elsewhere and may be mid-write right now.
        var leftovers = new[] { Path.Combine(fixture.App.RegistryDirectory, "repositories", repository), Path.Combine(fixture.App.RegistryDirectory, "blobs") }
            .SelectMany(directory => Directory.EnumerateFiles(directory, "*.tmp", SearchOption.AllDirectories))
            .ToList();
        Assert.True(leftovers.Count == 0, $"temporary files left behind: {string.Join(", ", leftovers)}");
    }

    [Fact]
    public async Task Parallel_chunks_at_the_same_offset_admit_one_and_never_mix_content()
    {
        const int chunks = 8;
        var repository = OciClient.NewRepository("race");
        using var post = await _client.Http.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        var location = post.Headers.Location!.OriginalString;
        var contents = Enumerable.Range(0, chunks).Select(_ => OciClient.RandomBytes(2 * 1024 * 1024)).ToList();

        using var start = new ManualResetEventSlim();
        var tasks = contents.Select(content => Task.Run(async () =>
        {
            start.Wait();
            var body = new ByteArrayContent(content);
            body.Headers.TryAddWithoutValidation("Content-Range", $"0-{content.Length - 1}");
            using var response = await _client.SendAsync(HttpMethod.Patch, location, body);
            return response.StatusCode;
        })).ToList();
        start.Set();
        var statuses = await Task.WhenAll(tasks);

        var accepted = Enumerable.Range(0, chunks).Where(i => statuses[i] == HttpStatusCode.Accepted).ToList();
        Assert.All(statuses, status => Assert.Contains(status, new[] { HttpStatusCode.Accepted, HttpStatusCode.RequestedRangeNotSatisfiable }));
        var winner = contents[Assert.Single(accepted)];

        var digest = OciClient.DigestOf(winner);
        using var put = await _client.SendAsync(HttpMethod.Put, $"{location}?digest={digest}");
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var get = await _client.Http.GetAsync($"/v2/{repository}/blobs/{digest}");
        Assert.Equal(winner, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Parallel_pushes_of_the_same_blob_all_succeed()
    {
        var repository = OciClient.NewRepository("race");
        var content = OciClient.RandomBytes(200_000);
        var digest = OciClient.DigestOf(content);

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => _client.PushBlobAsync(repository, content))));

        Assert.All(results, result => Assert.Equal(digest, result));
        using var get = await _client.Http.GetAsync($"/v2/{repository}/blobs/{digest}");
        Assert.Equal(content, await get.Content.ReadAsByteArrayAsync());
        Assert.Empty(Directory.EnumerateFiles(fixture.DataDirectory, "*.tmp", SearchOption.AllDirectories));
    }
}

/// <summary>Two hosts on one data directory: any instance can continue an upload another started (DESIGN.md principle 4).</summary>
public sealed class MultiInstanceTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("registry-tests-multi-").FullName;
    private RegistryApp _first = null!;
    private RegistryApp _second = null!;
    private OciClient _a = null!;
    private OciClient _b = null!;

    public Task InitializeAsync()
    {
        _first = new RegistryApp(_root);
        _second = new RegistryApp(_root);
        _a = _first.CreateOciClient();
        _b = _second.CreateOciClient();
        Assert.NotEqual(_first.BaseAddress, _second.BaseAddress);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _a.Dispose();
        _b.Dispose();
        await _first.DisposeAsync();
        await _second.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Upload_started_on_one_instance_is_patched_and_completed_on_the_other()
    {
        var repository = OciClient.NewRepository();
        var content = OciClient.RandomBytes(300_000);
        var digest = OciClient.DigestOf(content);

        using var post = await _a.Http.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
        var location = post.Headers.Location!.OriginalString;

        using (var patch = await _a.SendAsync(HttpMethod.Patch, location, Chunk(content[..100_000], 0)))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        }

        using (var patch = await _b.SendAsync(HttpMethod.Patch, location, Chunk(content[100_000..200_000], 100_000)))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            Assert.Equal("0-199999", OciClient.Header(patch, "Range"));
        }

        using (var status = await _a.Http.GetAsync(location))
        {
            Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
            Assert.Equal("0-199999", OciClient.Header(status, "Range"));
        }

        // A stale chunk sent to the first instance is refused with the range the second one advanced to.
        using (var stale = await _a.SendAsync(HttpMethod.Patch, location, Chunk(content[..100_000], 100_000)))
        {
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, stale.StatusCode);
            Assert.Equal("0-199999", OciClient.Header(stale, "Range"));
        }

        using (var patch = await _a.SendAsync(HttpMethod.Patch, location, Chunk(content[200_000..250_000], 200_000)))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        }

        using var put = await _b.SendAsync(HttpMethod.Put, $"{location}?digest={digest}", Chunk(content[250_000..], 250_000));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        foreach (var client in new[] { _a, _b })
        {
            using var get = await client.Http.GetAsync($"/v2/{repository}/blobs/{digest}");
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal(content, await get.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task Wrong_digest_after_a_cross_instance_upload_is_still_detected()
    {
        var repository = OciClient.NewRepository();
        var content = OciClient.RandomBytes(1000);
        using var post = await _b.Http.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        var location = post.Headers.Location!.OriginalString;
        using (await _b.SendAsync(HttpMethod.Patch, location, Chunk(content[..500], 0)))
        {
        }

        using (await _a.SendAsync(HttpMethod.Patch, location, Chunk(content[500..], 500)))
        {
        }

        var wrong = OciClient.DigestOf(content[..999]);
        using var put = await _b.SendAsync(HttpMethod.Put, $"{location}?digest={wrong}");
        await OciClient.AssertErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        using var head = await _a.SendAsync(HttpMethod.Head, $"/v2/{repository}/blobs/{wrong}");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    [Fact]
    public async Task Image_pushed_through_one_instance_is_pulled_through_the_other()
    {
        var repository = OciClient.NewRepository();
        var image = await _a.PushImageAsync(repository, "shared");

        using var get = await _b.Http.GetAsync($"/v2/{repository}/manifests/shared");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(image.Manifest, await get.Content.ReadAsByteArrayAsync());
    }

    private static ByteArrayContent Chunk(byte[] content, long start)
    {
        var body = new ByteArrayContent(content);
        body.Headers.TryAddWithoutValidation("Content-Range", $"{start}-{start + content.Length - 1}");
        return body;
    }
}
