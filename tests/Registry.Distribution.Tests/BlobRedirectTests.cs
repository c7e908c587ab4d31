using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Registry.Testing;

namespace Registry.Distribution.Tests;

/// <summary>
/// <c>Distribution:RedirectBlobReads</c> on Azure Blob storage (real Azurite): blob downloads are redirected to a
/// time-limited, read-only storage URL, as ACR redirects them, and a client following the redirect gets the exact bytes.
/// </summary>
[Collection(PlatformInfrastructure.Name)]
public sealed class BlobRedirectTests(AzuriteFixture azurite, RedisFixture redis) : IAsyncLifetime
{
    private readonly string _prefix = $"t{Guid.NewGuid():N}"[..12] + "-";
    private DistributionInstance _instance = null!;
    private OciClient _client = null!;

    public Task InitializeAsync()
    {
        _instance = new DistributionInstance(azurite.ConnectionString, redis.ConnectionString, _prefix, new Dictionary<string, string?>
        {
            ["Distribution:RedirectBlobReads"] = "true",
            ["Distribution:BlobReadUrlLifetime"] = "00:05:00",
        });
        _client = _instance.CreateOciClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _instance.DisposeAsync();
    }

    [Fact]
    public async Task A_blob_get_is_redirected_to_a_read_only_storage_url_that_serves_the_exact_bytes_and_ranges()
    {
        var repository = OciClient.NewRepository("redirect");
        var content = OciClient.RandomBytes(3 * 1024 * 1024 + 17);
        var digest = await _client.PushBlobAsync(repository, content);

        using var get = await _client.Http.GetAsync($"/v2/{repository}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.TemporaryRedirect, get.StatusCode);
        var location = get.Headers.Location!;
        Assert.Equal(new Uri(azurite.ConnectionString.Split(';').Single(part => part.StartsWith("BlobEndpoint=", StringComparison.Ordinal))["BlobEndpoint=".Length..]).Authority, location.Authority);
        var query = System.Web.HttpUtility.ParseQueryString(location.Query);
        Assert.Equal("r", query["sp"]);
        var expires = DateTimeOffset.Parse(query["se"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(6));

        using var storage = new HttpClient();
        Assert.Equal(content, await storage.GetByteArrayAsync(location));
        using var range = new HttpRequestMessage(HttpMethod.Get, location);
        range.Headers.Range = new RangeHeaderValue(1_000_000, 1_000_099);
        using var ranged = await storage.SendAsync(range);
        Assert.Equal(HttpStatusCode.PartialContent, ranged.StatusCode);
        Assert.Equal(content.AsSpan(1_000_000, 100).ToArray(), await ranged.Content.ReadAsByteArrayAsync());

        // Read-only: the URL cannot overwrite the blob.
        using var put = new HttpRequestMessage(HttpMethod.Put, location) { Content = new ByteArrayContent(RandomNumberGenerator.GetBytes(10)) };
        put.Headers.Add("x-ms-blob-type", "BlockBlob");
        using var refused = await storage.SendAsync(put);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(content, await storage.GetByteArrayAsync(location));
    }

    [Fact]
    public async Task Head_unknown_blobs_and_a_client_that_follows_redirects_are_served_as_before()
    {
        var repository = OciClient.NewRepository("redirect");
        var content = OciClient.RandomBytes(4096);
        var digest = await _client.PushBlobAsync(repository, content);

        using var head = await _client.SendAsync(HttpMethod.Head, $"/v2/{repository}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(content.Length, head.Content.Headers.ContentLength);

        using var unknown = await _client.Http.GetAsync($"/v2/{repository}/blobs/sha256:{new string('0', 64)}");
        await OciClient.AssertErrorAsync(unknown, HttpStatusCode.NotFound, "BLOB_UNKNOWN");

        using var following = new HttpClient { BaseAddress = _instance.BaseAddress };
        Assert.Equal(content, await following.GetByteArrayAsync($"/v2/{repository}/blobs/{digest}"));
    }
}
