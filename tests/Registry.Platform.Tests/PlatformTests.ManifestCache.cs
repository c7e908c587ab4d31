using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Aspire.Hosting.Testing;

namespace Registry.Platform.Tests;

/// <summary>
/// The gateway's kept manifest answers (ADR 0019): a repeated HEAD is answered at the front door, never one a client
/// could not get from distribution — not stale after a push or delete through the gateway or behind its back, not to a
/// token that may not pull.
/// </summary>
public sealed partial class PlatformTests
{
    private const string CacheHeader = "X-Registry-Cache";

    [Fact]
    public async Task A_repeated_manifest_HEAD_is_answered_by_the_gateway_and_a_push_or_delete_through_it_is_read_back_at_once()
    {
        using var cancellation = new CancellationTokenSource(TestTimeout);
        var cancellationToken = cancellation.Token;
        var (client, repository, _) = await ClientForNewRepositoryAsync("kept", "pull,push,delete", cancellationToken);
        using var disposeClient = client;

        var (first, firstManifest) = await PushSmallImageAsync(client, repository, "v1", cancellationToken);
        using (var miss = await HeadManifestAsync(client, repository, "v1", cancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, miss.StatusCode);
            Assert.False(miss.Headers.Contains(CacheHeader), "the first HEAD after a push cannot have been kept");
        }

        using (var hit = await HeadUntilKeptAsync(client, repository, "v1", cancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
            Assert.Equal(first, hit.Headers.GetValues("Docker-Content-Digest").Single());
            Assert.Equal($"\"{first}\"", hit.Headers.ETag?.Tag);
            Assert.Equal(ManifestMediaType, hit.Content.Headers.ContentType?.MediaType);
            Assert.Equal(firstManifest.Length, hit.Content.Headers.ContentLength);
            Assert.Equal("registry/2.0", hit.Headers.GetValues("Docker-Distribution-API-Version").Single());
            AssertRequestId(hit);
        }

        // The tag moves through the gateway: the very next HEAD names the new manifest.
        var (second, _) = await PushSmallImageAsync(client, repository, "v1", cancellationToken);
        Assert.NotEqual(first, second);
        Assert.Equal(second, await HeadDigestAsync(client, repository, "v1", cancellationToken));
        Assert.Equal(second, await HeadDigestAsync(client, repository, "v1", cancellationToken));
        Assert.Equal(second, await HeadDigestAsync(client, repository, second, cancellationToken));
        using (var kept = await HeadUntilKeptAsync(client, repository, second, cancellationToken))
        {
            Assert.Equal(second, kept.Headers.GetValues("Docker-Content-Digest").Single());
        }

        using (var delete = await client.DeleteAsync(new Uri($"/v2/{repository}/manifests/{second}", UriKind.Relative), cancellationToken))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }

        using (var gone = await HeadManifestAsync(client, repository, second, cancellationToken))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        using (var gone = await HeadManifestAsync(client, repository, "v1", cancellationToken))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        // The first manifest is still there by digest.
        Assert.Equal(first, await HeadDigestAsync(client, repository, first, cancellationToken));
    }

    [Fact]
    public async Task A_tag_moved_behind_the_gateways_back_reaches_its_kept_answers_through_the_invalidations()
    {
        using var cancellation = new CancellationTokenSource(TestTimeout);
        var cancellationToken = cancellation.Token;
        var (client, repository, token) = await ClientForNewRepositoryAsync("moved", "pull,push", cancellationToken);
        using var disposeClient = client;

        var (first, _) = await PushSmallImageAsync(client, repository, "v1", cancellationToken);
        Assert.Equal(first, await HeadDigestAsync(client, repository, "v1", cancellationToken));
        using (var hit = await HeadUntilKeptAsync(client, repository, "v1", cancellationToken))
        {
            Assert.Equal(first, hit.Headers.GetValues("Docker-Content-Digest").Single());
        }

        // Another writer (here: distribution reached directly, as another gateway or the replication service would) moves
        // the tag. The kept answer outlives this test, so only the invalidation it announces can replace it.
        using var direct = platform.App.CreateHttpClient("distribution");
        direct.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var (second, _) = await PushSmallImageAsync(direct, repository, "v1", cancellationToken, throughGateway: false);
        Assert.NotEqual(first, second);

        string? seen;
        do
        {
            seen = await HeadDigestAsync(client, repository, "v1", cancellationToken);
        }
        while (seen == first && await Pause(cancellationToken));

        Assert.Equal(second, seen);
    }

    [Fact]
    public async Task A_kept_manifest_answer_is_given_only_to_a_token_that_may_pull_it()
    {
        using var cancellation = new CancellationTokenSource(TestTimeout);
        var cancellationToken = cancellation.Token;
        var (client, repository, token) = await ClientForNewRepositoryAsync("guarded", "pull,push", cancellationToken);
        using var disposeClient = client;
        await PushSmallImageAsync(client, repository, "v1", cancellationToken);
        await HeadDigestAsync(client, repository, "v1", cancellationToken);
        using (var hit = await HeadUntilKeptAsync(client, repository, "v1", cancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        }

        using var stranger = platform.CreateGatewayClient();
        var otherRepository = await GetTokenAsync(client, TokenEndpoint, "repository:platform/elsewhere:pull", cancellationToken);
        var tampered = token[..^4] + (token[^4..] == "AAAA" ? "BBBB" : "AAAA");
        foreach (var (what, authorization) in new (string, AuthenticationHeaderValue?)[]
                 {
                     ("no token", null),
                     ("a token for another repository", new("Bearer", otherRepository)),
                     ("a token with a broken signature", new("Bearer", tampered)),
                     ("basic credentials", new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{PlatformFixture.AdminUser}:{platform.AdminPassword}")))),
                 })
        {
            using var request = new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/manifests/v1");
            request.Headers.Authorization = authorization;
            using var response = await stranger.SendAsync(request, cancellationToken);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{what}: answered {(int)response.StatusCode}");
            Assert.False(response.Headers.Contains(CacheHeader), $"{what}: answered from the gateway's kept answers");
            Assert.StartsWith("Bearer ", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }
    }

    private Uri TokenEndpoint => new(ExpectedRealm);

    /// <summary>A gateway client holding a token with <paramref name="actions"/> on a repository of its own.</summary>
    private async Task<(HttpClient Client, string Repository, string Token)> ClientForNewRepositoryAsync(
        string prefix, string actions, CancellationToken cancellationToken)
    {
        var client = platform.CreateGatewayClient();
        var repository = $"platform/{prefix}-{Guid.NewGuid().ToString("N")[..8]}";
        var token = await GetTokenAsync(client, TokenEndpoint, $"repository:{repository}:{actions}", cancellationToken);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return (client, repository, token);
    }

    private static async Task<bool> Pause(CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        return true;
    }

    /// <summary>A one-layer image with fresh content under <paramref name="tag"/>; its digest and manifest.</summary>
    private async Task<(string Digest, byte[] Manifest)> PushSmallImageAsync(
        HttpClient client, string repository, string tag, CancellationToken cancellationToken, bool throughGateway = true)
    {
        var layer = RandomNumberGenerator.GetBytes(1024);
        var config = Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"nonce":"{{Guid.NewGuid()}}"}""");
        var layerDigest = await PushBlobAsync(client, repository, layer, throughGateway, cancellationToken);
        var configDigest = await PushBlobAsync(client, repository, config, throughGateway, cancellationToken);
        var manifest = Manifest(configDigest, config.Length, layerDigest, layer.Length);
        using var response = await PutManifestAsync(client, repository, tag, manifest, cancellationToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (response.Headers.GetValues("Docker-Content-Digest").Single(), manifest);
    }

    private async Task<string> PushBlobAsync(HttpClient client, string repository, byte[] content, bool throughGateway, CancellationToken cancellationToken)
    {
        if (throughGateway)
        {
            return await PushBlobInChunksAsync(client, repository, content, cancellationToken);
        }

        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
        using var start = await client.PostAsync(new Uri($"/v2/{repository}/blobs/uploads/?digest={digest}", UriKind.Relative), new ByteArrayContent(content), cancellationToken);
        Assert.Equal(HttpStatusCode.Created, start.StatusCode);
        return digest;
    }

    /// <summary>
    /// HEADs until the gateway answers from what it kept. The push's own announcements may reach the gateway after the
    /// first HEAD was forwarded and keep that answer from being kept, so a few tries may be needed; never more than a few.
    /// </summary>
    private static async Task<HttpResponseMessage> HeadUntilKeptAsync(HttpClient client, string repository, string reference, CancellationToken cancellationToken)
    {
        const int Tries = 20;
        for (var attempt = 1; ; attempt++)
        {
            var response = await HeadManifestAsync(client, repository, reference, cancellationToken);
            if (response.Headers.TryGetValues(CacheHeader, out var values) && values.Single() == "hit")
            {
                return response;
            }

            Assert.True(attempt < Tries, $"{Tries} HEADs of {repository}:{reference} and none answered by the gateway (last: {(int)response.StatusCode})");
            response.Dispose();
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }
    }

    private static async Task<HttpResponseMessage> HeadManifestAsync(HttpClient client, string repository, string reference, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/manifests/{reference}");
        return await client.SendAsync(request, cancellationToken);
    }

    private static async Task<string?> HeadDigestAsync(HttpClient client, string repository, string reference, CancellationToken cancellationToken)
    {
        using var response = await HeadManifestAsync(client, repository, reference, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("Docker-Content-Digest").Single();
    }
}
