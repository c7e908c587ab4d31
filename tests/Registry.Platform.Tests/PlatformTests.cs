using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Registry.Platform.Tests;

/// <summary>
/// Starts the whole platform as <c>dotnet run --project AppHost</c> would — distribution replicas on Azurite with
/// Redis and RabbitMQ as local executables — and pushes and pulls through it.
/// </summary>
public sealed class PlatformTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Platform_on_local_executables_accepts_a_push_and_serves_the_same_bytes_from_every_replica()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("registry-platform-").FullName;
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Registry_AppHost>(
            ["Infrastructure:Mode=Executables", $"Infrastructure:DataDirectory={dataDirectory}", "Distribution:Replicas=2"]);
        appHost.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));

        await using var app = await appHost.BuildAsync();
        using var cancellation = new CancellationTokenSource(StartTimeout);
        await app.StartAsync(cancellation.Token);
        await app.ResourceNotifications.WaitForResourceHealthyAsync("distribution", cancellation.Token);

        using var client = app.CreateHttpClient("distribution");
        using (var ping = await client.GetAsync(new Uri("/v2/", UriKind.Relative), cancellation.Token))
        {
            Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
            Assert.Equal("registry/2.0", ping.Headers.GetValues("Docker-Distribution-API-Version").Single());
        }

        var layer = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        var config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}""");
        var layerDigest = await PushBlobInChunksAsync(client, "platform/app", layer, cancellation.Token);
        var configDigest = await PushBlobInChunksAsync(client, "platform/app", config, cancellation.Token);
        var manifest = Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{configDigest}}","size":{{config.Length}}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{{layerDigest}}","size":{{layer.Length}}}]}""");
        using (var put = new HttpRequestMessage(HttpMethod.Put, "/v2/platform/app/manifests/v1") { Content = new ByteArrayContent(manifest) })
        {
            put.Content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.oci.image.manifest.v1+json");
            using var response = await client.SendAsync(put, cancellation.Token);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        // The proxy spreads requests over both replicas; every read must agree with what was pushed.
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(manifest, await client.GetByteArrayAsync(new Uri("/v2/platform/app/manifests/v1", UriKind.Relative), cancellation.Token));
            Assert.Equal(layer, await client.GetByteArrayAsync(new Uri($"/v2/platform/app/blobs/{layerDigest}", UriKind.Relative), cancellation.Token));
        }

        Assert.Contains("v1", await client.GetStringAsync(new Uri("/v2/platform/app/tags/list", UriKind.Relative), cancellation.Token), StringComparison.Ordinal);

        await app.StopAsync(cancellation.Token);
    }

    /// <summary>POST, several PATCH chunks with Content-Range (each may land on another replica), then PUT.</summary>
    private static async Task<string> PushBlobInChunksAsync(HttpClient client, string repository, byte[] content, CancellationToken cancellationToken)
    {
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
        using var start = await client.PostAsync(new Uri($"/v2/{repository}/blobs/uploads/", UriKind.Relative), null, cancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var location = start.Headers.Location!;
        const int chunk = 1024 * 1024;
        for (var offset = 0; offset < content.Length; offset += chunk)
        {
            var length = Math.Min(chunk, content.Length - offset);
            using var patch = new HttpRequestMessage(HttpMethod.Patch, location) { Content = new ByteArrayContent(content, offset, length) };
            patch.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            patch.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + length - 1}");
            using var response = await client.SendAsync(patch, cancellationToken);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            location = response.Headers.Location!;
        }

        using var put = new HttpRequestMessage(HttpMethod.Put, $"{location}?digest={digest}");
        using var complete = await client.SendAsync(put, cancellationToken);
        Assert.Equal(HttpStatusCode.Created, complete.StatusCode);
        return digest;
    }
}
