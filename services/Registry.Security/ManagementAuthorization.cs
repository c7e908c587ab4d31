using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace Registry.Security;

/// <summary>
/// The answer to "may this caller read (or change) this registry's resources through the management API": the caller's
/// name, or the ProblemDetails status, title and detail to refuse with (and when to come back after too many failures).
/// </summary>
public sealed record ManagementDecision(
    [property: JsonPropertyName("caller")] string? Caller,
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("detail")] string? Detail,
    [property: JsonPropertyName("retryAfterSeconds")] int? RetryAfterSeconds)
{
    public static ManagementDecision Allowed(string caller) => new(caller, StatusCodes.Status200OK, null, null, null);

    [JsonIgnore]
    public bool IsAllowed => Caller is not null;

    /// <summary>The refusal as the management API answers it: ProblemDetails, with Basic challenge or Retry-After as fits.</summary>
    public IResult ToProblem(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"Registry\"";
        }

        if (RetryAfterSeconds is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return Results.Problem(Detail, statusCode: Status, title: Title);
    }
}

/// <summary>Authenticates management API callers (the admin user, service principals with a registry role); owned by the auth service.</summary>
public interface IManagementAuthorizer
{
    Task<ManagementDecision> AuthorizeAsync(HttpContext context, string registry, bool changes);
}

/// <summary>
/// Asks the auth service (<c>POST /internal/registries/{registry}/authorize</c>), passing the caller's credentials and
/// address on, so failed logins are throttled and audited in one place whichever service the call reached.
/// </summary>
public sealed class HttpManagementAuthorizer(HttpClient client) : IManagementAuthorizer
{
    public const string PathSuffix = "authorize";

    public async Task<ManagementDecision> AuthorizeAsync(HttpContext context, string registry, bool changes)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var request = new HttpRequestMessage(
            HttpMethod.Post,
            new Uri($"{HttpRegistryDirectory.InternalPath}/{Uri.EscapeDataString(registry)}/{PathSuffix}?changes={(changes ? "true" : "false")}", UriKind.Relative));
        if (context.Request.Headers.Authorization.ToString() is { Length: > 0 } authorization)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        if (context.Connection.RemoteIpAddress is { } address)
        {
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", address.ToString());
        }

        try
        {
            using var response = await client.SendAsync(request, context.RequestAborted);
            return await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<ManagementDecision>(context.RequestAborted)
                ?? throw new HttpRequestException("empty answer");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !context.RequestAborted.IsCancellationRequested)
        {
            return new ManagementDecision(null, StatusCodes.Status503ServiceUnavailable, "Service unavailable", $"the auth service could not check the credentials: {ex.Message}", 5);
        }
    }
}

/// <summary>A refused management request: becomes a ProblemDetails with this status.</summary>
public sealed class ManagementException(int status, string title, string detail) : Exception(detail)
{
    public int Status { get; } = status;

    public string Title { get; } = title;

    public static ManagementException NotFound(string what) => new(StatusCodes.Status404NotFound, "Not found", $"{what} does not exist");

    public static ManagementException Invalid(string detail) => new(StatusCodes.Status400BadRequest, "Invalid request", detail);

    public static ManagementException Conflict(string detail) => new(StatusCodes.Status409Conflict, "Conflict", detail);

    public IResult ToProblem() => Results.Problem(Message, statusCode: Status, title: Title);
}
