using System.Security.Cryptography;
using System.Text;

namespace Registry.Webhooks.Model;

internal static class DeliveryStatus
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
}

/// <summary>
/// Deliveries not finished yet, kept in storage from the moment an event is accepted until each of its deliveries is
/// delivered or given up: one event's fan-out to its webhooks, a ping, or a redelivery.
/// </summary>
internal sealed record DeliveryBatch
{
    public required Guid Id { get; init; }

    public required WebhookEvent Event { get; init; }

    public required IReadOnlyList<BatchDelivery> Deliveries { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
}

/// <param name="MaxAttempts">Null for the configured number; a ping is tried once.</param>
internal sealed record BatchDelivery(string Webhook, string DeliveryId, int? MaxAttempts = null);

/// <summary>One delivery of one event to one webhook, with every attempt: the webhook's history.</summary>
internal sealed record DeliveryRecord
{
    public required string Id { get; init; }

    public required string Webhook { get; init; }

    public required Guid EventId { get; init; }

    public required string Action { get; init; }

    public required string Status { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? NextAttemptAt { get; init; }

    public string? FailureReason { get; init; }

    public IReadOnlyList<DeliveryAttempt> Attempts { get; init; } = [];

    public bool IsFinished => Status != DeliveryStatus.Pending;

    [System.Text.Json.Serialization.JsonIgnore]
    public DeliveryAttempt? LastAttempt => Attempts.Count == 0 ? null : Attempts[^1];
}

internal sealed record DeliveryAttempt
{
    public required int Number { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required double DurationMs { get; init; }

    public required AttemptRequest Request { get; init; }

    public AttemptResponse? Response { get; init; }

    /// <summary>Why no response came (timeout, refused connection, an address outbound safety refuses).</summary>
    public string? Error { get; init; }
}

/// <summary>The request as sent, secrets redacted from its headers.</summary>
internal sealed record AttemptRequest(string Method, string Uri, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>The subscriber's answer; the body cut to an excerpt.</summary>
internal sealed record AttemptResponse(int StatusCode, string? ReasonPhrase, IReadOnlyDictionary<string, string> Headers, string Body);

internal static class DeliveryIds
{
    /// <summary>
    /// <c>{inverted ticks}-{hash}</c>: newest first in a listing, and for an event the same on every redelivery of the
    /// message, so a second fan-out of one event finds the first one's records.
    /// </summary>
    public static string For(Guid eventId, DateTimeOffset occurredAt, string webhook)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{eventId:N}/{webhook}"));
        return $"{DateTimeOffset.MaxValue.UtcTicks - occurredAt.UtcTicks:D19}-{Convert.ToHexStringLower(hash.AsSpan(0, 16))}";
    }

    public static string New(DateTimeOffset at) =>
        $"{DateTimeOffset.MaxValue.UtcTicks - at.UtcTicks:D19}-{Guid.NewGuid():N}";
}
