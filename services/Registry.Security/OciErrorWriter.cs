using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Registry.Oci;

namespace Registry.Security;

/// <summary>Writes the OCI error body for the answers given before a request reaches the distribution API (front door, token checks).</summary>
public static class OciErrorWriter
{
    public static async Task WriteAsync(HttpResponse response, OciErrorCode error, string message, object? detail = null, int? status = null)
    {
        response.StatusCode = status ?? error.Status;
        if (HttpMethods.IsHead(response.HttpContext.Request.Method))
        {
            return;
        }

        response.ContentType = MediaTypes.Json;
        await JsonSerializer.SerializeAsync(
            response.Body,
            new { errors = new[] { new { code = error.Code, message, detail } } },
            WebJson,
            response.HttpContext.RequestAborted);
    }

    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);
}
