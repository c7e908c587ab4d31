using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Registry.Platform.Tests;

/// <summary>
/// The platform under Aspire used as a client would: only through the gateway, with auth on — the Docker token dance,
/// a chunked push spread over both distribution replicas, the front door's answers, scope enforcement, and a real
/// <c>docker login</c> / <c>push</c> / <c>pull</c>.
/// </summary>
public sealed partial class PlatformTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private const string Repository = "platform/app";
    private const string ManifestMediaType = "application/vnd.oci.image.manifest.v1+json";

    private static readonly TimeSpan TestTimeout = TimeSpan.FromMinutes(2);

    /// <summary>The token endpoint as the client reached the gateway: proves X-Forwarded-* reach the services.</summary>
    private string ExpectedRealm => $"{platform.GatewayAddress.Scheme}://{platform.GatewayAddress.Authority}/oauth2/token";

    [Fact]
    public async Task Push_through_the_gateway_with_a_token_and_pull_the_same_bytes_from_every_replica()
    {
        using var cancellation = new CancellationTokenSource(TestTimeout);
        var cancellationToken = cancellation.Token;
        using var client = platform.CreateGatewayClient();

        // The version check without a token: the challenge names the gateway's token endpoint and the registry.
        string realm;
        using (var ping = await client.GetAsync(new Uri("/v2/", UriKind.Relative), cancellationToken))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, ping.StatusCode);
            Assert.Equal("registry/2.0", ping.Headers.GetValues("Docker-Distribution-API-Version").Single());
            Assert.Equal(
                $"Bearer realm=\"{ExpectedRealm}\",service=\"{PlatformFixture.DefaultLoginServer}\"",
                ping.Headers.GetValues("WWW-Authenticate").Single());
            AssertRequestId(ping);
            realm = ChallengeParameters(ping)["realm"];
        }

        // The gateway is the edge: forwarded headers a client makes up do not move the realm elsewhere.
        using (var forged = new HttpRequestMessage(HttpMethod.Get, "/v2/"))
        {
            forged.Headers.Add("X-Forwarded-Host", "evil.example");
            forged.Headers.Add("X-Forwarded-Proto", "https");
            using var response = await client.SendAsync(forged, cancellationToken);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal(ExpectedRealm, ChallengeParameters(response)["realm"]);
        }

        var token = await GetTokenAsync(client, new Uri(realm), $"repository:{Repository}:pull,push", cancellationToken);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using (var ping = await client.GetAsync(new Uri("/v2/", UriKind.Relative), cancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        }

        var layer = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        var config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}""");
        var layerDigest = await PushBlobInChunksAsync(client, Repository, layer, cancellationToken);
        var configDigest = await PushBlobInChunksAsync(client, Repository, config, cancellationToken);
        var manifest = Manifest(configDigest, config.Length, layerDigest, layer.Length);
        using (var response = await PutManifestAsync(client, Repository, "v1", manifest, cancellationToken))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            AssertUsableThroughGateway(response.Headers.Location);
            AssertRequestId(response);
        }

        // The gateway spreads requests over both replicas; every read must agree with what was pushed.
        for (var i = 0; i < 4 * PlatformFixture.DistributionReplicas; i++)
        {
            using (var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{Repository}/manifests/v1"))
            {
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(ManifestMediaType));
                using var response = await client.SendAsync(request, cancellationToken);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(ManifestMediaType, response.Content.Headers.ContentType?.MediaType);
                Assert.Equal(manifest, await response.Content.ReadAsByteArrayAsync(cancellationToken));
                AssertRequestId(response);
            }

            using (var response = await client.GetAsync(new Uri($"/v2/{Repository}/blobs/{layerDigest}", UriKind.Relative), cancellationToken))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(layer, await response.Content.ReadAsByteArrayAsync(cancellationToken));
                AssertRequestId(response);
            }
        }

        Assert.Contains("\"v1\"", await client.GetStringAsync(new Uri($"/v2/{Repository}/tags/list", UriKind.Relative), cancellationToken), StringComparison.Ordinal);

        // A client's own request id is kept, once, end to end.
        using (var request = new HttpRequestMessage(HttpMethod.Head, $"/v2/{Repository}/blobs/{configDigest}"))
        {
            request.Headers.Add("X-Request-Id", "platform-test-1");
            using var response = await client.SendAsync(request, cancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("platform-test-1", response.Headers.GetValues("X-Request-Id").Single());
        }
    }

    [Fact]
    public async Task A_host_naming_no_registry_is_answered_by_the_front_door_with_name_unknown()
    {
        using var cancellation = new CancellationTokenSource(TestTimeout);
        using var client = platform.CreateGatewayClient();
        foreach (var path in new[] { "/v2/", $"/v2/{Repository}/manifests/v1", "/oauth2/token?service=nosuchreg.localhost" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Host = $"nosuchreg.localhost:{platform.GatewayAddress.Port}";
            using var response = await client.SendAsync(request, cancellation.Token);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("NAME_UNKNOWN", await ErrorCodeAsync(response, cancellation.Token));
            Assert.False(response.Headers.Contains("WWW-Authenticate"), $"{path}: the front door must not challenge for a registry that does not exist");
            AssertRequestId(response);
        }
    }

    [Fact]
    public async Task A_pull_only_token_reads_but_cannot_push_a_manifest()
    {
        using var cancellation = new CancellationTokenSource(TestTimeout);
        var cancellationToken = cancellation.Token;
        const string repository = "platform/pull-only";
        using var client = platform.CreateGatewayClient();

        // The admin pushes an image; a token asking only for pull then reads it but cannot write.
        var pusher = await GetTokenAsync(client, new Uri(ExpectedRealm), $"repository:{repository}:pull,push", cancellationToken);
        var config = Encoding.UTF8.GetBytes("""{"architecture":"arm64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}""");
        var layer = RandomNumberGenerator.GetBytes(4096);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", pusher);
        var configDigest = await PushBlobInChunksAsync(client, repository, config, cancellationToken);
        var layerDigest = await PushBlobInChunksAsync(client, repository, layer, cancellationToken);
        var manifest = Manifest(configDigest, config.Length, layerDigest, layer.Length);
        using (var response = await PutManifestAsync(client, repository, "v1", manifest, cancellationToken))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        var puller = await GetTokenAsync(client, new Uri(ExpectedRealm), $"repository:{repository}:pull", cancellationToken);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", puller);
        Assert.Equal(layer, await client.GetByteArrayAsync(new Uri($"/v2/{repository}/blobs/{layerDigest}", UriKind.Relative), cancellationToken));

        using (var response = await PutManifestAsync(client, repository, "v2", manifest, cancellationToken))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("DENIED", await ErrorCodeAsync(response, cancellationToken));
            var challenge = ChallengeParameters(response);
            Assert.Equal(ExpectedRealm, challenge["realm"]);
            Assert.Equal(PlatformFixture.DefaultLoginServer, challenge["service"]);
            Assert.Equal($"repository:{repository}:pull,push", challenge["scope"]);
            Assert.Equal("insufficient_scope", challenge["error"]);
        }

        using (var response = await client.PostAsync(new Uri($"/v2/{repository}/blobs/uploads/", UriKind.Relative), null, cancellationToken))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("insufficient_scope", ChallengeParameters(response)["error"]);
        }

        using (var response = await client.GetAsync(new Uri($"/v2/{repository}/manifests/v2", UriKind.Relative), cancellationToken))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    [Fact]
    public async Task Docker_logs_in_pushes_and_pulls_through_the_gateway()
    {
        const string tinyImage = "registry-test/tiny:1";
        Assert.True(DockerClient.IsInstalled, "docker was not found on PATH; install the test infrastructure with `bash eng/setup.sh`.");
        var host = platform.GatewayAddress.Authority;
        Assert.True(
            platform.GatewayAddress.Host is "localhost" or "127.0.0.1",
            $"the gateway is at {host}; docker treats only loopback registries as insecure (plain HTTP)");

        using var docker = new DockerClient();
        var expectedId = (await docker.CheckAsync("image", "inspect", "--format", "{{.Id}}", tinyImage)).StandardOutput.Trim();
        var image = $"{host}/platform/tiny:1";

        var login = DockerClient.Ensure(await docker.RunAsync(["login", host, "-u", PlatformFixture.AdminUser, "--password-stdin"], platform.AdminPassword));
        Assert.Contains("Login Succeeded", login.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(host, await File.ReadAllTextAsync(Path.Combine(docker.ConfigDirectory, "config.json")), StringComparison.Ordinal);

        await docker.CheckAsync("tag", tinyImage, image);
        try
        {
            var push = await docker.CheckAsync("push", image);
            var pushed = PushedDigest().Match(push.StandardOutput);
            Assert.True(pushed.Success, "docker push printed no digest:" + Environment.NewLine + push.Describe());

            await docker.CheckAsync("rmi", image);
            var pull = await docker.CheckAsync("pull", image);
            Assert.Contains($"Digest: {pushed.Groups["digest"].Value}", pull.StandardOutput, StringComparison.Ordinal);
            Assert.Equal(expectedId, (await docker.CheckAsync("image", "inspect", "--format", "{{.Id}}", image)).StandardOutput.Trim());

            // Logged out, the pull is refused: nothing is anonymous unless enabled.
            await docker.CheckAsync("logout", host);
            await docker.CheckAsync("rmi", image);
            var anonymous = await docker.RunAsync(["pull", image]);
            Assert.False(anonymous.Succeeded, "an anonymous pull succeeded:" + Environment.NewLine + anonymous.Describe());
        }
        finally
        {
            await docker.RunAsync(["rmi", image]);
        }
    }

    [Fact]
    public async Task A_blob_larger_than_any_default_body_limit_streams_through_the_gateway_in_one_patch()
    {
        using var cancellation = new CancellationTokenSource(TestTimeout);
        var cancellationToken = cancellation.Token;
        using var client = platform.CreateGatewayClient();
        const string repository = "platform/large";
        var token = await GetTokenAsync(client, new Uri(ExpectedRealm), $"repository:{repository}:pull,push", cancellationToken);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        // 48 MiB in one streamed PATCH (chunked, no Content-Length), as docker sends a layer: Kestrel's default limit is 30 MB.
        var content = new byte[48 * 1024 * 1024];
        new Random(48).NextBytes(content);
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
        using var start = await client.PostAsync(new Uri($"/v2/{repository}/blobs/uploads/", UriKind.Relative), null, cancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        using var patch = new HttpRequestMessage(HttpMethod.Patch, AssertUsableThroughGateway(start.Headers.Location))
        {
            Content = new StreamContent(new MemoryStream(content, writable: false)),
        };
        patch.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        patch.Headers.TransferEncodingChunked = true;
        using var patched = await client.SendAsync(patch, cancellationToken);
        Assert.True(patched.StatusCode == HttpStatusCode.Accepted, $"PATCH answered {(int)patched.StatusCode}: {await patched.Content.ReadAsStringAsync(cancellationToken)}");
        Assert.Equal($"0-{content.Length - 1}", patched.Headers.GetValues("Range").Single());

        var location = AssertUsableThroughGateway(patched.Headers.Location).OriginalString;
        using var put = new HttpRequestMessage(HttpMethod.Put, $"{location}{(location.Contains('?', StringComparison.Ordinal) ? '&' : '?')}digest={digest}");
        using var complete = await client.SendAsync(put, cancellationToken);
        Assert.Equal(HttpStatusCode.Created, complete.StatusCode);

        using var pulled = await client.GetAsync(new Uri($"/v2/{repository}/blobs/{digest}", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        Assert.Equal(content.Length, pulled.Content.Headers.ContentLength);
        await using var body = await pulled.Content.ReadAsStreamAsync(cancellationToken);
        Assert.Equal(digest, "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(body, cancellationToken)));
    }

    /// <summary>GET of the token endpoint as docker does it: Basic admin credentials, <c>service</c> and one <c>scope</c>.</summary>
    [Fact]
    public async Task A_push_through_the_gateway_reaches_a_webhook_over_RabbitMQ_and_the_webhooks_API_is_served_through_the_gateway()
    {
        using var cancellation = new CancellationTokenSource(TestTimeout);
        var cancellationToken = cancellation.Token;
        await using var receiver = await Registry.Testing.WebhookReceiverProcess.StartAsync(Registry.Testing.WebhookReceiverProcess.DefaultDllPath);
        using var client = platform.CreateGatewayClient();
        var repository = $"platform/hooked{Guid.NewGuid():N}"[..30];
        var webhook = "platform" + Guid.NewGuid().ToString("N")[..8];

        // Management through the gateway: routed to the webhooks service, which has auth check the admin credentials.
        using (var unauthenticated = await client.PutAsync(new Uri($"/api/registries/default/webhooks/{webhook}", UriKind.Relative), JsonBody(new { }), cancellationToken))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
        }

        using (var create = new HttpRequestMessage(HttpMethod.Put, $"/api/registries/default/webhooks/{webhook}"))
        {
            create.Headers.Authorization = new AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{PlatformFixture.AdminUser}:{platform.AdminPassword}")));
            create.Content = JsonBody(new { properties = new { serviceUri = receiver.UrlFor("/platform").ToString(), actions = new[] { "push" }, scope = $"{repository}:*" } });
            using var created = await client.SendAsync(create, cancellationToken);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var ping = await client.GetAsync(new Uri("/v2/", UriKind.Relative), cancellationToken))
        {
            var token = await GetTokenAsync(client, new Uri(ChallengeParameters(ping)["realm"]), $"repository:{repository}:pull,push", cancellationToken);
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        var config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}""");
        var layer = RandomNumberGenerator.GetBytes(1024);
        var manifest = Manifest(
            await PushBlobInChunksAsync(client, repository, config, cancellationToken), config.Length,
            await PushBlobInChunksAsync(client, repository, layer, cancellationToken), layer.Length);
        string digest;
        using (var response = await PutManifestAsync(client, repository, "v1", manifest, cancellationToken))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            digest = response.Headers.GetValues("Docker-Content-Digest").Single();
        }

        var delivered = Assert.Single(await receiver.WaitForRequestsAsync("/platform", 1, TimeSpan.FromSeconds(60)));
        using var payload = JsonDocument.Parse(delivered.Body);
        var target = payload.RootElement.GetProperty("target");
        Assert.Equal("push", payload.RootElement.GetProperty("action").GetString());
        Assert.Equal(digest, target.GetProperty("digest").GetString());
        Assert.Equal(repository, target.GetProperty("repository").GetString());
        Assert.Equal("v1", target.GetProperty("tag").GetString());
        Assert.Equal(manifest.Length, target.GetProperty("size").GetInt64());
        Assert.Equal(platform.GatewayAddress.Authority, payload.RootElement.GetProperty("request").GetProperty("host").GetString());
    }

    [Fact]
    public async Task An_image_imported_through_the_gateway_from_the_platform_itself_lands_under_the_target_tag()
    {
        using var cancellation = new CancellationTokenSource(TestTimeout);
        var cancellationToken = cancellation.Token;
        using var client = platform.CreateGatewayClient();
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var source = $"platform/import-source{suffix}";
        var target = $"platform/import-target{suffix}";
        using (var ping = await client.GetAsync(new Uri("/v2/", UriKind.Relative), cancellationToken))
        {
            var token = await GetTokenAsync(client, new Uri(ChallengeParameters(ping)["realm"]), $"repository:{source}:pull,push", cancellationToken);
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        var config = Encoding.UTF8.GetBytes("""{"architecture":"arm64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}""");
        var layer = RandomNumberGenerator.GetBytes(2048);
        var manifest = Manifest(
            await PushBlobInChunksAsync(client, source, config, cancellationToken), config.Length,
            await PushBlobInChunksAsync(client, source, layer, cancellationToken), layer.Length);
        string digest;
        using (var response = await PutManifestAsync(client, source, "v1", manifest, cancellationToken))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            digest = response.Headers.GetValues("Docker-Content-Digest").Single();
        }

        // The replication service pulls from the gateway with the admin's credentials (Docker token auth) and writes to Azure Blob storage.
        var admin = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{PlatformFixture.AdminUser}:{platform.AdminPassword}")));
        Uri operationAddress;
        using (var import = new HttpRequestMessage(HttpMethod.Post, "/api/registries/default/import"))
        {
            import.Headers.Authorization = admin;
            import.Content = JsonBody(new
            {
                source = new { registryUri = platform.GatewayAddress.GetLeftPart(UriPartial.Authority), sourceImage = $"{source}:v1", credentials = new { username = PlatformFixture.AdminUser, password = platform.AdminPassword } },
                targetTags = new[] { $"{target}:imported" },
            });
            using var accepted = await client.SendAsync(import, cancellationToken);
            var body = await accepted.Content.ReadAsStringAsync(cancellationToken);
            Assert.True(accepted.StatusCode == HttpStatusCode.Accepted, $"import answered {(int)accepted.StatusCode}: {body}");
            operationAddress = accepted.Headers.Location!;
            using var operation = JsonDocument.Parse(body);
            Assert.Equal(digest, operation.RootElement.GetProperty("digest").GetString());
        }

        JsonElement finished;
        while (true)
        {
            using var poll = new HttpRequestMessage(HttpMethod.Get, operationAddress);
            poll.Headers.Authorization = admin;
            using var response = await client.SendAsync(poll, cancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var operation = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            if (operation.RootElement.GetProperty("status").GetString() != "Running")
            {
                finished = operation.RootElement.Clone();
                break;
            }

            await Task.Delay(200, cancellationToken);
        }

        Assert.True(finished.GetProperty("status").GetString() == "Succeeded", finished.ToString());
        Assert.Equal(2, finished.GetProperty("progress").GetProperty("blobsExisting").GetInt32()); // same registry: linked, not copied
        client.DefaultRequestHeaders.Authorization = null;
        using (var ping = await client.GetAsync(new Uri("/v2/", UriKind.Relative), cancellationToken))
        {
            var token = await GetTokenAsync(client, new Uri(ChallengeParameters(ping)["realm"]), $"repository:{target}:pull", cancellationToken);
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var head = new HttpRequestMessage(HttpMethod.Head, $"/v2/{target}/manifests/imported");
        head.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        using var headed = await client.SendAsync(head, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, headed.StatusCode);
        Assert.Equal(digest, headed.Headers.GetValues("Docker-Content-Digest").Single());
    }

    [Fact]
    public async Task A_replicated_push_through_the_gateway_is_pulled_from_the_other_regions_endpoint_and_both_regions_show_in_the_replications_API()
    {
        using var cancellation = new CancellationTokenSource(TestTimeout);
        var cancellationToken = cancellation.Token;
        using var client = platform.CreateGatewayClient();
        var admin = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{PlatformFixture.AdminUser}:{platform.AdminPassword}")));
        using (var create = new HttpRequestMessage(HttpMethod.Put, "/api/registries/default/replications/westeurope"))
        {
            create.Headers.Authorization = admin;
            create.Content = JsonBody(new { location = "westeurope" });
            using var created = await client.SendAsync(create, cancellationToken);
            var body = await created.Content.ReadAsStringAsync(cancellationToken);
            Assert.True(created.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"replication create answered {(int)created.StatusCode}: {body}");
        }

        var repository = $"platform/geo{Guid.NewGuid():N}"[..30];
        using (var ping = await client.GetAsync(new Uri("/v2/", UriKind.Relative), cancellationToken))
        {
            Assert.Equal("eastus", ping.Headers.GetValues("X-Registry-Region").Single()); // the home region serves the global endpoint
            var token = await GetTokenAsync(client, new Uri(ChallengeParameters(ping)["realm"]), $"repository:{repository}:pull,push", cancellationToken);
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        var config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}""");
        var layer = RandomNumberGenerator.GetBytes(4096);
        var manifest = Manifest(
            await PushBlobInChunksAsync(client, repository, config, cancellationToken), config.Length,
            await PushBlobInChunksAsync(client, repository, layer, cancellationToken), layer.Length);
        string digest;
        using (var response = await PutManifestAsync(client, repository, "v1", manifest, cancellationToken))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            digest = response.Headers.GetValues("Docker-Content-Digest").Single();
        }

        // ACR's regional endpoint, <registry>.<region>.<domain>: served by westeurope's own distribution instance from its own containers.
        var regional = $"default.westeurope.localhost:{platform.GatewayAddress.Port}";
        HttpResponseMessage? pulled = null;
        while (true)
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/manifests/v1");
            get.Headers.Host = regional;
            get.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
            pulled = await client.SendAsync(get, cancellationToken);
            if (pulled.StatusCode == HttpStatusCode.OK)
            {
                break;
            }

            if (pulled.Headers.TryGetValues("X-Registry-Region", out var served))
            {
                Assert.Equal("westeurope", served.Single());
            }
            else
            {
                // The gateway hears of a new replica within its cache lifetime (5 s); until then the region is unknown.
                Assert.Equal(HttpStatusCode.NotFound, pulled.StatusCode);
            }

            pulled.Dispose();
            await Task.Delay(100, cancellationToken);
        }

        using (pulled)
        {
            Assert.Equal("westeurope", pulled.Headers.GetValues("X-Registry-Region").Single());
            Assert.Equal(digest, pulled.Headers.GetValues("Docker-Content-Digest").Single());
            Assert.Equal(manifest, await pulled.Content.ReadAsByteArrayAsync(cancellationToken));
        }

        using (var blob = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/blobs/sha256:{Convert.ToHexStringLower(SHA256.HashData(layer))}"))
        {
            blob.Headers.Host = regional;
            using var response = await client.SendAsync(blob, cancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(layer, await response.Content.ReadAsByteArrayAsync(cancellationToken));
        }

        using var list = new HttpRequestMessage(HttpMethod.Get, "/api/registries/default/replications");
        list.Headers.Authorization = admin;
        using var listed = await client.SendAsync(list, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        using var replications = JsonDocument.Parse(await listed.Content.ReadAsStringAsync(cancellationToken));
        var locations = replications.RootElement.GetProperty("value").EnumerateArray().Select(r => r.GetProperty("location").GetString()).Order().ToList();
        Assert.Equal(["eastus", "westeurope"], locations);

        // Taking the home region out of rotation sends the global endpoint's clients to westeurope; back in, they return.
        client.DefaultRequestHeaders.Authorization = null;
        try
        {
            await SetEndpointEnabledAsync(client, admin, "eastus", false, cancellationToken);
            await WaitForRegionAsync(client, "westeurope", cancellationToken);
        }
        finally
        {
            await SetEndpointEnabledAsync(client, admin, "eastus", true, CancellationToken.None);
        }

        await WaitForRegionAsync(client, "eastus", cancellationToken);
    }

    private static async Task SetEndpointEnabledAsync(HttpClient client, AuthenticationHeaderValue admin, string name, bool enabled, CancellationToken cancellationToken)
    {
        using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/registries/default/replications/{name}");
        patch.Headers.Authorization = admin;
        patch.Content = JsonBody(new { properties = new { regionEndpointEnabled = enabled } });
        using var patched = await client.SendAsync(patch, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
    }

    /// <summary>The gateway learns a registry's regions within a few seconds (it remembers them briefly).</summary>
    private static async Task WaitForRegionAsync(HttpClient client, string region, CancellationToken cancellationToken)
    {
        while (true)
        {
            using var ping = await client.GetAsync(new Uri("/v2/", UriKind.Relative), cancellationToken);
            if (ping.Headers.GetValues("X-Registry-Region").Single() == region)
            {
                return;
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    [Fact]
    public async Task A_push_through_the_gateway_is_scanned_by_the_scanner_over_RabbitMQ_and_its_findings_are_served_through_the_gateway()
    {
        using var cancellation = new CancellationTokenSource(TestTimeout);
        var cancellationToken = cancellation.Token;
        using var client = platform.CreateGatewayClient();
        var admin = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{PlatformFixture.AdminUser}:{platform.AdminPassword}")));

        // A one-record database: npm ws below 8.17.1 (within 8.x) is affected.
        var advisory = """{"id":"PLATFORM-TEST-WS","summary":"test advisory","affected":[{"package":{"ecosystem":"npm","name":"ws"},"ranges":[{"type":"SEMVER","events":[{"introduced":"8.0.0"},{"fixed":"8.17.1"}]}]}],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}]}""";
        using (var import = new HttpRequestMessage(HttpMethod.Post, "/api/vulnerabilities/imports") { Content = new StringContent(advisory, Encoding.UTF8, "application/json") })
        {
            import.Headers.Authorization = admin;
            using var imported = await client.SendAsync(import, cancellationToken);
            Assert.True(imported.StatusCode == HttpStatusCode.Created, await imported.Content.ReadAsStringAsync(cancellationToken));
        }

        var repository = $"platform/scanned{Guid.NewGuid():N}"[..32];
        using (var ping = await client.GetAsync(new Uri("/v2/", UriKind.Relative), cancellationToken))
        {
            var token = await GetTokenAsync(client, new Uri(ChallengeParameters(ping)["realm"]), $"repository:{repository}:pull,push", cancellationToken);
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        var layer = TarGz(("app/node_modules/ws/package.json", """{"name":"ws","version":"8.17.0"}"""), ("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"));
        var config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}""");
        var manifest = Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"{{ManifestMediaType}}","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{await PushBlobInChunksAsync(client, repository, config, cancellationToken)}}","size":{{config.Length}}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{{await PushBlobInChunksAsync(client, repository, layer, cancellationToken)}}","size":{{layer.Length}}}]}""");
        string digest;
        using (var response = await PutManifestAsync(client, repository, "v1", manifest, cancellationToken))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            digest = response.Headers.GetValues("Docker-Content-Digest").Single();
        }

        JsonElement report;
        while (true)
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, $"/api/registries/default/scans/{digest}");
            get.Headers.Authorization = admin;
            using var response = await client.SendAsync(get, cancellationToken);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                report = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement.Clone();
                break;
            }

            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            await Task.Delay(200, cancellationToken);
        }

        var finding = Assert.Single(report.GetProperty("findings").EnumerateArray());
        Assert.Equal("PLATFORM-TEST-WS", finding.GetProperty("id").GetString());
        Assert.Equal("8.17.1", finding.GetProperty("fixedVersion").GetString());
        Assert.Equal("HIGH", finding.GetProperty("severity").GetString());
        Assert.Equal("Debian:12", report.GetProperty("operatingSystem").GetProperty("ecosystem").GetString());
        Assert.False(string.IsNullOrEmpty(report.GetProperty("sbom").GetProperty("digest").GetString()));
    }

    private static byte[] TarGz(params (string Path, string Content)[] files)
    {
        using var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new System.Formats.Tar.TarWriter(gzip, System.Formats.Tar.TarEntryFormat.Pax))
        {
            foreach (var (path, content) in files)
            {
                tar.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, path) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
            }
        }

        return output.ToArray();
    }

    private static StringContent JsonBody(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    private async Task<string> GetTokenAsync(HttpClient client, Uri realm, string scope, CancellationToken cancellationToken)
    {
        var address = new Uri(realm, $"?service={Uri.EscapeDataString(PlatformFixture.DefaultLoginServer)}&scope={Uri.EscapeDataString(scope)}");
        using var request = new HttpRequestMessage(HttpMethod.Get, address);
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{PlatformFixture.AdminUser}:{platform.AdminPassword}")));
        using var response = await client.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {address} answered {(int)response.StatusCode}: {body}");
        AssertRequestId(response);
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>POST, several PATCH chunks with Content-Range (each may land on another replica), then PUT.</summary>
    private async Task<string> PushBlobInChunksAsync(HttpClient client, string repository, byte[] content, CancellationToken cancellationToken)
    {
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
        using var start = await client.PostAsync(new Uri($"/v2/{repository}/blobs/uploads/", UriKind.Relative), null, cancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var location = AssertUsableThroughGateway(start.Headers.Location);
        const int chunk = 1024 * 1024;
        for (var offset = 0; offset < content.Length; offset += chunk)
        {
            var length = Math.Min(chunk, content.Length - offset);
            using var patch = new HttpRequestMessage(HttpMethod.Patch, location) { Content = new ByteArrayContent(content, offset, length) };
            patch.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            patch.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + length - 1}");
            using var response = await client.SendAsync(patch, cancellationToken);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Equal($"0-{offset + length - 1}", response.Headers.GetValues("Range").Single());
            location = AssertUsableThroughGateway(response.Headers.Location);
        }

        var separator = location.OriginalString.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        using var put = new HttpRequestMessage(HttpMethod.Put, $"{location.OriginalString}{separator}digest={digest}");
        using var complete = await client.SendAsync(put, cancellationToken);
        Assert.Equal(HttpStatusCode.Created, complete.StatusCode);
        AssertUsableThroughGateway(complete.Headers.Location);
        return digest;
    }

    private static async Task<HttpResponseMessage> PutManifestAsync(
        HttpClient client, string repository, string reference, byte[] manifest, CancellationToken cancellationToken)
    {
        using var put = new HttpRequestMessage(HttpMethod.Put, $"/v2/{repository}/manifests/{reference}") { Content = new ByteArrayContent(manifest) };
        put.Content.Headers.ContentType = new MediaTypeHeaderValue(ManifestMediaType);
        return await client.SendAsync(put, cancellationToken);
    }

    private static byte[] Manifest(string configDigest, int configSize, string layerDigest, int layerSize) => Encoding.UTF8.GetBytes(
        $$"""{"schemaVersion":2,"mediaType":"{{ManifestMediaType}}","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{configDigest}}","size":{{configSize}}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{{layerDigest}}","size":{{layerSize}}}]}""");

    /// <summary>A Location the client can follow through the gateway: relative, or naming the gateway — never a replica.</summary>
    private Uri AssertUsableThroughGateway(Uri? location)
    {
        Assert.NotNull(location);
        Assert.True(
            !location.IsAbsoluteUri || location.Authority == platform.GatewayAddress.Authority,
            $"Location '{location}' does not go through the gateway at {platform.GatewayAddress.Authority}");
        return location;
    }

    private static void AssertRequestId(HttpResponseMessage response) =>
        Assert.False(string.IsNullOrWhiteSpace(response.Headers.TryGetValues("X-Request-Id", out var values) ? values.Single() : null), "no X-Request-Id");

    private static Dictionary<string, string> ChallengeParameters(HttpResponseMessage response)
    {
        var header = response.Headers.GetValues("WWW-Authenticate").Single();
        Assert.StartsWith("Bearer ", header, StringComparison.Ordinal);
        return ChallengeParameter().Matches(header).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value, StringComparer.Ordinal);
    }

    private static async Task<string?> ErrorCodeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return json.RootElement.GetProperty("errors")[0].GetProperty("code").GetString();
    }

    [GeneratedRegex("(?<name>[a-z_]+)=\"(?<value>[^\"]*)\"")]
    private static partial Regex ChallengeParameter();

    [GeneratedRegex(@"digest: (?<digest>sha256:[0-9a-f]{64})")]
    private static partial Regex PushedDigest();
}
