using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Registry.Security;

/// <summary>
/// The management APIs' endpoint filter, whichever service serves them: the caller is authorized for the registry
/// (reading or changing it), its name kept in <see cref="HttpContext.Items"/> under <see cref="CallerItem"/>, and a
/// <see cref="ManagementException"/> thrown by the endpoint answered as ProblemDetails.
/// </summary>
public static class ManagementFilter
{
    public const string CallerItem = "registry.management-caller";

    /// <summary>For the registry of the route (<c>{registry}</c>); every method but GET changes it.</summary>
    public static ValueTask<object?> AuthorizeRouteRegistryAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.HttpContext;
        return AuthorizeAsync(context, next, http.GetRouteValue("registry") as string ?? string.Empty, changes: !HttpMethods.IsGet(http.Request.Method));
    }

    public static async ValueTask<object?> AuthorizeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next, string registry, bool changes)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        var decision = await http.RequestServices.GetRequiredService<IManagementAuthorizer>().AuthorizeAsync(http, registry, changes);
        if (!decision.IsAllowed)
        {
            return decision.ToProblem(http);
        }

        http.Items[CallerItem] = decision.Caller;
        try
        {
            return await next(context);
        }
        catch (ManagementException ex)
        {
            return ex.ToProblem();
        }
    }
}
