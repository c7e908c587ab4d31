using System.Text.Json;
using Registry.Distribution.Events;
using Registry.Replication.Import;
using Registry.Security;

namespace Registry.Replication.Apis;

/// <summary>
/// ACR's image import under <c>/api/registries/{registry}/import</c>: <c>POST</c> starts one (202 with the operation),
/// <c>GET operations/{id}</c> follows it. Callers authenticate as for every management call; errors are ProblemDetails.
/// </summary>
internal static class ImportApi
{
    private const string CallerItem = "registry.management-caller";

    public static RouteGroupBuilder MapImportApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/registries/{registry}/import").AddEndpointFilter(AuthorizeAsync).DisableAntiforgery();
        group.MapPost("", Start).WithName("ImportImage");
        group.MapGet("/operations/{id}", GetOperation).WithName("GetImportOperation");
        return group;
    }

    /// <summary>Following an import needs Reader; starting one changes the registry.</summary>
    private static async ValueTask<object?> AuthorizeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var decision = await http.RequestServices.GetRequiredService<IManagementAuthorizer>()
            .AuthorizeAsync(http, http.GetRouteValue("registry") as string ?? string.Empty, changes: !HttpMethods.IsGet(http.Request.Method));
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

    internal static async Task<IResult> Start(string registry, HttpRequest request, Importer importer, CancellationToken cancellationToken)
    {
        ImportRequest? body;
        try
        {
            body = await request.ReadFromJsonAsync(ImportJson.Default.ImportRequest, cancellationToken);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or BadHttpRequestException)
        {
            throw ManagementException.Invalid($"the body must be ACR's importImage JSON: {ex.Message}");
        }

        var origin = EventOrigin.Of(request.HttpContext, request.HttpContext.Items[CallerItem] as string);
        var operation = await importer.StartAsync(registry, body ?? new ImportRequest(), origin, cancellationToken);
        var location = $"/api/registries/{Uri.EscapeDataString(registry)}/import/operations/{operation.Id}";
        request.HttpContext.Response.Headers["Azure-AsyncOperation"] = location;
        return TypedResults.Accepted(location, operation);
    }

    internal static async Task<IResult> GetOperation(string registry, string id, Importer importer, CancellationToken cancellationToken)
    {
        var operation = Guid.TryParse(id, out var operationId) ? await importer.FindAsync(registry, operationId, cancellationToken) : null;
        return operation is null ? throw ManagementException.NotFound($"import operation '{id}'") : TypedResults.Ok(operation);
    }
}
