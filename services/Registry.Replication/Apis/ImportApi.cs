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
    public static RouteGroupBuilder MapImportApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/registries/{registry}/import").AddEndpointFilter(ManagementFilter.AuthorizeRouteRegistryAsync).DisableAntiforgery();
        group.MapPost("", Start).WithName("ImportImage");
        group.MapGet("/operations/{id}", GetOperation).WithName("GetImportOperation");
        return group;
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

        var origin = EventOrigin.Of(request.HttpContext, request.HttpContext.Items[ManagementFilter.CallerItem] as string);
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
