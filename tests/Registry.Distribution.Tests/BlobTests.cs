using System.Net;
using System.Net.Http.Headers;

namespace Registry.Distribution.Tests;

public sealed class BlobTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private readonly OciClient _client = fixture.Client;

    [Fact]
    public async Task Head_gives_length_digest_and_etag_without_a_body()
    {
        var repository = OciClient.NewRepository();
        var content = OciClient.RandomBytes(1234);
        var digest = await _client.PushBlobAsync(repository, content);

        using var response = await _client.SendAsync(HttpMethod.Head, $"/v2/{repository}/blobs/{digest}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1234, response.Content.Headers.ContentLength);
        Assert.Equal(digest, OciClient.Header(response, "Docker-Content-Digest"));
        Assert.Equal($"\"{digest}\"", response.Headers.ETag?.Tag);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_returns_the_exact_bytes()
    {
        var repository = OciClient.NewRepository();
        var content = OciClient.RandomBytes(300_000);
        var digest = await _client.PushBlobAsync(repository, content);

        using var response = await _client.Http.GetAsync($"/v2/{repository}/blobs/{digest}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(content, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(content.Length, response.Content.Headers.ContentLength);
        Assert.Equal(digest, OciClient.Header(response, "Docker-Content-Digest"));
        Assert.Equal($"\"{digest}\"", response.Headers.ETag?.Tag);
        Assert.Equal("bytes", OciClient.Header(response, "Accept-Ranges"));
    }

    [Fact]
    public async Task If_none_match_with_the_etag_is_304()
    {
        var repository = OciClient.NewRepository();
        var digest = await _client.PushBlobAsync(repository, OciClient.RandomBytes(10));

        using var response = await _client.SendAsync(HttpMethod.Get, $"/v2/{repository}/blobs/{digest}", configure: request =>
            request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{digest}\"")));

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
    }

    [Theory]
    [InlineData(0L, 9L, 0, 10)]
    [InlineData(100L, 199L, 100, 100)]
    [InlineData(990L, 5000L, 990, 10)]
    [InlineData(500L, null, 500, 500)]
    public async Task Single_range_is_206_with_content_range(long from, long? to, int offset, int length)
    {
        var repository = OciClient.NewRepository();
        var content = OciClient.RandomBytes(1000);
        var digest = await _client.PushBlobAsync(repository, content);

        using var response = await _client.SendAsync(HttpMethod.Get, $"/v2/{repository}/blobs/{digest}", configure: request =>
            request.Headers.Range = new RangeHeaderValue(from, to));

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal($"bytes {offset}-{offset + length - 1}/1000", response.Content.Headers.ContentRange?.ToString());
        Assert.Equal(length, response.Content.Headers.ContentLength);
        Assert.Equal(content.AsSpan(offset, length).ToArray(), await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(digest, OciClient.Header(response, "Docker-Content-Digest"));
    }

    [Theory]
    [InlineData(10, 990, 10)]
    [InlineData(1000, 0, 1000)]
    [InlineData(5000, 0, 1000)]
    public async Task Suffix_range_gives_the_last_bytes(long suffix, int offset, int length)
    {
        var repository = OciClient.NewRepository();
        var content = OciClient.RandomBytes(1000);
        var digest = await _client.PushBlobAsync(repository, content);

        using var response = await _client.SendAsync(HttpMethod.Get, $"/v2/{repository}/blobs/{digest}", configure: request =>
            request.Headers.Range = new RangeHeaderValue(null, suffix));

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal($"bytes {offset}-{offset + length - 1}/1000", response.Content.Headers.ContentRange?.ToString());
        Assert.Equal(content.AsSpan(offset, length).ToArray(), await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("bytes=1000-")]
    [InlineData("bytes=2000-3000")]
    [InlineData("bytes=-0")]
    public async Task Unsatisfiable_range_is_416(string range)
    {
        var repository = OciClient.NewRepository();
        var digest = await _client.PushBlobAsync(repository, OciClient.RandomBytes(1000));

        using var response = await _client.SendAsync(HttpMethod.Get, $"/v2/{repository}/blobs/{digest}", configure: request =>
            request.Headers.TryAddWithoutValidation("Range", range));

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        Assert.Equal("bytes */1000", response.Content.Headers.ContentRange?.ToString());
        await OciClient.AssertErrorAsync(response, HttpStatusCode.RequestedRangeNotSatisfiable, "RANGE_INVALID");
    }

    [Fact]
    public async Task Multiple_ranges_are_ignored_and_the_whole_blob_is_served()
    {
        var repository = OciClient.NewRepository();
        var content = OciClient.RandomBytes(100);
        var digest = await _client.PushBlobAsync(repository, content);

        using var response = await _client.SendAsync(HttpMethod.Get, $"/v2/{repository}/blobs/{digest}", configure: request =>
            request.Headers.TryAddWithoutValidation("Range", "bytes=0-1,5-6"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(content, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Unknown_blob_is_404_blob_unknown()
    {
        var repository = OciClient.NewRepository();
        await _client.PushBlobAsync(repository, OciClient.RandomBytes(5));
        var missing = OciClient.DigestOf(OciClient.RandomBytes(5));

        using var get = await _client.Http.GetAsync($"/v2/{repository}/blobs/{missing}");
        using var head = await _client.SendAsync(HttpMethod.Head, $"/v2/{repository}/blobs/{missing}");

        var error = await OciClient.AssertErrorAsync(get, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        Assert.Equal(missing, error.GetProperty("detail").GetProperty("digest").GetString());
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_blob_is_only_reachable_from_repositories_that_link_it()
    {
        var owner = OciClient.NewRepository();
        var other = OciClient.NewRepository();
        var digest = await _client.PushBlobAsync(owner, OciClient.RandomBytes(50));
        await _client.PushBlobAsync(other, OciClient.RandomBytes(5));

        using var response = await _client.Http.GetAsync($"/v2/{other}/blobs/{digest}");

        await OciClient.AssertErrorAsync(response, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Theory]
    [InlineData("sha256:abc")]
    [InlineData("sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("latest")]
    public async Task Invalid_digest_is_400_digest_invalid(string digest)
    {
        using var response = await _client.Http.GetAsync($"/v2/{OciClient.NewRepository()}/blobs/{digest}");

        await OciClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Fact]
    public async Task Delete_unlinks_the_blob_from_the_repository()
    {
        var repository = OciClient.NewRepository();
        var other = OciClient.NewRepository();
        var content = OciClient.RandomBytes(64);
        var digest = await _client.PushBlobAsync(repository, content);
        await _client.PushBlobAsync(other, content);

        using var delete = await _client.SendAsync(HttpMethod.Delete, $"/v2/{repository}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        Assert.Equal(digest, OciClient.Header(delete, "Docker-Content-Digest"));

        using var head = await _client.SendAsync(HttpMethod.Head, $"/v2/{repository}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        using var again = await _client.SendAsync(HttpMethod.Delete, $"/v2/{repository}/blobs/{digest}");
        await OciClient.AssertErrorAsync(again, HttpStatusCode.NotFound, "BLOB_UNKNOWN");

        using var stillThere = await _client.Http.GetAsync($"/v2/{other}/blobs/{digest}");
        Assert.Equal(content, await stillThere.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Sha512_blobs_are_stored_and_served()
    {
        var repository = OciClient.NewRepository();
        var content = OciClient.RandomBytes(4096);
        var digest = await _client.PushBlobAsync(repository, content, "sha512");
        Assert.StartsWith("sha512:", digest, StringComparison.Ordinal);

        using var response = await _client.Http.GetAsync($"/v2/{repository}/blobs/{digest}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(digest, OciClient.Header(response, "Docker-Content-Digest"));
        Assert.Equal(content, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Empty_blob_round_trips()
    {
        var repository = OciClient.NewRepository();
        var digest = await _client.PushBlobAsync(repository, []);

        using var response = await _client.Http.GetAsync($"/v2/{repository}/blobs/{digest}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, response.Content.Headers.ContentLength);
        Assert.Equal("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", OciClient.Header(response, "Docker-Content-Digest"));
    }

    [Fact]
    public async Task A_large_blob_is_sent_by_the_kernel_whole_and_exact_and_the_connection_then_closes()
    {
        var repository = OciClient.NewRepository();
        var content = OciClient.RandomBytes(6 * 1024 * 1024 + 123);
        var digest = await _client.PushBlobAsync(repository, content);

        using var response = await _client.Http.GetAsync($"/v2/{repository}/blobs/{digest}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.ConnectionClose, "a blob sent with sendfile ends its connection");
        Assert.Equal(content, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(content.Length, response.Content.Headers.ContentLength);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(digest, OciClient.Header(response, "Docker-Content-Digest"));
        Assert.Equal($"\"{digest}\"", response.Headers.ETag?.Tag);
        Assert.Equal("registry/2.0", OciClient.Header(response, "Docker-Distribution-API-Version"));

        using var next = await _client.SendAsync(HttpMethod.Head, $"/v2/{repository}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task Concurrent_large_pulls_all_receive_every_byte()
    {
        var repository = OciClient.NewRepository();
        var contents = Enumerable.Range(0, 3).Select(_ => OciClient.RandomBytes(3 * 1024 * 1024)).ToArray();
        var digests = new List<string>();
        foreach (var content in contents)
        {
            digests.Add(await _client.PushBlobAsync(repository, content));
        }

        var pulls = Enumerable.Range(0, 12).Select(async i =>
        {
            using var response = await _client.Http.GetAsync($"/v2/{repository}/blobs/{digests[i % 3]}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (i % 3, await response.Content.ReadAsByteArrayAsync());
        });

        foreach (var (index, received) in await Task.WhenAll(pulls))
        {
            Assert.Equal(contents[index], received);
        }
    }

    [Fact]
    public async Task Clients_that_close_as_soon_as_a_large_blob_has_arrived_leave_no_error_behind()
    {
        var repository = OciClient.NewRepository();
        var content = OciClient.RandomBytes(16 * 1024 * 1024);
        var digest = await _client.PushBlobAsync(repository, content);
        var request = RawBlobGet(repository, digest);

        var logged = fixture.App.Log.Lines;

        // Each client hangs up the moment the last byte is in, racing the server's own shutdown of the connection.
        await Parallel.ForEachAsync(Enumerable.Range(0, 48), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, cancellationToken) =>
        {
            using var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync(fixture.App.BaseAddress.Host, fixture.App.BaseAddress.Port, cancellationToken);
            var stream = tcp.GetStream();
            await stream.WriteAsync(request, cancellationToken);
            var received = new List<byte>(content.Length + 4096);
            var buffer = new byte[256 * 1024];
            var bodyStart = -1;
            while (bodyStart < 0 || received.Count < bodyStart + content.Length)
            {
                var read = await stream.ReadAsync(buffer, cancellationToken);
                Assert.True(read > 0, "the connection ended before the whole blob arrived");
                received.AddRange(buffer.AsSpan(0, read));
                if (bodyStart < 0 && System.Runtime.InteropServices.CollectionsMarshal.AsSpan(received).IndexOf("\r\n\r\n"u8) is var headEnd and >= 0)
                {
                    bodyStart = headEnd + 4;
                }
            }

            tcp.Close();
            var text = received.ToArray();
            Assert.StartsWith("HTTP/1.1 200", System.Text.Encoding.ASCII.GetString(text, 0, 12));
            Assert.Equal(content, text[bodyStart..]);
        });

        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.DoesNotContain(fixture.App.Log.Lines.Except(logged), line => line.Contains("Error", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_range_of_a_large_blob_and_a_small_blob_keep_the_connection_open()
    {
        var repository = OciClient.NewRepository();
        var large = OciClient.RandomBytes(2 * 1024 * 1024);
        var largeDigest = await _client.PushBlobAsync(repository, large);
        var smallDigest = await _client.PushBlobAsync(repository, OciClient.RandomBytes(1000));

        using var range = await _client.SendAsync(HttpMethod.Get, $"/v2/{repository}/blobs/{largeDigest}", configure: request =>
            request.Headers.Range = new RangeHeaderValue(1_000_000, 1_999_999));
        using var small = await _client.Http.GetAsync($"/v2/{repository}/blobs/{smallDigest}");

        Assert.Equal(HttpStatusCode.PartialContent, range.StatusCode);
        Assert.Equal(large.AsSpan(1_000_000, 1_000_000).ToArray(), await range.Content.ReadAsByteArrayAsync());
        Assert.NotEqual(true, range.Headers.ConnectionClose);
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        Assert.NotEqual(true, small.Headers.ConnectionClose);
    }

    [Fact]
    public async Task A_client_that_stops_reading_a_large_blob_is_cut_off_as_kestrel_would()
    {
        var repository = OciClient.NewRepository();
        var content = OciClient.RandomBytes(48 * 1024 * 1024);
        var digest = await _client.PushBlobAsync(repository, content);

        using var tcp = new System.Net.Sockets.TcpClient();
        tcp.ReceiveBufferSize = 64 * 1024;
        await tcp.ConnectAsync(fixture.App.BaseAddress.Host, fixture.App.BaseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(RawBlobGet(repository, digest));

        // Kestrel's minimum response data rate (240 bytes/s, judged every 5 s grace period) applies to what the client
        // acknowledges: reading nothing for 12 s stalls the send, and the server gives up on the connection.
        await Task.Delay(TimeSpan.FromSeconds(12));
        long received = 0;
        var buffer = new byte[1024 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received += read;
            }
        }
        catch (IOException)
        {
            // reset by the server
        }

        Assert.False(timeout.IsCancellationRequested, "the server kept the stalled connection open");
        Assert.True(received < content.Length, $"received {received} bytes of a {content.Length}-byte blob: the send was not cut off");
    }

    /// <summary>A blob GET as a client writes it on a raw connection.</summary>
    private byte[] RawBlobGet(string repository, string digest) =>
        System.Text.Encoding.ASCII.GetBytes($"GET /v2/{repository}/blobs/{digest} HTTP/1.1\r\nHost: {fixture.App.BaseAddress.Authority}\r\n\r\n");
}
