using Microsoft.Extensions.Options;
using Registry.Distribution.Core;
using Registry.Oci;

namespace Registry.Distribution.Apis;

/// <summary>The OCI distribution / Docker Registry v2 API under <c>/v2</c>, and ACR's repository delete under <c>/acr/v1</c>.</summary>
public static class DistributionApi
{
    public const string ApiVersionHeader = "Docker-Distribution-API-Version";

    private static readonly string[] Methods = ["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"];

    public static RouteGroupBuilder MapDistributionApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/v2");
        group.AddEndpointFilter(async (context, next) =>
        {
            context.HttpContext.Response.Headers[ApiVersionHeader] = "registry/2.0";
            return await next(context);
        });
        group.MapMethods("/", ["GET", "HEAD"], GetBase).WithName("V2Base");
        group.MapMethods("/{**path}", Methods, Dispatch).WithName("V2").WithMetadata(new UnlimitedRequestBody());
        endpoints.MapAcrApi();
        return group;
    }

    /// <summary><c>GET /v2/</c>: the API version check every client starts with; with token auth, any valid token passes.</summary>
    public static async Task<IResult> GetBase(HttpContext context, V2Access access)
    {
        try
        {
            return await access.AuthorizeAsync(context, access.RegistryOf(context), []) ?? TypedResults.Text("{}", MediaTypes.Json);
        }
        catch (OciException ex)
        {
            return OciErrorResult.From(ex);
        }
    }

    /// <summary>One route parser for every <c>/v2/&lt;name&gt;/…</c> endpoint, then a named handler per endpoint and method.</summary>
    public static async Task<IResult> Dispatch(HttpContext context, string? path, V2Access access)
    {
        if (path is null || !V2Route.TryParse(path, out var route))
        {
            return OciErrorResult.Of(OciErrorCode.NotFound, "no such endpoint under /v2", path);
        }

        try
        {
            var method = context.Request.Method;
            var services = context.RequestServices;
            var registry = access.RegistryOf(context);
            if (await access.AuthorizeAsync(context, registry, V2Access.Required(route, method)) is { } refused)
            {
                return refused;
            }

            if (route.Endpoint == V2Endpoint.Catalog)
            {
                return IsRead(method)
                    ? await CatalogApi.GetCatalog(context, registry, services.GetRequiredService<IManifestStore>())
                    : MethodNotAllowed(method);
            }

            var repository = new RepositoryPath(registry, route.Name);
            if (BlobAccess(route, context.Request, method) is { } blobAccess
                && await services.GetRequiredService<IRepositoryMetadata>().BlobRefusalAsync(repository, blobAccess, context.RequestAborted) is { } locked)
            {
                return OciErrorResult.Of(OciErrorCode.Denied, locked);
            }

            return (route.Endpoint, method) switch
            {
                (V2Endpoint.Blob, "GET" or "HEAD") => await BlobsApi.GetBlob(context, repository, route.Argument, services.GetRequiredService<IBlobStore>(), services.GetRequiredService<IOptions<DistributionOptions>>()),
                (V2Endpoint.Blob, "DELETE") => await BlobsApi.DeleteBlob(context, repository, route.Argument, services.GetRequiredService<IBlobStore>()),
                (V2Endpoint.UploadStart, "POST") => await UploadsApi.StartUpload(context, repository, services.GetRequiredService<IUploadStore>(), services.GetRequiredService<IBlobStore>(), access),
                (V2Endpoint.Upload, "GET") => await UploadsApi.GetUploadStatus(context, repository, route.Argument, services.GetRequiredService<IUploadStore>()),
                (V2Endpoint.Upload, "PATCH") => await UploadsApi.PatchUpload(context, repository, route.Argument, services.GetRequiredService<IUploadStore>()),
                (V2Endpoint.Upload, "PUT") => await UploadsApi.CompleteUpload(context, repository, route.Argument, services.GetRequiredService<IUploadStore>()),
                (V2Endpoint.Upload, "DELETE") => await UploadsApi.CancelUpload(context, repository, route.Argument, services.GetRequiredService<IUploadStore>()),
                (V2Endpoint.Manifest, "GET" or "HEAD") => await ManifestsApi.GetManifest(context, repository, route.Argument, services.GetRequiredService<IManifestStore>(), services.GetRequiredService<PullPolicyGate>(), services.GetRequiredService<IRepositoryMetadata>()),
                (V2Endpoint.Manifest, "PUT") => await ManifestsApi.PutManifest(context, repository, route.Argument, services.GetRequiredService<IManifestStore>()),
                (V2Endpoint.Manifest, "DELETE") => await ManifestsApi.DeleteManifest(context, repository, route.Argument, services.GetRequiredService<IManifestStore>()),
                (V2Endpoint.Tags, "GET" or "HEAD") => await TagsApi.ListTags(context, repository, services.GetRequiredService<IManifestStore>()),
                (V2Endpoint.Referrers, "GET" or "HEAD") => await ReferrersApi.ListReferrers(context, repository, route.Argument, services.GetRequiredService<IManifestStore>()),
                _ => MethodNotAllowed(method),
            };
        }
        catch (OciException ex)
        {
            return OciErrorResult.From(ex);
        }
    }

    /// <summary>Blob bodies are streamed and may be many GiB; the manifest handler enforces its own limit.</summary>
    private sealed class UnlimitedRequestBody : Microsoft.AspNetCore.Http.Metadata.IRequestSizeLimitMetadata
    {
        public long? MaxRequestBodySize => null;
    }

    /// <summary>
    /// The repository lock a blob or upload request meets (ADR 0013); manifests and tags are checked by their handlers and
    /// the manifest store. A malformed digest or upload id meets none: its handler refuses it before storage is touched.
    /// </summary>
    private static ContentAccess? BlobAccess(V2Route route, HttpRequest request, string method) => route.Endpoint switch
    {
        V2Endpoint.UploadStart when !WellFormed(request.Query["mount"], IsDigest) || !WellFormed(request.Query["digest"], IsDigest)
            || !WellFormed(request.Query["from"], OciGrammar.IsRepositoryName) => null,
        V2Endpoint.Blob when !IsDigest(route.Argument) => null,
        V2Endpoint.Blob when IsRead(method) => ContentAccess.Read,
        V2Endpoint.Blob when HttpMethods.IsDelete(method) => ContentAccess.Delete,
        V2Endpoint.Upload when !Registry.Storage.StoragePaths.IsUploadId(route.Argument) => null,
        V2Endpoint.UploadStart or V2Endpoint.Upload when !IsRead(method) && !HttpMethods.IsDelete(method) => ContentAccess.Write,
        _ => null,
    };

    private static bool WellFormed(Microsoft.Extensions.Primitives.StringValues value, Func<string, bool> valid) =>
        value.ToString() is not { Length: > 0 } text || valid(text);

    private static bool IsDigest(string text) => Digest.TryParse(text, out _);

    private static bool IsRead(string method) => HttpMethods.IsGet(method) || HttpMethods.IsHead(method);

    private static OciErrorResult MethodNotAllowed(string method) =>
        OciErrorResult.Of(OciErrorCode.Unsupported, $"method {method} is not supported on this endpoint", new { method });
}
