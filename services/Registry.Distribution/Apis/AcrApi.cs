using Registry.Distribution.Core;
using Registry.Oci;

namespace Registry.Distribution.Apis;

/// <summary>
/// ACR's repository API beside <c>/v2</c>: <c>DELETE /acr/v1/{repository}</c> deletes a whole repository (what
/// <c>az acr repository delete</c> calls) with a bearer token granting <c>delete</c> on it, and answers 202 with what
/// went: <c>{"manifestsDeleted":[…],"tagsDeleted":[…]}</c>.
/// </summary>
public static class AcrApi
{
    public static RouteGroupBuilder MapAcrApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/acr/v1");
        group.MapDelete("/{**name}", DeleteRepository).WithName("AcrDeleteRepository");
        return group;
    }

    public static async Task<IResult> DeleteRepository(HttpContext context, string? name, V2Access access, IManifestStore manifests)
    {
        try
        {
            var registry = access.RegistryOf(context);
            if (name is null || !OciGrammar.IsRepositoryName(name))
            {
                return OciErrorResult.Of(OciErrorCode.NameInvalid, $"'{name}' is not a repository name", new { name });
            }

            if (await access.AuthorizeAsync(context, registry, [AccessScope.Repository(name, RegistryActions.Delete)]) is { } refused)
            {
                return refused;
            }

            var deletion = await manifests.DeleteRepositoryAsync(new RepositoryPath(registry, name), context.RequestAborted)
                ?? throw new OciException(OciErrorCode.NameUnknown, $"repository {name} is not known to the registry", new { name });
            return TypedResults.Json(new DeletedRepository(deletion.Manifests, deletion.Tags), statusCode: StatusCodes.Status202Accepted);
        }
        catch (OciException ex)
        {
            return OciErrorResult.From(ex);
        }
    }

    private sealed record DeletedRepository(
        [property: System.Text.Json.Serialization.JsonPropertyName("manifestsDeleted")] IReadOnlyList<string> ManifestsDeleted,
        [property: System.Text.Json.Serialization.JsonPropertyName("tagsDeleted")] IReadOnlyList<string> TagsDeleted);
}
