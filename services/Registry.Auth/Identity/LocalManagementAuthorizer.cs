using Registry.Security;

namespace Registry.Auth.Identity;

/// <summary>
/// Management API callers, checked here for every service's management endpoints: Basic credentials of the admin user
/// or of a service principal (throttled and audited like every login); Owner or Contributor to change, Reader to look.
/// </summary>
internal sealed class LocalManagementAuthorizer(RegistryStore registries, Authenticator authenticator) : IManagementAuthorizer
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
        return permissions.Owner || (!changes && permissions.ManagementReader)
            ? ManagementDecision.Allowed(caller.Subject)
            : Refused(
                StatusCodes.Status403Forbidden,
                "Forbidden",
                changes
                    ? $"'{caller.Subject}' may not change the resources of registry '{record.Name}'; that needs the admin user, or the Owner or Contributor role on the whole registry"
                    : $"'{caller.Subject}' may not read the resources of registry '{record.Name}'; that needs the admin user, or the Owner, Contributor or Reader role on the whole registry");
    }

    private static ManagementDecision Refused(int status, string title, string detail) => new(null, status, title, detail, null);
}
