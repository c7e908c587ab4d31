using System.Text.Json;
using System.Text.Json.Serialization;
using Registry.Distribution.Core;
using Registry.Oci;

namespace Registry.Distribution.Apis;

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
