using System.Globalization;
using System.Net;

namespace Registry.Auth.Tests;

/// <summary>
/// Failed logins are braked per identity and per client address (429 with Retry-After), at the token endpoint and the
/// management API alike, until the window has passed. Each test starts in a fresh window by moving the host's clock on.
/// </summary>
public sealed class ThrottlingTests(ThrottlingFixture fixture) : IClassFixture<ThrottlingFixture>
{
    private readonly RegistryClient _default = fixture.Default;

    [Fact]
    public async Task After_too_many_failures_an_identity_waits_even_with_the_right_password()
    {
        var registry = await NewWindowAndRegistryAsync();
        var (tokenName, tokenPassword) = await registry.CreateTokenAsync("_repositories_pull");

        for (var i = 0; i < ThrottlingFixture.PerIdentity; i++)
        {
            using var failed = await registry.RequestTokenAsync(registry.AdminUsername, "wrong-" + i, []);
            await Expect.OciErrorAsync(failed, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        using (var throttled = await registry.RequestTokenAsync(registry.AdminUsername, registry.AdminPassword, []))
        {
            await Expect.OciErrorAsync(throttled, HttpStatusCode.TooManyRequests, "TOOMANYREQUESTS");
            AssertRetryAfter(throttled);
        }

        using (var throttledManagement = await registry.ManageAsync(HttpMethod.Get, ""))
        {
            await Expect.ProblemAsync(throttledManagement, HttpStatusCode.TooManyRequests);
            AssertRetryAfter(throttledManagement);
        }

        // The brake is on that identity: another one logs in from the same client.
        await registry.TokenAsync(tokenName, tokenPassword);

        // Nor does the user name's case get around it.
        using (var upper = await registry.RequestTokenAsync(registry.AdminUsername.ToUpperInvariant(), registry.AdminPassword, []))
        {
            await Expect.OciErrorAsync(upper, HttpStatusCode.TooManyRequests, "TOOMANYREQUESTS");
        }

        fixture.Host.Clock.Advance(ThrottlingFixture.Window + TimeSpan.FromSeconds(1));
        await registry.AdminTokenAsync();
    }

    [Fact]
    public async Task The_identity_brake_is_per_registry()
    {
        var first = await NewWindowAndRegistryAsync();
        var second = await fixture.CreateRegistryAsync();

        for (var i = 0; i < ThrottlingFixture.PerIdentity; i++)
        {
            using var failed = await first.RequestTokenAsync(first.AdminUsername, "wrong-" + i, []);
            await Expect.OciErrorAsync(failed, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        using (var throttled = await first.RequestTokenAsync(first.AdminUsername, first.AdminPassword, []))
        {
            await Expect.OciErrorAsync(throttled, HttpStatusCode.TooManyRequests, "TOOMANYREQUESTS");
        }

        await second.AdminTokenAsync();
    }

    [Fact]
    public async Task After_too_many_failures_from_one_client_every_identity_waits()
    {
        var registry = await NewWindowAndRegistryAsync();
        var (tokenName, tokenPassword) = await registry.CreateTokenAsync("_repositories_pull");

        for (var i = 0; i < ThrottlingFixture.PerClient; i++)
        {
            // A different user name each time: no identity reaches its own limit.
            using var failed = await registry.RequestTokenAsync("guess-" + i, "wrong", []);
            await Expect.OciErrorAsync(failed, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        using (var throttled = await registry.RequestTokenAsync(tokenName, tokenPassword, []))
        {
            await Expect.OciErrorAsync(throttled, HttpStatusCode.TooManyRequests, "TOOMANYREQUESTS");
            AssertRetryAfter(throttled);
        }

        using (var otherRegistry = await _default.RequestTokenAsync(AuthHost.AdminUsername, AuthHost.AdminPassword, []))
        {
            await Expect.OciErrorAsync(otherRegistry, HttpStatusCode.TooManyRequests, "TOOMANYREQUESTS");
        }

        // Anonymous tokens need no login, so they are not braked.
        await registry.TokenAsync(null, null);

        fixture.Host.Clock.Advance(ThrottlingFixture.Window + TimeSpan.FromSeconds(1));
        await registry.TokenAsync(tokenName, tokenPassword);
    }

    [Fact]
    public async Task Failed_management_calls_count_towards_the_same_brake_as_failed_token_requests()
    {
        var registry = await NewWindowAndRegistryAsync();

        for (var i = 0; i < ThrottlingFixture.PerIdentity; i++)
        {
            using var failed = await registry.ManageAsync(HttpMethod.Get, "", password: "wrong-" + i);
            await Expect.ProblemAsync(failed, HttpStatusCode.Unauthorized);
        }

        using var throttled = await registry.RequestTokenAsync(registry.AdminUsername, registry.AdminPassword, []);
        await Expect.OciErrorAsync(throttled, HttpStatusCode.TooManyRequests, "TOOMANYREQUESTS");
    }

    [Fact]
    public async Task Successful_logins_do_not_count()
    {
        var registry = await NewWindowAndRegistryAsync();

        for (var i = 0; i < ThrottlingFixture.PerClient * 2; i++)
        {
            await registry.AdminTokenAsync();
        }

        using (var failed = await registry.RequestTokenAsync(registry.AdminUsername, "wrong", []))
        {
            await Expect.OciErrorAsync(failed, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        await registry.AdminTokenAsync();
    }

    [Fact]
    public async Task Stale_refresh_tokens_do_not_lock_out_every_refresh_token_login_of_the_registry()
    {
        var registry = await NewWindowAndRegistryAsync();
        using var login = await registry.RequestTokenAsync(registry.AdminUsername, registry.AdminPassword, [], offline: true);
        var refreshToken = (await Expect.JsonAsync(login)).GetProperty("refresh_token").GetString()!;

        // More bad refresh tokens than one identity may fail, fewer than one client may: all share the null-GUID user name.
        for (var i = 0; i <= ThrottlingFixture.PerIdentity; i++)
        {
            using var failed = await registry.RequestTokenAsync(TokenEndpointTests.NullUser, "not-a-refresh-token-" + i, []);
            await Expect.OciErrorAsync(failed, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        await registry.TokenAsync(TokenEndpointTests.NullUser, refreshToken);
    }

    /// <summary>Starts a new failed-login window (the previous test's failures are forgotten) and makes a registry for the test.</summary>
    private async Task<RegistryClient> NewWindowAndRegistryAsync()
    {
        fixture.Host.Clock.Advance(ThrottlingFixture.Window + TimeSpan.FromSeconds(1));
        return await fixture.CreateRegistryAsync();
    }

    private static void AssertRetryAfter(HttpResponseMessage response)
    {
        var retryAfter = Expect.Header(response, "Retry-After");
        Assert.NotNull(retryAfter);
        var seconds = int.Parse(retryAfter, CultureInfo.InvariantCulture);
        Assert.InRange(seconds, 1, (int)ThrottlingFixture.Window.TotalSeconds);
    }
}
