using System.Text.Json.Serialization;
using Registry.Webhooks.Model;

namespace Registry.Webhooks.Apis;

/// <summary>ACR's webhook resource, plus what this platform adds (payload format, signing, health).</summary>
internal sealed record WebhookResource(
    string Id,
    string Name,
    string Type,
    string? Location,
    IReadOnlyDictionary<string, string> Tags,
    WebhookResourceProperties Properties);

internal sealed record WebhookResourceProperties(
    string Status,
    string Scope,
    IReadOnlyList<string> Actions,
    string PayloadFormat,
    bool SigningSecretSet,
    string? DisabledReason,
    WebhookHealthResource Health,
    DateTimeOffset CreationDate,
    string ProvisioningState = "Succeeded");

internal sealed record WebhookHealthResource(string State, int ConsecutiveFailures, DateTimeOffset? LastDeliveredAt, DateTimeOffset? LastFailedAt, string? LastError);

/// <summary>Create (PUT) and update (PATCH): ACR's <c>WebhookCreateParameters</c> / <c>WebhookUpdateParameters</c>.</summary>
internal sealed record WebhookRequest(string? Location, Dictionary<string, string>? Tags, WebhookRequestProperties? Properties);

internal sealed record WebhookRequestProperties(
    string? ServiceUri,
    Dictionary<string, string>? CustomHeaders,
    string? Status,
    string? Scope,
    List<string>? Actions,
    string? PayloadFormat,
    string? Secret);

/// <summary>ACR's <c>CallbackConfig</c>: where deliveries go and with which headers (the one place headers are shown).</summary>
internal sealed record CallbackConfig(string ServiceUri, IReadOnlyDictionary<string, string> CustomHeaders);

/// <summary>ACR's <c>EventInfo</c>, with the outcome of the ping's one attempt.</summary>
internal sealed record PingResult(string Id, string Status, int? StatusCode, string? Error);

internal sealed record RedeliveryResult(string Id, string Status);

/// <summary>ACR's <c>Event</c> (request and response messages of the latest attempt) with the delivery's status and every attempt.</summary>
internal sealed record EventResource(
    string Id,
    string Status,
    int AttemptCount,
    DateTimeOffset CreatedAt,
    DateTimeOffset? NextAttemptAt,
    string? FailureReason,
    EventRequestMessage? EventRequestMessage,
    EventResponseMessage? EventResponseMessage,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<DeliveryAttempt>? Attempts);

internal sealed record EventRequestMessage(
    [property: JsonPropertyName("content")] System.Text.Json.JsonElement? Content,
    [property: JsonPropertyName("headers")] IReadOnlyDictionary<string, string> Headers,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("requestUri")] string RequestUri,
    [property: JsonPropertyName("version")] string Version = "1.1");

internal sealed record EventResponseMessage(
    [property: JsonPropertyName("content")] string? Content,
    [property: JsonPropertyName("headers")] IReadOnlyDictionary<string, string> Headers,
    [property: JsonPropertyName("reasonPhrase")] string? ReasonPhrase,
    [property: JsonPropertyName("statusCode")] string StatusCode,
    [property: JsonPropertyName("version")] string Version = "1.1");

internal sealed record PagedResult<T>(
    [property: JsonPropertyName("value")] IReadOnlyList<T> Value,
    [property: JsonPropertyName("nextLink")] string? NextLink);
