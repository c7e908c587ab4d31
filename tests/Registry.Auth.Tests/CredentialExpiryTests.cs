using System.Net;

namespace Registry.Auth.Tests;

/// <summary>Token passwords with an expiry (<c>generateCredentials</c>): refused once it passes, the host's clock moved on to get there.</summary>
public sealed class CredentialExpiryTests(ClockFixture fixture) : IClassFixture<ClockFixture>
{
    private const string NullUser = "00000000-0000-0000-0000-000000000000";

    [Fact]
    public async Task An_expiry_in_the_past_is_400()
    {
        var registry = await fixture.CreateRegistryAsync();
        var (name, password) = await registry.CreateTokenAsync("_repositories_pull");

        using var response = await registry.ManageAsync(
            HttpMethod.Post, "/generateCredentials", new { tokenId = name, name = "password1", expiry = fixture.Host.Clock.GetUtcNow().AddMinutes(-1) });

        await Expect.ProblemAsync(response, HttpStatusCode.BadRequest);
        await registry.TokenAsync(name, password);
    }

    [Fact]
    public async Task A_password_with_a_future_expiry_works_until_then_and_its_refresh_tokens_end_with_it()
    {
        var registry = await fixture.CreateRegistryAsync();
        var (name, _) = await registry.CreateTokenAsync("_repositories_pull");
        var expiry = fixture.Host.Clock.GetUtcNow().AddMinutes(10);

        var generated = await registry.ManageOkAsync(HttpMethod.Post, "/generateCredentials", new { tokenId = name, name = "password1", expiry });
        var password1 = Assert.Single(generated.GetProperty("passwords").EnumerateArray());
        Assert.Equal(expiry.ToUnixTimeSeconds(), password1.GetProperty("expiry").GetDateTimeOffset().ToUnixTimeSeconds());
        var value = password1.GetProperty("value").GetString()!;
        var shown = await registry.ManageOkAsync(HttpMethod.Get, $"/tokens/{name}");
        Assert.Contains(shown.GetProperty("properties").GetProperty("credentials").GetProperty("passwords").EnumerateArray(), p => p.TryGetProperty("expiry", out _));
        var second = (await registry.ManageOkAsync(HttpMethod.Post, "/generateCredentials", new { tokenId = name, name = "password2" }))
            .GetProperty("passwords")[0].GetProperty("value").GetString()!;

        await registry.TokenAsync(name, value);
        using var login = await registry.RequestTokenAsync(name, value, [], offline: true);
        var refreshToken = (await Expect.JsonAsync(login)).GetProperty("refresh_token").GetString()!;
        await registry.TokenAsync(NullUser, refreshToken);

        fixture.Host.Clock.Advance(TimeSpan.FromMinutes(11));

        using (var expired = await registry.RequestTokenAsync(name, value, []))
        {
            await Expect.OciErrorAsync(expired, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        using (var expiredRefresh = await registry.RequestTokenAsync(NullUser, refreshToken, []))
        {
            await Expect.OciErrorAsync(expiredRefresh, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        // The other password has no expiry.
        await registry.TokenAsync(name, second);
    }
}
