using System.Net;
using Registry.Security;

namespace Registry.Auth.Tests;

/// <summary>Small tier limits, so each refusal can be reached: tokens, scope maps, webhooks-free downgrades, request rates.</summary>
public sealed class TierLimitFixture : AuthFixture
{
    public const int BasicTokens = 2;
    public const int BasicReads = 5;
    public const int BasicWrites = 3;

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Tiers:Basic:ScopeMapsAndTokens"] = BasicTokens.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Tiers:Basic:ReadOpsPerMinute"] = BasicReads.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Tiers:Basic:WriteOpsPerMinute"] = BasicWrites.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Tiers:Basic:IncludedStorageGiB"] = "1",
    };
}

public sealed class TierLimitTests(TierLimitFixture fixture) : IClassFixture<TierLimitFixture>
{
    [Fact]
    public async Task A_token_or_scope_map_past_the_tiers_limit_is_refused_with_the_limit_named()
    {
        var registry = await fixture.CreateRegistryAsync(RegistryTier.Basic);
        for (var i = 0; i < TierLimitFixture.BasicTokens; i++)
        {
            await registry.CreateTokenAsync("_repositories_pull");
            await registry.CreateScopeMapAsync("repositories/app/content/read");
        }

        using (var token = await registry.ManageAsync(HttpMethod.Put, "/tokens/onetoomany", new { properties = new { scopeMapId = "_repositories_pull" } }))
        {
            var problem = await Expect.ProblemAsync(token, HttpStatusCode.Conflict);
            Assert.Equal("Quota exceeded", problem.GetProperty("title").GetString());
            Assert.Contains($"Basic tier allows {TierLimitFixture.BasicTokens} tokens", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using (var map = await registry.ManageAsync(HttpMethod.Put, "/scopeMaps/onetoomany", new { properties = new { actions = new[] { "repositories/x/content/read" } } }))
        {
            Assert.Contains("scope maps", (await Expect.ProblemAsync(map, HttpStatusCode.Conflict)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        var usages = (await registry.ManageOkAsync(HttpMethod.Get, "/listUsages")).GetProperty("value").EnumerateArray()
            .ToDictionary(u => u.GetProperty("name").GetString()!, u => (Limit: u.GetProperty("limit").GetInt64(), Current: u.GetProperty("currentValue").GetInt64()));
        Assert.Equal((TierLimitFixture.BasicTokens, TierLimitFixture.BasicTokens), usages["Tokens"]);
        Assert.Equal((TierLimitFixture.BasicTokens, TierLimitFixture.BasicTokens), usages["ScopeMaps"]);
        Assert.Equal(1L << 30, usages["Size"].Limit);
        Assert.Equal(2, usages["Webhooks"].Limit);

        // Moving to Standard raises the limit at once.
        await registry.ManageOkAsync(HttpMethod.Patch, "", new { sku = new { name = "Standard" } });
        await registry.CreateTokenAsync("_repositories_pull");
    }

    [Fact]
    public async Task A_downgrade_the_registry_does_not_fit_is_refused_and_the_tier_stays()
    {
        var registry = await fixture.CreateRegistryAsync(RegistryTier.Premium);
        for (var i = 0; i <= TierLimitFixture.BasicTokens; i++)
        {
            await registry.CreateTokenAsync("_repositories_pull");
        }

        using var downgrade = await registry.ManageAsync(HttpMethod.Patch, "", new { sku = new { name = "Basic" } });
        Assert.Contains("tokens", (await Expect.ProblemAsync(downgrade, HttpStatusCode.Conflict)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("Premium", (await registry.ManageOkAsync(HttpMethod.Get, "")).GetProperty("sku").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Reads_past_the_tiers_rate_get_429_with_retry_after_until_the_minute_passes()
    {
        var registry = await fixture.CreateRegistryAsync(RegistryTier.Basic);
        var token = await registry.AdminTokenAsync("repository:app:pull");
        fixture.Host.Clock.Advance(TimeSpan.FromSeconds(60 - (fixture.Host.Clock.GetUtcNow().ToUnixTimeSeconds() % 60) + 1)); // a fresh window
        for (var i = 0; i < TierLimitFixture.BasicReads; i++)
        {
            using var allowed = await registry.SendAsync(HttpMethod.Get, "/v2/", token);
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        using (var refused = await registry.SendAsync(HttpMethod.Get, "/v2/", token))
        {
            var error = await Expect.OciErrorAsync(refused, HttpStatusCode.TooManyRequests, "TOOMANYREQUESTS");
            Assert.Contains($"{TierLimitFixture.BasicReads} read operations per minute", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            var retryAfter = int.Parse(Expect.Header(refused, "Retry-After")!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(retryAfter, 1, 60);
        }

        // Writes have their own allowance; the default registry (Premium) is not touched by this one's.
        using (var write = await registry.SendAsync(HttpMethod.Post, "/v2/app/blobs/uploads/", token))
        {
            Assert.NotEqual(HttpStatusCode.TooManyRequests, write.StatusCode);
        }

        using (var other = await fixture.Default.SendAsync(HttpMethod.Get, "/v2/", token: null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);
        }

        fixture.Host.Clock.Advance(TimeSpan.FromMinutes(1));
        using var later = await registry.SendAsync(HttpMethod.Get, "/v2/", token);
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
    }

    [Fact]
    public async Task A_token_with_its_own_rate_limit_is_held_to_it_while_others_go_on()
    {
        var registry = await fixture.CreateRegistryAsync(RegistryTier.Premium);
        var (name, password) = await registry.CreateTokenAsync("_repositories_pull");
        var updated = await registry.ManageOkAsync(HttpMethod.Patch, $"/tokens/{name}", new { properties = new { rateLimitPerMinute = 3 } });
        Assert.Equal(3, updated.GetProperty("properties").GetProperty("rateLimitPerMinute").GetInt32());

        var limited = await registry.TokenAsync(name, password, "repository:app:pull");
        Assert.Equal(3, Jwt.Payload(limited).GetProperty("rate_limit").GetInt32());
        var admin = await registry.AdminTokenAsync("repository:app:pull");
        fixture.Host.Clock.Advance(TimeSpan.FromSeconds(60 - (fixture.Host.Clock.GetUtcNow().ToUnixTimeSeconds() % 60) + 1));
        for (var i = 0; i < 3; i++)
        {
            using var allowed = await registry.SendAsync(HttpMethod.Get, "/v2/", limited);
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        using (var refused = await registry.SendAsync(HttpMethod.Get, "/v2/", limited))
        {
            var error = await Expect.OciErrorAsync(refused, HttpStatusCode.TooManyRequests, "TOOMANYREQUESTS");
            Assert.Contains($"token:{name}", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.NotNull(Expect.Header(refused, "Retry-After"));
        }

        using var adminGoesOn = await registry.SendAsync(HttpMethod.Get, "/v2/", admin);
        Assert.Equal(HttpStatusCode.OK, adminGoesOn.StatusCode);

        using var invalid = await registry.ManageAsync(HttpMethod.Patch, $"/tokens/{name}", new { properties = new { rateLimitPerMinute = -1 } });
        await Expect.ProblemAsync(invalid, HttpStatusCode.BadRequest);
    }
}
