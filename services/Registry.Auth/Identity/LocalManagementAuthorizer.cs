using Registry.Security;

namespace Registry.Auth.Identity;

/// <summary>
/// Management API callers, checked here for every service's management endpoints: Basic credentials of the admin user
/// or of a service principal (throttled and audited like every login); Owner or Contributor to change, Reader to look.
/// </summary>
internal sealed class LocalManagementAuthorizer(RegistryStore registries, Authenticator authenticator, RegistryHosts hosts) : IManagementAuthorizer
{
    public async Task<ManagementDecision> AuthorizeAsync(HttpContext context, string registry, bool changes)
    {
        var record = await registries.GetAsync(registry, context.RequestAborted);
        if (record is null)
        {
            return Refused(StatusCodes.Status404NotFound, "Not found", $"registry '{registry}' was not found");
        }

        var credentials = Credentials.FromBasicHeader(context.Request.Headers.Authorization);
        if (credentials is null)
        {
            return Refused(StatusCodes.Status401Unauthorized, "Unauthorized", "Basic credentials of the admin user or of a service principal are required");
        }

        // The platform operator (an Owner of the default registry) manages every registry with the same credentials:
        // a user name this registry does not know is checked against the default registry instead, never against both.
        var operatorCall = false;
        if (record.Name != hosts.DefaultRegistry && !Knows(record, credentials.Username) &&
            await registries.GetAsync(hosts.DefaultRegistry, context.RequestAborted) is { } platform)
        {
            (record, operatorCall) = (platform, true);
        }

        var authentication = await authenticator.AuthenticateAsync(context, record, credentials);
        if (authentication.RetryAfter is { } wait)
        {
            return new ManagementDecision(
                null, StatusCodes.Status429TooManyRequests, "Too many requests", "too many failed logins; try again later", Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)));
        }

        if (authentication.Caller is not { } caller)
        {
            return Refused(StatusCodes.Status401Unauthorized, "Unauthorized", "the user name or password is not valid for this registry");
        }

        var permissions = AccessPolicy.PermissionsOf(record, caller);
        if (operatorCall)
        {
            return permissions.Owner
                ? ManagementDecision.Allowed($"operator:{caller.Subject}")
                : Refused(StatusCodes.Status403Forbidden, "Forbidden", $"'{caller.Subject}' of registry '{record.Name}' is not the platform operator (an Owner of the default registry)");
        }

        return permissions.Owner || (!changes && permissions.ManagementReader)
            ? ManagementDecision.Allowed(caller.Subject)
            : Refused(
                StatusCodes.Status403Forbidden,
                "Forbidden",
                changes
                    ? $"'{caller.Subject}' may not change the resources of registry '{record.Name}'; that needs the admin user, or the Owner or Contributor role on the whole registry"
                    : $"'{caller.Subject}' may not read the resources of registry '{record.Name}'; that needs the admin user, or the Owner, Contributor or Reader role on the whole registry");
    }

    private static bool Knows(RegistryRecord record, string username) =>
        (record.Settings.AdminUserEnabled && string.Equals(username, TokenService.AdminUsername(record), StringComparison.OrdinalIgnoreCase)) ||
        record.Tokens.ContainsKey(username) ||
        (Guid.TryParse(username, out _) && record.ServicePrincipals.ContainsKey(username.ToLowerInvariant()));

    private static ManagementDecision Refused(int status, string title, string detail) => new(null, status, title, detail, null);
}
