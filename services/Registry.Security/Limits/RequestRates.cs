using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Registry.Oci;

namespace Registry.Security.Limits;

/// <summary>Whether the front door enforces request rates (section <c>RateLimits</c>).</summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "RateLimits";

    /// <summary>Off only for benchmarks and load tests: a tier's rate is part of what it sells.</summary>
    public bool Enabled { get; set; } = true;
}

/// <summary>
/// The front door's request rates: a registry's reads and writes per minute by its tier (ACR's ReadOps and WriteOps),
/// and — beyond ACR — a token's own requests per minute when it has a limit. Past either: 429 <c>TOOMANYREQUESTS</c>
/// with <c>Retry-After</c>, the way ACR throttles.
/// </summary>
public static class RequestRates
{
    public static async Task<IResult?> RefusalAsync(HttpContext context, RegistryInfo registry)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(registry);
        var services = context.RequestServices;
        if (!services.GetRequiredService<IOptions<RateLimitOptions>>().Value.Enabled)
        {
            return null;
        }

        var limiter = services.GetRequiredService<IRequestRateLimiter>();
        var limits = services.GetRequiredService<IOptions<TierOptions>>().Value.For(registry.Tier);
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var write = !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method);
        var (key, limit, what) = write
            ? ($"{registry.Name}:write", limits.WriteOpsPerMinute, "write operations")
            : ($"{registry.Name}:read", limits.ReadOpsPerMinute, "read operations");
        if (await limiter.TryAcquireAsync(key, limit, now, context.RequestAborted) is { } wait)
        {
            return TooMany(wait, $"registry '{registry.Name}' ({registry.Tier}) allows {limit} {what} per minute; retry after {Seconds(wait)} s", registry.Tier.ToString(), limit);
        }

        if (await GrantOfAsync(context, registry) is { RateLimitPerMinute: { } perToken } grant &&
            await limiter.TryAcquireAsync($"{registry.Name}:identity:{grant.Subject}", perToken, now, context.RequestAborted) is { } tokenWait)
        {
            return TooMany(tokenWait, $"'{grant.Subject}' is limited to {perToken} requests per minute; retry after {Seconds(tokenWait)} s", null, perToken);
        }

        return null;
    }

    private static async Task<AccessGrant?> GrantOfAsync(HttpContext context, RegistryInfo registry)
    {
        var validator = context.RequestServices.GetRequiredService<AccessTokenValidator>();
        var check = await validator.ValidateBearerAsync(context.Request.Headers.Authorization.ToString(), registry.LoginServer, context.RequestAborted);
        return check?.Grant;
    }

    private static OciErrorResult TooMany(TimeSpan wait, string message, string? tier, int limit) => new(
        OciErrorCode.TooManyRequests,
        message,
        new { tier, limitPerMinute = limit, retryAfterSeconds = Seconds(wait) },
        new Dictionary<string, string> { ["Retry-After"] = Seconds(wait) });

    private static string Seconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
