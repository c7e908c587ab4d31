using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Registry.Oci;

namespace Registry.Security;

/// <summary>
/// The front door's own behaviour, the same in the gateway and in the single-process host: every request gets a
/// request id, and a registry API request whose host names no existing registry ends here with a clear 404.
/// </summary>
public static class FrontDoor
{
    public const string RequestIdHeader = "X-Request-Id";

    public static IApplicationBuilder UseRegistryFrontDoor(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var request = context.Request;
        var requestId = request.Headers[RequestIdHeader].ToString();
        if (!IsAcceptableRequestId(requestId))
        {
            requestId = NewRequestId();
            request.Headers[RequestIdHeader] = requestId;
        }

        context.Response.Headers[RequestIdHeader] = requestId;
        if (request.Path.StartsWithSegments("/v2") || request.Path.StartsWithSegments("/acr") || request.Path.StartsWithSegments("/oauth2"))
        {
            var hosts = context.RequestServices.GetRequiredService<RegistryHosts>();
            var resolution = hosts.Resolve(request.Host);
            RegistryInfo? registry;
            try
            {
                registry = resolution.IsValid
                    ? await context.RequestServices.GetRequiredService<IRegistryDirectory>().FindAsync(resolution.Registry!, context.RequestAborted)
                    : null;
            }
            catch (RegistryDirectoryUnavailableException ex)
            {
                await new OciErrorResult(OciErrorCode.Unavailable, ex.Message, new { registry = resolution.Registry }, new Dictionary<string, string>
                {
                    ["Retry-After"] = "5",
                }).ExecuteAsync(context);
                return;
            }

            if (registry is null)
            {
                await OciErrorResult.Of(
                    OciErrorCode.NameUnknown,
                    $"no registry is served at '{request.Host.Host}'",
                    new { host = request.Host.Value, registry = resolution.Registry }).ExecuteAsync(context);
                return;
            }

            if (!request.Path.StartsWithSegments("/oauth2") && await Limits.RequestRates.RefusalAsync(context, registry) is { } refusal)
            {
                await refusal.ExecuteAsync(context);
                return;
            }
        }

        await next(context);
    });

    /// <summary>
    /// Behind the gateway, the client's scheme, host and address arrive as X-Forwarded-* headers; a service takes them as
    /// its own so challenges, Location headers and audit logs name what the client used. The services listen only on the
    /// platform's private network, so every hop is trusted (the gateway overwrites what a client sends).
    /// </summary>
    public static IApplicationBuilder UseGatewayForwardedHeaders(this IApplicationBuilder app)
    {
        var options = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.All };
        options.KnownIPNetworks.Clear();
        options.KnownProxies.Clear();
        return app.UseForwardedHeaders(options);
    }

    private static readonly string RequestIdPrefix = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
    private static long _requestCounter;

    /// <summary>
    /// 32 hex digits like a GUID's, unique across processes (a random per-process prefix) without reading the system's
    /// random source per request (that read was 2–3 % of a manifest HEAD's CPU).
    /// </summary>
    private static string NewRequestId() => string.Create(32, Interlocked.Increment(ref _requestCounter), static (span, counter) =>
    {
        RequestIdPrefix.AsSpan().CopyTo(span);
        counter.TryFormat(span[16..], out _, "x16", System.Globalization.CultureInfo.InvariantCulture);
    });

    /// <summary>A client's own request id is kept when it is a short token; anything else is replaced, never echoed.</summary>
    private static bool IsAcceptableRequestId(string value) =>
        value.Length is > 0 and <= 128 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
