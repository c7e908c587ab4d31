using System.Net;
using System.Net.Http.Headers;

namespace Registry.Distribution.Tests;

public sealed class UploadTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private readonly OciClient _client = fixture.Client;

    private async Task<string> StartAsync(string repository)
    {
        using var response = await _client.Http.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return response.Headers.Location!.OriginalString;
    }

    private static HttpContent Streamed(byte[] content) => new StreamContent(new NonSeekableStream(content));

    private static HttpContent Chunk(byte[] content, long start)
    {
        var body = new ByteArrayContent(content);
        body.Headers.TryAddWithoutValidation("Content-Range", $"{start}-{start + content.Length - 1}");
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return body;
    }

    private async Task AssertBlobAsync(string repository, string digest, byte[] content)
    {
        using var response = await _client.Http.GetAsync($"/v2/{repository}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(content, await response.Content.ReadAsByteArrayAsync());
    }

    private async Task AssertNoBlobAsync(string repository, string digest)
    {
        using var response = await _client.SendAsync(HttpMethod.Head, $"/v2/{repository}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("/blobs/uploads/")]
    [InlineData("/blobs/uploads")]
    public async Task Post_starts_a_session_with_location_uuid_and_range(string suffix)
    {
        var repository = OciClient.NewRepository();

        using var response = await _client.Http.PostAsync($"/v2/{repository}{suffix}", null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var uuid = OciClient.Header(response, "Docker-Upload-UUID");
        Assert.False(string.IsNullOrEmpty(uuid));
        Assert.Equal($"/v2/{repository}/blobs/uploads/{uuid}", response.Headers.Location?.OriginalString);
        Assert.Equal("0-0", OciClient.Header(response, "Range"));
    }

    [Fact]
    public async Task Monolithic_post_with_digest_creates_the_blob()
    {
        var repository = OciClient.NewRepository();
        var content = OciClient.RandomBytes(5000);
        var digest = OciClient.DigestOf(content);

        using var response = await _client.Http.PostAsync($"/v2/{repository}/blobs/uploads/?digest={digest}", new ByteArrayContent(content));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/v2/{repository}/blobs/{digest}", response.Headers.Location?.OriginalString);
        Assert.Equal(digest, OciClient.Header(response, "Docker-Content-Digest"));
        await AssertBlobAsync(repository, digest, content);
    }

    [Fact]
    public async Task Monolithic_post_with_a_wrong_digest_stores_nothing()
    {
        var repository = OciClient.NewRepository();
        var content = OciClient.RandomBytes(100);
        var claimed = OciClient.DigestOf(OciClient.RandomBytes(100));

        using var response = await _client.Http.PostAsync($"/v2/{repository}/blobs/uploads/?digest={claimed}", new ByteArrayContent(content));

        await OciClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await AssertNoBlobAsync(repository, claimed);
        await AssertNoBlobAsync(repository, OciClient.DigestOf(content));
        Assert.False(BlobFileExists(OciClient.DigestOf(content)));
        Assert.False(BlobFileExists(claimed));
    }

    [Fact]
    public async Task Mount_from_a_repository_that_has_the_blob_is_201()
    {
        var source = OciClient.NewRepository();
        var target = OciClient.NewRepository();
        var content = OciClient.RandomBytes(700);
        var digest = await _client.PushBlobAsync(source, content);

        using var response = await _client.Http.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}&from={source}", null);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/v2/{target}/blobs/{digest}", response.Headers.Location?.OriginalString);
        Assert.Equal(digest, OciClient.Header(response, "Docker-Content-Digest"));
        await AssertBlobAsync(target, digest, content);
    }

    [Fact]
    public async Task Mount_without_from_is_201_when_the_blob_is_anywhere_in_the_registry()
    {
        var source = OciClient.NewRepository();
        var target = OciClient.NewRepository();
        var content = OciClient.RandomBytes(70);
        var digest = await _client.PushBlobAsync(source, content);

        using var response = await _client.Http.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}", null);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(digest, OciClient.Header(response, "Docker-Content-Digest"));
        await AssertBlobAsync(target, digest, content);
    }

    [Fact]
    public async Task Mount_of_an_unknown_blob_starts_an_upload_instead()
    {
        var target = OciClient.NewRepository();
        var digest = OciClient.DigestOf(OciClient.RandomBytes(70));

        using var response = await _client.Http.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}&from={OciClient.NewRepository()}", null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var uuid = OciClient.Header(response, "Docker-Upload-UUID");
        Assert.Equal($"/v2/{target}/blobs/uploads/{uuid}", response.Headers.Location?.OriginalString);
        await AssertNoBlobAsync(target, digest);
    }

    [Fact]
    public async Task Mount_from_a_repository_that_lacks_the_blob_does_not_mount_it()
    {
        var owner = OciClient.NewRepository();
        var unrelated = OciClient.NewRepository();
        var target = OciClient.NewRepository();
        var digest = await _client.PushBlobAsync(owner, OciClient.RandomBytes(70));
        await _client.PushBlobAsync(unrelated, OciClient.RandomBytes(7));

        using var response = await _client.Http.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}&from={unrelated}", null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await AssertNoBlobAsync(target, digest);
    }

    [Fact]
    public async Task Mount_with_invalid_digest_or_source_name_is_refused()
    {
        var target = OciClient.NewRepository();
        using var badDigest = await _client.Http.PostAsync($"/v2/{target}/blobs/uploads/?mount=sha256:nope&from=a", null);
        await OciClient.AssertErrorAsync(badDigest, HttpStatusCode.BadRequest, "DIGEST_INVALID");

        var digest = OciClient.DigestOf([1]);
        using var badFrom = await _client.Http.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}&from=Bad/Name", null);
        await OciClient.AssertErrorAsync(badFrom, HttpStatusCode.BadRequest, "NAME_INVALID");
    }

    [Fact]
    public async Task Streamed_patches_then_put_without_body()
    {
        var repository = OciClient.NewRepository();
        var first = OciClient.RandomBytes(100_000);
        var second = OciClient.RandomBytes(33_333);
        var location = await StartAsync(repository);

        using (var patch = await _client.SendAsync(HttpMethod.Patch, location, Streamed(first)))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            Assert.Equal("0-99999", OciClient.Header(patch, "Range"));
            Assert.Equal(location, patch.Headers.Location?.OriginalString);
            Assert.False(string.IsNullOrEmpty(OciClient.Header(patch, "Docker-Upload-UUID")));
            location = patch.Headers.Location!.OriginalString;
        }

        using (var patch = await _client.SendAsync(HttpMethod.Patch, location, Streamed(second)))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            Assert.Equal("0-133332", OciClient.Header(patch, "Range"));
        }

        var content = first.Concat(second).ToArray();
        var digest = OciClient.DigestOf(content);
        using var put = await _client.SendAsync(HttpMethod.Put, $"{location}?digest={digest}");

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal($"/v2/{repository}/blobs/{digest}", put.Headers.Location?.OriginalString);
        Assert.Equal(digest, OciClient.Header(put, "Docker-Content-Digest"));
        await AssertBlobAsync(repository, digest, content);
    }

    [Fact]
    public async Task Ordered_chunks_with_content_range_then_put_with_a_final_body()
    {
        var repository = OciClient.NewRepository();
        var content = OciClient.RandomBytes(30);
        var location = await StartAsync(repository);

        using (var patch = await _client.SendAsync(HttpMethod.Patch, location, Chunk(content[..10], 0)))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            Assert.Equal("0-9", OciClient.Header(patch, "Range"));
        }

        using (var patch = await _client.SendAsync(HttpMethod.Patch, location, Chunk(content[10..20], 10)))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            Assert.Equal("0-19", OciClient.Header(patch, "Range"));
        }

        var digest = OciClient.DigestOf(content);
        using var put = await _client.SendAsync(HttpMethod.Put, $"{location}?digest={digest}", Chunk(content[20..], 20));

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await AssertBlobAsync(repository, digest, content);
    }

    [Fact]
    public async Task Put_with_the_whole_body_after_post()
    {
        var repository = OciClient.NewRepository();
        var content = OciClient.RandomBytes(1000);
        var location = await StartAsync(repository);
        var digest = OciClient.DigestOf(content);

        using var put = await _client.SendAsync(HttpMethod.Put, $"{location}?digest={digest}", new ByteArrayContent(content));

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await AssertBlobAsync(repository, digest, content);
    }

    [Fact]
    public async Task Out_of_order_chunk_is_416_with_the_current_range()
    {
        var repository = OciClient.NewRepository();
        var content = OciClient.RandomBytes(30);
        var location = await StartAsync(repository);
        using (await _client.SendAsync(HttpMethod.Patch, location, Chunk(content[..10], 0)))
        {
        }

        using var skipped = await _client.SendAsync(HttpMethod.Patch, location, Chunk(content[20..], 20));
        Assert.Equal("0-9", OciClient.Header(skipped, "Range"));
        Assert.Equal(location, skipped.Headers.Location?.OriginalString);
        await OciClient.AssertErrorAsync(skipped, HttpStatusCode.RequestedRangeNotSatisfiable, "RANGE_INVALID");

        using var repeated = await _client.SendAsync(HttpMethod.Patch, location, Chunk(content[..10], 0));
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, repeated.StatusCode);
        Assert.Equal("0-9", OciClient.Header(repeated, "Range"));

        // The session is intact: continuing in order still completes the right blob.
        using (var next = await _client.SendAsync(HttpMethod.Patch, location, Chunk(content[10..], 10)))
        {
            Assert.Equal(HttpStatusCode.Accepted, next.StatusCode);
        }

        var digest = OciClient.DigestOf(content);
        using var put = await _client.SendAsync(HttpMethod.Put, $"{location}?digest={digest}");
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await AssertBlobAsync(repository, digest, content);
    }

    [Fact]
    public async Task Content_range_that_disagrees_with_content_length_is_refused()
    {
        var repository = OciClient.NewRepository();
        var location = await StartAsync(repository);
        var body = new ByteArrayContent(OciClient.RandomBytes(5));
        body.Headers.TryAddWithoutValidation("Content-Range", "0-9");

        using var response = await _client.SendAsync(HttpMethod.Patch, location, body);

        await OciClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "SIZE_INVALID");
    }

    [Fact]
    public async Task Malformed_content_range_is_blob_upload_invalid()
    {
        var repository = OciClient.NewRepository();
        var location = await StartAsync(repository);
        var body = new ByteArrayContent(OciClient.RandomBytes(5));
        body.Headers.TryAddWithoutValidation("Content-Range", "five-ten");

        using var response = await _client.SendAsync(HttpMethod.Patch, location, body);

        await OciClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "BLOB_UPLOAD_INVALID");
    }

    [Fact]
    public async Task Get_status_is_204_with_the_range()
    {
        var repository = OciClient.NewRepository();
        var location = await StartAsync(repository);
        using (await _client.SendAsync(HttpMethod.Patch, location, Streamed(OciClient.RandomBytes(42))))
        {
        }

        using var status = await _client.Http.GetAsync(location);

        Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
        Assert.Equal("0-41", OciClient.Header(status, "Range"));
        Assert.Equal(location, status.Headers.Location?.OriginalString);
        Assert.Equal(location.Split('/')[^1], OciClient.Header(status, "Docker-Upload-UUID"));
    }

    [Fact]
    public async Task Delete_cancels_the_session()
    {
        var repository = OciClient.NewRepository();
        var location = await StartAsync(repository);
        using (await _client.SendAsync(HttpMethod.Patch, location, Streamed(OciClient.RandomBytes(42))))
        {
        }

        using var cancel = await _client.SendAsync(HttpMethod.Delete, location);
        Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);

        using var status = await _client.Http.GetAsync(location);
        await OciClient.AssertErrorAsync(status, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using var patch = await _client.SendAsync(HttpMethod.Patch, location, Streamed([1, 2, 3]));
        await OciClient.AssertErrorAsync(patch, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using var put = await _client.SendAsync(HttpMethod.Put, $"{location}?digest={OciClient.DigestOf([1, 2, 3])}");
        await OciClient.AssertErrorAsync(put, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using var again = await _client.SendAsync(HttpMethod.Delete, location);
        await OciClient.AssertErrorAsync(again, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        Assert.False(Directory.Exists(Path.Combine(fixture.App.RegistryDirectory, "uploads", location.Split('/')[^1])));
    }

    [Fact]
    public async Task Wrong_digest_on_put_is_digest_invalid_and_stores_nothing()
    {
        var repository = OciClient.NewRepository();
        var content = OciClient.RandomBytes(500);
        var location = await StartAsync(repository);
        using (await _client.SendAsync(HttpMethod.Patch, location, Streamed(content)))
        {
        }

        var claimed = OciClient.DigestOf(OciClient.RandomBytes(500));
        using var put = await _client.SendAsync(HttpMethod.Put, $"{location}?digest={claimed}");

        var error = await OciClient.AssertErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        Assert.Equal(claimed, error.GetProperty("detail").GetProperty("expected").GetString());
        await AssertNoBlobAsync(repository, claimed);
        await AssertNoBlobAsync(repository, OciClient.DigestOf(content));
        Assert.False(BlobFileExists(claimed));
        Assert.False(BlobFileExists(OciClient.DigestOf(content)));
    }

    [Fact]
    public async Task Put_without_digest_is_refused_and_the_session_survives()
    {
        var repository = OciClient.NewRepository();
        var content = OciClient.RandomBytes(10);
        var location = await StartAsync(repository);
        using (await _client.SendAsync(HttpMethod.Patch, location, Streamed(content)))
        {
        }

        using var put = await _client.SendAsync(HttpMethod.Put, location);
        await OciClient.AssertErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");

        using var status = await _client.Http.GetAsync(location);
        Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
    }

    [Fact]
    public async Task Sha512_chunked_upload()
    {
        var repository = OciClient.NewRepository();
        var content = OciClient.RandomBytes(20_000);
        var location = await StartAsync(repository);
        using (var patch = await _client.SendAsync(HttpMethod.Patch, location, Chunk(content[..12_000], 0)))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        }

        var digest = OciClient.DigestOf(content, "sha512");
        using var put = await _client.SendAsync(HttpMethod.Put, $"{location}?digest={digest}", Chunk(content[12_000..], 12_000));

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(digest, OciClient.Header(put, "Docker-Content-Digest"));
        await AssertBlobAsync(repository, digest, content);
    }

    [Fact]
    public async Task A_session_belongs_to_its_repository()
    {
        var repository = OciClient.NewRepository();
        var other = OciClient.NewRepository();
        var location = await StartAsync(repository);
        var uuid = location.Split('/')[^1];

        using var status = await _client.Http.GetAsync($"/v2/{other}/blobs/uploads/{uuid}");
        await OciClient.AssertErrorAsync(status, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using var patch = await _client.SendAsync(HttpMethod.Patch, $"/v2/{other}/blobs/uploads/{uuid}", Streamed([1]));
        await OciClient.AssertErrorAsync(patch, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
    }

    [Theory]
    [InlineData("not-an-upload")]
    [InlineData("0123456789abcdef0123456789abcdef")]
    [InlineData("0123456789ABCDEF0123456789ABCDEF")]
    public async Task Unknown_session_is_blob_upload_unknown(string uuid)
    {
        var repository = OciClient.NewRepository();
        using var status = await _client.Http.GetAsync($"/v2/{repository}/blobs/uploads/{uuid}");
        await OciClient.AssertErrorAsync(status, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using var cancel = await _client.SendAsync(HttpMethod.Delete, $"/v2/{repository}/blobs/uploads/{uuid}");
        await OciClient.AssertErrorAsync(cancel, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using var put = await _client.SendAsync(HttpMethod.Put, $"/v2/{repository}/blobs/uploads/{uuid}?digest={OciClient.DigestOf([])}");
        await OciClient.AssertErrorAsync(put, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
    }

    [Fact]
    public async Task Completed_session_is_gone()
    {
        var repository = OciClient.NewRepository();
        var content = OciClient.RandomBytes(10);
        var location = await StartAsync(repository);
        var digest = OciClient.DigestOf(content);
        using (var put = await _client.SendAsync(HttpMethod.Put, $"{location}?digest={digest}", new ByteArrayContent(content)))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        using var status = await _client.Http.GetAsync(location);
        await OciClient.AssertErrorAsync(status, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
    }

    [Fact]
    public async Task Blobs_larger_than_the_default_request_limit_stream_through()
    {
        var repository = OciClient.NewRepository();
        var content = OciClient.RandomBytes(40 * 1024 * 1024);
        var location = await StartAsync(repository);

        using (var patch = await _client.SendAsync(HttpMethod.Patch, location, Streamed(content)))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            Assert.Equal($"0-{content.Length - 1}", OciClient.Header(patch, "Range"));
        }

        var digest = OciClient.DigestOf(content);
        using var put = await _client.SendAsync(HttpMethod.Put, $"{location}?digest={digest}");
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var head = await _client.SendAsync(HttpMethod.Head, $"/v2/{repository}/blobs/{digest}");
        Assert.Equal(content.Length, head.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task Pushing_an_existing_blob_again_succeeds()
    {
        var repository = OciClient.NewRepository();
        var content = OciClient.RandomBytes(100);
        var digest = await _client.PushBlobAsync(repository, content);

        Assert.Equal(digest, await _client.PushBlobAsync(OciClient.NewRepository(), content));
        Assert.Equal(digest, await _client.PushBlobAsync(repository, content));
        await AssertBlobAsync(repository, digest, content);
    }

    private bool BlobFileExists(string digest)
    {
        var parts = digest.Split(':');
        return File.Exists(Path.Combine(fixture.App.RegistryDirectory, "blobs", parts[0], parts[1][..2], parts[1], "data"));
    }
}

/// <summary>A body without a length, so HttpClient streams it with chunked transfer encoding as docker does.</summary>
internal sealed class NonSeekableStream(byte[] content) : Stream
{
    private readonly MemoryStream _inner = new(content);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 8192));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        _inner.Dispose();
        base.Dispose(disposing);
    }
}
