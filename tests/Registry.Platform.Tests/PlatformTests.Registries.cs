using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Aspire.Hosting.Testing;
using Azure.Storage.Blobs;

namespace Registry.Platform.Tests;

/// <summary>Registries as a service on the whole platform: made and deleted through the gateway, their rates counted in Redis.</summary>
public sealed partial class PlatformTests
{
    [Fact]
    public async Task A_registry_created_through_the_gateway_is_served_at_its_host_held_to_its_tiers_rate_and_gone_with_its_storage_when_deleted()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var cancellationToken = cancellation.Token;
        using var client = platform.CreateGatewayClient();
        var name = "plat" + Guid.NewGuid().ToString("N")[..16];
        var host = $"{name}.localhost:{platform.GatewayAddress.Port}";
        var operatorCredentials = BasicCredentials(PlatformFixture.AdminUser, platform.AdminPassword);

        string username, password;
        using (var create = new HttpRequestMessage(HttpMethod.Put, $"/api/registries/{name}"))
        {
            create.Headers.Authorization = operatorCredentials;
            create.Content = new StringContent(JsonSerializer.Serialize(new { sku = new { name = "Basic" }, properties = new { adminUserEnabled = true } }), Encoding.UTF8, "application/json");
            using var created = await client.SendAsync(create, cancellationToken);
            var body = await created.Content.ReadAsStringAsync(cancellationToken);
            Assert.True(created.StatusCode == HttpStatusCode.Created, $"create answered {(int)created.StatusCode}: {body}");
            using var json = JsonDocument.Parse(body);
            var credentials = json.RootElement.GetProperty("credentials");
            username = credentials.GetProperty("username").GetString()!;
            password = credentials.GetProperty("passwords")[0].GetProperty("value").GetString()!;
            Assert.Equal("eastus", json.RootElement.GetProperty("location").GetString());
        }

        string token;
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/oauth2/token?service={name}.localhost&scope=repository:app:pull"))
        {
            request.Headers.Host = host;
            request.Headers.Authorization = BasicCredentials(username, password);
            using var response = await client.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"token answered {(int)response.StatusCode}: {body}");
            using var json = JsonDocument.Parse(body);
            token = json.RootElement.GetProperty("token").GetString()!;
        }

        // The registry's container exists once something is written (an upload).
        using (var upload = await SendToHostAsync(client, HttpMethod.Post, "/v2/app/blobs/uploads/", host, token, cancellationToken))
        {
            Assert.NotEqual(HttpStatusCode.NotFound, upload.StatusCode);
        }

        var blobs = new BlobServiceClient(await platform.App.GetConnectionStringAsync("blobs", cancellationToken));
        var container = blobs.GetBlobContainerClient($"registry-{name}");

        // Reads are counted across the gateway (in Redis) against the Basic tier's allowance: some pass, then 429.
        var allowed = 0;
        HttpResponseMessage? refused = null;
        for (var attempt = 0; attempt < (2 * PlatformFixture.BasicReadsPerMinute) + 2 && refused is null; attempt++)
        {
            var response = await SendToHostAsync(client, HttpMethod.Get, "/v2/", host, token, cancellationToken);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused = response;
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                allowed++;
                response.Dispose();
            }
        }

        Assert.NotNull(refused);
        using (refused)
        {
            Assert.True(allowed >= PlatformFixture.BasicReadsPerMinute, $"only {allowed} reads passed before 429");
            Assert.NotNull(refused!.Headers.RetryAfter);
            Assert.Contains("TOOMANYREQUESTS", await refused.Content.ReadAsStringAsync(cancellationToken), StringComparison.Ordinal);
        }

        using (var delete = new HttpRequestMessage(HttpMethod.Delete, $"/api/registries/{name}"))
        {
            delete.Headers.Authorization = operatorCredentials;
            using var deleted = await client.SendAsync(delete, cancellationToken);
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        // Gone at once, or — when a background pass of distribution (usage, clean-up) wrote to it meanwhile — after the
        // second sweep (ADR 0013).
        while (await container.ExistsAsync(cancellationToken))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }

        // Every gateway forgets the registry within its directory's lifetime; from then on its host names nothing.
        while (true)
        {
            using var response = await SendToHostAsync(client, HttpMethod.Get, "/v2/", host, token, cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                Assert.Contains("NAME_UNKNOWN", await response.Content.ReadAsStringAsync(cancellationToken), StringComparison.Ordinal);
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }
    }

    private static AuthenticationHeaderValue BasicCredentials(string username, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));

    private static async Task<HttpResponseMessage> SendToHostAsync(HttpClient client, HttpMethod method, string path, string host, string token, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Host = host;
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request, cancellationToken);
    }
}
