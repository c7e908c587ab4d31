using System.Text.Json;
using System.Text.Json.Serialization;
using Registry.Distribution.Core;
using Registry.Oci;

namespace Registry.Distribution.Apis;

/// <summary>The OCI error body; <c>detail</c> is always written (null when there is nothing to add) so every error has one shape.</summary>
internal sealed record OciErrors([property: JsonPropertyName("errors")] IReadOnlyList<OciError> Errors);

internal sealed record OciError(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("detail"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] JsonElement? Detail);

internal sealed record TagList(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("tags")] IReadOnlyList<string> Tags);

internal sealed record Catalog([property: JsonPropertyName("repositories")] IReadOnlyList<string> Repositories);

internal sealed record ReferrersIndex
{
    [JsonPropertyName("schemaVersion")]
    public int SchemaVersion { get; init; } = 2;

    [JsonPropertyName("mediaType")]
    public string MediaType { get; init; } = MediaTypes.OciIndex;

    [JsonPropertyName("manifests")]
    public required IReadOnlyList<Descriptor> Manifests { get; init; }
}

/// <summary>The OCI error body <c>{"errors":[{"code","message","detail"}]}</c> with the code's status and any extra headers.</summary>
internal sealed class OciErrorResult(OciErrorCode error, string message, object? detail, IReadOnlyDictionary<string, string>? headers = null) : IResult
{
    public OciErrorCode Error => error;

    public static OciErrorResult From(OciException exception) =>
        new(exception.Error, exception.Message, exception.Detail, exception.Headers);

    public static OciErrorResult Of(OciErrorCode error, string? message = null, object? detail = null) =>
        new(error, message ?? error.Message, detail);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = error.Status;
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            response.Headers[name] = value;
        }

        if (HttpMethods.IsHead(httpContext.Request.Method))
        {
            return;
        }

        JsonElement? detailElement = detail switch
        {
            null => null,
            JsonElement element => element,
            _ => JsonSerializer.SerializeToElement(detail, detail.GetType(), DetailOptions),
        };
        response.ContentType = MediaTypes.Json;
        await JsonSerializer.SerializeAsync(
            response.Body,
            new OciErrors([new OciError(error.Code, message, detailElement)]),
            DistributionJson.Default.OciErrors,
            httpContext.RequestAborted);
    }

    private static readonly JsonSerializerOptions DetailOptions = new(JsonSerializerDefaults.Web);
}

/// <summary>A JSON body written with the source-generated serializer, with the given status and content type.</summary>
internal sealed class OciJsonResult<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo, string contentType, int status = 200) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = status;
        httpContext.Response.ContentType = contentType;
        await JsonSerializer.SerializeAsync(httpContext.Response.Body, value, typeInfo, httpContext.RequestAborted);
    }
}
