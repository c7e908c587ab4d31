using Registry.Security;

namespace Registry.Auth.Identity;

/// <summary>The outcome of presenting credentials: the caller, or a refusal with its status and the time to wait when throttled.</summary>
internal readonly record struct Authentication(Caller? Caller, TimeSpan? RetryAfter, string? Failure)
{
    public bool Succeeded => Caller is not null;

    /// <summary>A <c>Retry-After</c> value: whole seconds, at least one.</summary>
    public static string RetryAfterSeconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// Every credential check of the service goes through here (token endpoint, exchange, management API): throttled per
/// client and identity, audited in the structured log with who, from where and the result, never with the secret.
/// </summary>
internal sealed partial class Authenticator(TokenService tokens, ILoginThrottle throttle, ILogger<Authenticator> logger)
{
    public async Task<Authentication> AuthenticateAsync(HttpContext context, RegistryRecord record, Credentials credentials)
    {
        var client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        // A refresh token is a signed 256-bit-strong secret under one shared user name: counting its failures per identity
        // would let a few stale tokens lock every refresh-token login of the registry out, so only the client is counted.
        var identity = credentials.Username == TokenService.RefreshTokenUser ? null : $"{record.Name}/{credentials.Username.ToLowerInvariant()}";
        if (await throttle.RetryAfterAsync(client, identity) is { } wait)
        {
            LogThrottled(logger, record.Name, credentials.Username, client, (int)Math.Ceiling(wait.TotalSeconds));
            return new Authentication(null, wait, "too many failed logins");
        }

        var caller = await tokens.AuthenticateAsync(record, credentials.Username, credentials.Password, context.RequestAborted);
        if (caller is null)
        {
            await throttle.RecordFailureAsync(client, identity);
            LogFailed(logger, record.Name, credentials.Username, client);
            return new Authentication(null, null, "invalid credentials");
        }

        LogSucceeded(logger, record.Name, caller.Subject, caller.Kind, client);
        return new Authentication(caller, null, null);
    }

    [LoggerMessage(1, LogLevel.Information, "Login succeeded: {Registry} {Identity} ({IdentityKind}) from {ClientAddress}")]
    private static partial void LogSucceeded(ILogger logger, string registry, string identity, IdentityKind identityKind, string clientAddress);

    [LoggerMessage(2, LogLevel.Warning, "Login failed: {Registry} {Username} from {ClientAddress}")]
    private static partial void LogFailed(ILogger logger, string registry, string username, string clientAddress);

    [LoggerMessage(3, LogLevel.Warning, "Login throttled: {Registry} {Username} from {ClientAddress}, retry after {RetryAfterSeconds}s")]
    private static partial void LogThrottled(ILogger logger, string registry, string username, string clientAddress, int retryAfterSeconds);
}
