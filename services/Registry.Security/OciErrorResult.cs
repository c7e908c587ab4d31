using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Registry.Oci;

namespace Registry.Security;

/// <summary>
/// The OCI error body <c>{"errors":[{"code","message","detail"}]}</c> with the code's status and any extra headers: the one
/// writer for every <c>/v2</c> and <c>/oauth2</c> error, whether the front door, the token server or distribution answers.
/// </summary>
public sealed class OciErrorResult(OciErrorCode error, string message, object? detail, IReadOnlyDictionary<string, string>? headers = null) : IResult
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
            response.Body, new OciErrors([new OciError(error.Code, message, detailElement)]), OciErrorJson.Default.OciErrors, httpContext.RequestAborted);
    }

    private static readonly JsonSerializerOptions DetailOptions = new(JsonSerializerDefaults.Web);
}

/// <summary><c>detail</c> is always written (null when there is nothing to add) so every error has one shape.</summary>
internal sealed record OciErrors([property: JsonPropertyName("errors")] IReadOnlyList<OciError> Errors);

internal sealed record OciError(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("detail"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] JsonElement? Detail);

[JsonSerializable(typeof(OciErrors))]
internal sealed partial class OciErrorJson : JsonSerializerContext;
