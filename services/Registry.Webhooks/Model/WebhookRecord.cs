using System.Text.Json;
using System.Text.Json.Serialization;

namespace Registry.Webhooks.Model;

/// <summary>ACR's webhook actions; <c>quarantine</c> is accepted now and raised once the scanner exists.</summary>
internal static class WebhookActions
{
    public const string Push = "push";
    public const string Delete = "delete";
    public const string Quarantine = "quarantine";
    public const string ChartPush = "chart_push";
    public const string ChartDelete = "chart_delete";
    public const string Ping = "ping";

    public static readonly IReadOnlyList<string> Subscribable = [Push, Delete, Quarantine, ChartPush, ChartDelete];
}

internal static class WebhookStatus
{
    public const string Enabled = "enabled";
    public const string Disabled = "disabled";
}

internal static class PayloadFormats
{
    /// <summary>ACR's webhook JSON, as ACR sends it.</summary>
    public const string Acr = "acr";

    /// <summary>CloudEvents 1.0, structured JSON mode, with ACR's payload as <c>data</c> (Event Grid's type names).</summary>
    public const string CloudEvents = "cloudevents";
}

/// <summary>One webhook of a registry, as stored (one document each). The secret signs bodies, so it is kept as given.</summary>
internal sealed record WebhookRecord
{
    public required string Name { get; init; }

    public required string ServiceUri { get; init; }

    public IReadOnlyDictionary<string, string> CustomHeaders { get; init; } = new Dictionary<string, string>();

    public required IReadOnlyList<string> Actions { get; init; }

    /// <summary>Empty for every repository; else <c>repo:tag</c> with <c>*</c> wildcards (<c>repo</c> alone means <c>repo:latest</c>).</summary>
    public string Scope { get; init; } = string.Empty;

    public string Status { get; init; } = WebhookStatus.Enabled;

    public string PayloadFormat { get; init; } = PayloadFormats.Acr;

    public string? Secret { get; init; }

    public string? Location { get; init; }

    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Why the service disabled the webhook itself (too many failed deliveries); null when a person set the status.</summary>
    public string? DisabledReason { get; init; }

    [JsonIgnore]
    public bool IsEnabled => Status == WebhookStatus.Enabled;
}

/// <summary>How a webhook's deliveries have been going; written when that changes, so healthy traffic writes nothing.</summary>
internal sealed record WebhookHealth
{
    public static readonly WebhookHealth Unknown = new();

    public int ConsecutiveFailures { get; init; }

    public DateTimeOffset? LastDeliveredAt { get; init; }

    public DateTimeOffset? LastFailedAt { get; init; }

    public string? LastError { get; init; }

    public bool IsFailing(int threshold) => ConsecutiveFailures >= threshold;
}

internal static class WebhookJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
