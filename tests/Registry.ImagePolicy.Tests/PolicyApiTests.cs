using System.Net;
using System.Text.Json;

namespace Registry.ImagePolicy.Tests;

/// <summary><c>GET</c>/<c>PUT /api/registries/default/scans/policy</c>: validation and authorization, over HTTP to the real host.</summary>
[Collection(ScanOnPushCollection.Name)]
public sealed class PolicyApiTests(ScanOnPushHostFixture fixture)
{
    private RegistryHost Host => fixture.Host;

    [Theory]
    [InlineData("SEVERE")]
    [InlineData("UNKNOWN")]
    [InlineData("")]
    public async Task A_blockSeverity_other_than_CRITICAL_HIGH_MEDIUM_LOW_is_a_400_ProblemDetails_and_the_stored_policy_stays(string severity)
    {
        var before = await SetKnownPolicyAsync();

        var answer = await Host.SendAsync(HttpMethod.Put, RegistryHost.PolicyPath, $$"""{"quarantine":true,"blockSeverity":"{{severity}}"}""", Host.Admin);

        Assert.True(answer.Status == HttpStatusCode.BadRequest, $"blockSeverity '{severity}' should be refused with 400, was {answer}");
        Assert.Equal("application/problem+json", answer.MediaType);
        var problem = answer.Json();
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()), $"a ProblemDetails has a title: {answer}");
        Assert.Contains("blockSeverity", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await AssertPolicyIsAsync(before);
    }

    [Fact]
    public async Task Without_credentials_the_policy_can_be_neither_read_nor_changed_401_with_a_Basic_challenge()
    {
        var before = await SetKnownPolicyAsync();

        foreach (var (method, body) in new[] { (HttpMethod.Get, (string?)null), (HttpMethod.Put, """{"blockSeverity":"LOW","quarantine":true}""") })
        {
            var answer = await Host.SendAsync(method, RegistryHost.PolicyPath, body, credential: null);
            Assert.True(answer.Status == HttpStatusCode.Unauthorized, $"{method} policy without credentials should be 401, was {answer}");
            Assert.Contains(answer.WwwAuthenticate, h => h.StartsWith("Basic", StringComparison.OrdinalIgnoreCase));
            Assert.Equal("application/problem+json", answer.MediaType);
        }

        var wrongPassword = await Host.SendAsync(HttpMethod.Put, RegistryHost.PolicyPath, """{"blockSeverity":"LOW"}""", Host.Admin with { Password = "not-the-password" });
        Assert.True(wrongPassword.Status == HttpStatusCode.Unauthorized, $"PUT policy with a wrong password should be 401, was {wrongPassword}");
        await AssertPolicyIsAsync(before);
    }

    [Fact]
    public async Task A_Reader_may_read_the_policy_but_not_change_it()
    {
        var before = await SetKnownPolicyAsync();
        var reader = await Host.CreateServicePrincipalAsync("Reader");

        var read = await Host.SendAsync(HttpMethod.Get, RegistryHost.PolicyPath, null, reader);
        Assert.True(read.Status == HttpStatusCode.OK, $"GET policy as a Reader should be 200, was {read}");
        Assert.True(JsonElement.DeepEquals(before, read.Json()), $"a Reader reads the stored policy {before}, got {read}");

        var change = await Host.SendAsync(HttpMethod.Put, RegistryHost.PolicyPath, """{"blockSeverity":"LOW"}""", reader);
        Assert.True(change.Status == HttpStatusCode.Forbidden, $"PUT policy as a Reader should be 403, was {change}");
        await AssertPolicyIsAsync(before);
    }

    /// <summary>A policy that blocks nothing but is not the default (an allowlist entry of this call's own), as stored.</summary>
    private async Task<JsonElement> SetKnownPolicyAsync()
    {
        var marker = "GHSA-test-" + Guid.NewGuid().ToString("N")[..8];
        var set = await Host.SetPolicyAsync($$"""{"quarantine":false,"blockSeverity":null,"allowlist":["{{marker}}"],"blockUnscanned":false}""");
        var stored = await Host.GetPolicyAsync();
        Assert.True(JsonElement.DeepEquals(set, stored), $"PUT answered {set}, GET answers {stored}");
        Assert.Equal([marker], stored.GetProperty("allowlist").EnumerateArray().Select(a => a.GetString()));
        Assert.False(stored.GetProperty("quarantine").GetBoolean());
        return stored;
    }

    private async Task AssertPolicyIsAsync(JsonElement expected)
    {
        var stored = await Host.GetPolicyAsync();
        Assert.True(JsonElement.DeepEquals(expected, stored), $"the stored policy changed: it was {expected}, it is {stored}");
    }
}
