using System.Buffers.Text;
using System.Text.Json;

namespace Registry.ImagePolicy.Tests;

/// <summary>
/// The token side of quarantine: a principal with <c>AcrQuarantineReader</c> asks for an ordinary pull token and gets
/// <c>quarantine_read</c> with it; other roles never do. Checked on the ES256 JWT's <c>access</c> claim.
/// </summary>
[Collection(ScanOnPushCollection.Name)]
public sealed class QuarantineTokenTests(ScanOnPushHostFixture fixture)
{
    private RegistryHost Host => fixture.Host;

    [Fact]
    public async Task A_pull_token_of_an_AcrQuarantineReader_carries_quarantine_read_and_one_of_an_AcrPull_principal_does_not()
    {
        var repository = RegistryHost.UniqueRepository("token");
        var quarantineReader = await Host.CreateServicePrincipalAsync("AcrQuarantineReader");
        var puller = await Host.CreateServicePrincipalAsync("AcrPull");

        var readerToken = Payload(await Host.GetTokenAsync(quarantineReader, $"repository:{repository}:pull"));
        Assert.Equal("sp:" + quarantineReader.Username, readerToken.GetProperty("sub").GetString());
        Assert.Equal(RegistryHost.LoginServer, Audience(readerToken));
        var readerActions = ActionsOn(readerToken, repository);
        Assert.Contains("pull", readerActions);
        Assert.Contains("quarantine_read", readerActions);
        Assert.DoesNotContain("push", readerActions);

        // Asking for more does not give more, and quarantine_read still comes with pull.
        var readerPushActions = ActionsOn(Payload(await Host.GetTokenAsync(quarantineReader, $"repository:{repository}:pull,push")), repository);
        Assert.Contains("quarantine_read", readerPushActions);
        Assert.DoesNotContain("push", readerPushActions);

        var pullerActions = ActionsOn(Payload(await Host.GetTokenAsync(puller, $"repository:{repository}:pull")), repository);
        Assert.Equal(["pull"], pullerActions);
    }

    [Fact]
    public async Task An_AcrQuarantineReader_limited_to_one_repository_gets_quarantine_read_there_only()
    {
        var repository = RegistryHost.UniqueRepository("token-scoped");
        var other = RegistryHost.UniqueRepository("token-other");
        var quarantineReader = await Host.CreateServicePrincipalAsync("AcrQuarantineReader", $"repositories/{repository}");

        var token = Payload(await Host.GetTokenAsync(quarantineReader, $"repository:{repository}:pull", $"repository:{other}:pull"));
        Assert.Contains("quarantine_read", ActionsOn(token, repository));
        Assert.Empty(ActionsOn(token, other));
    }

    /// <summary>The JWT's payload (the middle part, base64url).</summary>
    private static JsonElement Payload(string jwt)
    {
        var parts = jwt.Split('.');
        Assert.True(parts.Length == 3, $"an access token is a JWS in compact form, got {parts.Length} parts");
        using var document = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
        return document.RootElement.Clone();
    }

    private static string? Audience(JsonElement payload)
    {
        var aud = payload.GetProperty("aud");
        return aud.ValueKind == JsonValueKind.Array ? aud.EnumerateArray().Single().GetString() : aud.GetString();
    }

    /// <summary>The actions the token's <c>access</c> claim grants on the repository (empty when it names it not).</summary>
    private static List<string> ActionsOn(JsonElement payload, string repository)
    {
        var entries = payload.TryGetProperty("access", out var access)
            ? access.EnumerateArray().Where(e => e.GetProperty("type").GetString() == "repository" && e.GetProperty("name").GetString() == repository).ToList()
            : [];
        Assert.True(entries.Count <= 1, $"the access claim names {repository} {entries.Count} times: {payload}");
        return entries.Count == 0 ? [] : [.. entries[0].GetProperty("actions").EnumerateArray().Select(a => a.GetString()!)];
    }
}
