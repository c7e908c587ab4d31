using System.Net;
using System.Text.Json;

namespace Registry.Webhooks.Tests;

/// <summary>
/// The webhooks management API as ACR shapes it: create, replace, update, read, list, delete; and its errors, which are
/// ProblemDetails and change nothing.
/// </summary>
public sealed class ManagementApiTests(SafetyFixture fixture) : IClassFixture<SafetyFixture>
{
    private const string PublicUri = "https://hooks.example.com/registry";

    private RegistryApi Api => fixture.Api;

    [Fact]
    public async Task A_webhook_is_created_read_listed_replaced_updated_and_deleted()
    {
        var name = RegistryApi.NewName("crud");
        var created = await Api.CreateWebhookAsync(name, new
        {
            serviceUri = PublicUri,
            actions = new[] { "push", "delete", "push" },
            scope = "samples/*:*",
            customHeaders = new Dictionary<string, string> { ["X-Team"] = "platform" },
            secret = "shh",
        });
        Assert.Equal($"/registries/{TestHost.Registry}/webhooks/{name}", created.GetProperty("id").GetString());
        Assert.Equal(name, created.GetProperty("name").GetString());
        Assert.Equal("Microsoft.ContainerRegistry/registries/webhooks", created.GetProperty("type").GetString());
        var properties = created.GetProperty("properties");
        Assert.Equal("enabled", properties.GetProperty("status").GetString());
        Assert.Equal("samples/*:*", properties.GetProperty("scope").GetString());
        Assert.Equal(["push", "delete"], properties.GetProperty("actions").EnumerateArray().Select(action => action.GetString()));
        Assert.Equal("acr", properties.GetProperty("payloadFormat").GetString());
        Assert.True(properties.GetProperty("signingSecretSet").GetBoolean());
        Assert.Equal("unknown", properties.GetProperty("health").GetProperty("state").GetString());
        Assert.Equal("Succeeded", properties.GetProperty("provisioningState").GetString());
        Assert.False(properties.TryGetProperty("serviceUri", out _), "the service URI is shown by getCallbackConfig only");

        Assert.Equal(created.GetRawText(), (await Api.WebhookAsync(name)).GetRawText());
        var listed = await Api.ManageOkAsync(HttpMethod.Get, "");
        Assert.Contains(name, listed.GetProperty("value").EnumerateArray().Select(webhook => webhook.GetProperty("name").GetString()));

        using (var replaced = await Api.ManageAsync(HttpMethod.Put, "/" + name, new { properties = new { serviceUri = PublicUri + "/v2", actions = new[] { "chart_push" } } }))
        {
            Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
            var replacement = JsonDocument.Parse(await replaced.Content.ReadAsStringAsync()).RootElement.GetProperty("properties");
            Assert.Equal(["chart_push"], replacement.GetProperty("actions").EnumerateArray().Select(action => action.GetString()));
            Assert.Equal("", replacement.GetProperty("scope").GetString());
            Assert.False(replacement.GetProperty("signingSecretSet").GetBoolean(), "a replacement without a secret has none");
        }

        var creationDate = created.GetProperty("properties").GetProperty("creationDate").GetDateTimeOffset();
        var updated = await Api.ManageOkAsync(HttpMethod.Patch, "/" + name, new { properties = new { scope = "app:v1*", secret = "again" }, tags = new { owner = "ops" } });
        Assert.Equal("app:v1*", updated.GetProperty("properties").GetProperty("scope").GetString());
        Assert.Equal(["chart_push"], updated.GetProperty("properties").GetProperty("actions").EnumerateArray().Select(action => action.GetString()));
        Assert.True(updated.GetProperty("properties").GetProperty("signingSecretSet").GetBoolean());
        Assert.Equal("ops", updated.GetProperty("tags").GetProperty("owner").GetString());
        Assert.Equal(creationDate, updated.GetProperty("properties").GetProperty("creationDate").GetDateTimeOffset());
        var config = await Api.ManageOkAsync(HttpMethod.Post, $"/{name}/getCallbackConfig");
        Assert.Equal(PublicUri + "/v2", config.GetProperty("serviceUri").GetString());

        using (var deleted = await Api.ManageAsync(HttpMethod.Delete, "/" + name))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        await Problem.AssertAsync(await Api.ManageAsync(HttpMethod.Get, "/" + name), HttpStatusCode.NotFound, $"webhook '{name}' does not exist");
        await Problem.AssertAsync(await Api.ManageAsync(HttpMethod.Delete, "/" + name), HttpStatusCode.NotFound, $"webhook '{name}' does not exist");
    }

    [Theory]
    [InlineData("GET", "")]
    [InlineData("PATCH", "")]
    [InlineData("DELETE", "")]
    [InlineData("POST", "/getCallbackConfig")]
    [InlineData("POST", "/ping")]
    [InlineData("POST", "/listEvents")]
    [InlineData("GET", "/events")]
    [InlineData("GET", "/events/0000000000000000001-0123456789abcdef0123456789abcdef")]
    [InlineData("POST", "/events/0000000000000000001-0123456789abcdef0123456789abcdef/redeliver")]
    public async Task An_unknown_webhook_is_404_ProblemDetails(string method, string suffix)
    {
        var name = RegistryApi.NewName("nosuch");
        var body = method == "PATCH" ? new { properties = new { scope = "x:*" } } : null;
        await Problem.AssertAsync(await Api.ManageAsync(new HttpMethod(method), $"/{name}{suffix}", body), HttpStatusCode.NotFound, $"webhook '{name}' does not exist");
    }

    [Theory]
    [InlineData("ab1")]
    [InlineData("bad-name")]
    [InlineData("under_score")]
    [InlineData("a123456789012345678901234567890123456789012345678901")]
    public async Task An_invalid_webhook_name_is_400(string name)
    {
        await Problem.AssertAsync(
            await Api.ManageAsync(HttpMethod.Put, "/" + name, new { properties = new { serviceUri = PublicUri, actions = new[] { "push" } } }),
            HttpStatusCode.BadRequest,
            $"'{name}' is not a webhook name: 5 to 50 letters and digits");
    }

    [Theory]
    [InlineData("""{}""", "'properties' is required")]
    [InlineData("""{"properties":{"actions":["push"]}}""", "'properties.serviceUri' is required")]
    [InlineData("""{"properties":{"serviceUri":"ftp://hooks.example.com/x","actions":["push"]}}""", "'serviceUri' must be an absolute http or https URI")]
    [InlineData("""{"properties":{"serviceUri":"not a uri","actions":["push"]}}""", "'serviceUri' must be an absolute http or https URI")]
    [InlineData("""{"properties":{"serviceUri":"/relative/path","actions":["push"]}}""", "'serviceUri' must be an absolute http or https URI")]
    [InlineData("""{"properties":{"serviceUri":"https://hooks.example.com/x"}}""", "'properties.actions' is required")]
    [InlineData("""{"properties":{"serviceUri":"https://hooks.example.com/x","actions":[]}}""", "'actions' must name one or more of push, delete, quarantine, chart_push, chart_delete")]
    [InlineData("""{"properties":{"serviceUri":"https://hooks.example.com/x","actions":["push","pull"]}}""", "'actions' must name one or more of")]
    [InlineData("""{"properties":{"serviceUri":"https://hooks.example.com/x","actions":["ping"]}}""", "'actions' must name one or more of")]
    [InlineData("""{"properties":{"serviceUri":"https://hooks.example.com/x","actions":["push"],"scope":"Samples:*"}}""", "scope 'Samples:*': the repository part")]
    [InlineData("""{"properties":{"serviceUri":"https://hooks.example.com/x","actions":["push"],"scope":"samples:"}}""", "scope 'samples:': the tag part")]
    [InlineData("""{"properties":{"serviceUri":"https://hooks.example.com/x","actions":["push"],"status":"paused"}}""", "'status' must be enabled or disabled, not 'paused'")]
    [InlineData("""{"properties":{"serviceUri":"https://hooks.example.com/x","actions":["push"],"payloadFormat":"xml"}}""", "'payloadFormat' must be acr or cloudevents, not 'xml'")]
    [InlineData("""{"properties":{"serviceUri":"https://hooks.example.com/x","actions":["push"],"customHeaders":{"Bad Header":"x"}}}""", "custom header 'Bad Header' is not a valid header name")]
    [InlineData("""{"properties":{"serviceUri":"https://hooks.example.com/x","actions":["push"],"customHeaders":{"":"x"}}}""", "custom header '' is not a valid header name")]
    [InlineData("""{"properties":{"serviceUri":"https://hooks.example.com/x","actions":["push"],"customHeaders":{"X-Registry-Signature":"sha256=00"}}}""", "custom header 'X-Registry-Signature' is set by the registry and cannot be given")]
    [InlineData("""{"properties":{"serviceUri":"https://hooks.example.com/x","actions":["push"],"customHeaders":{"content-length":"1"}}}""", "custom header 'content-length' is set by the registry")]
    [InlineData("""{"properties":{"serviceUri":"https://hooks.example.com/x","actions":["push"],"customHeaders":{"X-Evil":"a\r\nX-Injected: 1"}}}""", "custom header 'X-Evil' has a line break or NUL in its value")]
    [InlineData("""{"properties":{"serviceUri":"https://hooks.example.com/x","actions":["push"],"customHeaders":{"Content-Type":"not a media type"}}}""", "custom header 'Content-Type' must be a media type")]
    public async Task An_invalid_webhook_is_400_ProblemDetails_naming_the_fault_and_nothing_is_created(string body, string detail)
    {
        var name = RegistryApi.NewName("invalid");
        await Problem.AssertAsync(await Api.ManageAsync(HttpMethod.Put, "/" + name, JsonDocument.Parse(body).RootElement), HttpStatusCode.BadRequest, detail);
        await Problem.AssertAsync(await Api.ManageAsync(HttpMethod.Get, "/" + name), HttpStatusCode.NotFound, $"webhook '{name}' does not exist");
    }

    [Fact]
    public async Task An_overlong_secret_is_400()
    {
        var name = RegistryApi.NewName("secret");
        await Problem.AssertAsync(
            await Api.ManageAsync(HttpMethod.Put, "/" + name, new { properties = new { serviceUri = PublicUri, actions = new[] { "push" }, secret = new string('s', 513) } }),
            HttpStatusCode.BadRequest,
            "'secret' may be at most 512 characters");
    }

    [Fact]
    public async Task An_invalid_update_is_400_and_leaves_the_webhook_as_it_was()
    {
        var name = RegistryApi.NewName("keep");
        var created = await Api.CreateWebhookAsync(name, new { serviceUri = PublicUri, actions = new[] { "push" }, scope = "app:*" });

        await Problem.AssertAsync(
            await Api.ManageAsync(HttpMethod.Patch, "/" + name, new { properties = new { scope = "App:*", actions = new[] { "delete" } } }),
            HttpStatusCode.BadRequest,
            "scope 'App:*': the repository part");
        await Problem.AssertAsync(
            await Api.ManageAsync(HttpMethod.Patch, "/" + name, new { properties = new { serviceUri = "gopher://x" } }),
            HttpStatusCode.BadRequest,
            "'serviceUri' must be an absolute http or https URI");

        Assert.Equal(created.GetRawText(), (await Api.WebhookAsync(name)).GetRawText());
        Assert.Equal(PublicUri, (await Api.ManageOkAsync(HttpMethod.Post, $"/{name}/getCallbackConfig")).GetProperty("serviceUri").GetString());
    }

    [Theory]
    [InlineData("GET", "")]
    [InlineData("PUT", "/unauth1")]
    [InlineData("GET", "/unauth1/events")]
    public async Task A_wrong_password_or_none_is_401_with_a_Basic_challenge(string method, string path)
    {
        var body = method == "PUT" ? new { properties = new { serviceUri = PublicUri, actions = new[] { "push" } } } : null;
        foreach (var password in new[] { "not-the-password", null })
        {
            using var response = await Api.ManageAsync(new HttpMethod(method), path, body, password);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Basic", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        await Problem.AssertAsync(await Api.ManageAsync(HttpMethod.Get, "/unauth1"), HttpStatusCode.NotFound, "webhook 'unauth1' does not exist");
    }
}
