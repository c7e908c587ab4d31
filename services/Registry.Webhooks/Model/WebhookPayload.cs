using System.Text.Json;
using System.Text.Json.Serialization;
using Registry.Contracts;

namespace Registry.Webhooks.Model;

/// <summary>ACR's webhook payload: <c>{id, timestamp, action, target, request, actor, source}</c>, absent fields left out.</summary>
internal sealed record WebhookPayload
{
    [JsonPropertyName("id")]
    public required Guid Id { get; init; }

    [JsonPropertyName("timestamp")]
    public required DateTimeOffset Timestamp { get; init; }

    [JsonPropertyName("action")]
    public required string Action { get; init; }

    [JsonPropertyName("target")]
    public PayloadTarget? Target { get; init; }

    [JsonPropertyName("request")]
    public PayloadRequest? Request { get; init; }

    [JsonPropertyName("actor")]
    public PayloadActor? Actor { get; init; }

    [JsonPropertyName("source")]
    public PayloadSource? Source { get; init; }
}

internal sealed record PayloadTarget
{
    [JsonPropertyName("mediaType")]
    public string? MediaType { get; init; }

    [JsonPropertyName("size")]
    public long? Size { get; init; }

    [JsonPropertyName("digest")]
    public string? Digest { get; init; }

    [JsonPropertyName("length")]
    public long? Length { get; init; }

    [JsonPropertyName("repository")]
    public string? Repository { get; init; }

    [JsonPropertyName("tag")]
    public string? Tag { get; init; }

    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("version")]
    public string? Version { get; init; }
}

internal sealed record PayloadRequest(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("useragent")] string? UserAgent);

internal sealed record PayloadActor([property: JsonPropertyName("name")] string Name);

internal sealed record PayloadSource(
    [property: JsonPropertyName("addr")] string Address,
    [property: JsonPropertyName("instanceID")] string InstanceId);

/// <summary>What a registry event becomes for webhooks: its action, payload, repository and tags (for scope matching).</summary>
internal sealed record WebhookEvent(string Registry, string Repository, IReadOnlyList<string> Tags, WebhookPayload Payload)
{
    // ACR writes media types as they are ("+json"), not with "+" escaped as the default encoder would.
    private static readonly JsonSerializerOptions PayloadJson = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public string Action => Payload.Action;

    public static WebhookEvent From(IRegistryEvent registryEvent) => registryEvent switch
    {
        ManifestPushed pushed => Of(pushed, WebhookActions.Push, TagsOf(pushed.Tag), new PayloadTarget
        {
            MediaType = pushed.MediaType,
            Size = pushed.Size,
            Digest = pushed.Digest,
            Length = pushed.Size,
            Repository = pushed.Repository,
            Tag = pushed.Tag,
        }),
        ReplicaSynced synced => Of(synced, WebhookActions.Push, TagsOf(synced.Tag), new PayloadTarget
        {
            MediaType = synced.MediaType,
            Size = synced.Size,
            Digest = synced.Digest,
            Length = synced.Size,
            Repository = synced.Repository,
            Tag = synced.Tag,
        }),
        ChartPushed chart => Of(chart, WebhookActions.ChartPush, TagsOf(chart.Tag), new PayloadTarget
        {
            MediaType = chart.MediaType,
            Size = chart.Size,
            Digest = chart.Digest,
            Length = chart.Size,
            Repository = chart.Repository,
            Tag = chart.Tag,
            Name = chart.ChartName,
            Version = chart.ChartVersion,
        }),
        ManifestDeleted deleted => Of(deleted, WebhookActions.Delete, deleted.Tags, new PayloadTarget
        {
            MediaType = deleted.MediaType,
            Digest = deleted.Digest,
            Repository = deleted.Repository,
        }),
        ChartDeleted chart => Of(chart, WebhookActions.ChartDelete, chart.Tags, new PayloadTarget
        {
            MediaType = chart.MediaType,
            Digest = chart.Digest,
            Repository = chart.Repository,
            Name = chart.ChartName,
        }),
        TagDeleted untagged => Of(untagged, WebhookActions.Delete, [untagged.Tag], new PayloadTarget
        {
            MediaType = untagged.MediaType,
            Digest = untagged.Digest,
            Repository = untagged.Repository,
            Tag = untagged.Tag,
        }),
        RepositoryDeleted repository => Of(repository, WebhookActions.Delete, [], new PayloadTarget { Repository = repository.Repository }),
        ImageQuarantined quarantined => Of(quarantined, WebhookActions.Quarantine, TagsOf(quarantined.Tag), new PayloadTarget
        {
            MediaType = quarantined.MediaType,
            Size = quarantined.Size,
            Digest = quarantined.Digest,
            Length = quarantined.Size,
            Repository = quarantined.Repository,
            Tag = quarantined.Tag,
        }),
        _ => throw new ArgumentException($"no webhook action for {registryEvent.GetType().Name}", nameof(registryEvent)),
    };

    /// <summary>ACR's ping: an id, a time and the action, nothing else.</summary>
    public static WebhookEvent Ping(string registry, Guid id, DateTimeOffset at) =>
        new(registry, string.Empty, [], new WebhookPayload { Id = id, Timestamp = at, Action = WebhookActions.Ping });

    /// <summary>The body and its content type, in the webhook's format.</summary>
    public (byte[] Body, string ContentType) Render(string format)
    {
        if (format != PayloadFormats.CloudEvents)
        {
            return (JsonSerializer.SerializeToUtf8Bytes(Payload, PayloadJson), "application/json");
        }

        var cloudEvent = new CloudEvent(
            "1.0",
            Payload.Id.ToString(),
            $"/registries/{Registry}",
            CloudEventType(Action),
            Subject(),
            Payload.Timestamp,
            "application/json",
            Payload);
        return (JsonSerializer.SerializeToUtf8Bytes(cloudEvent, PayloadJson), "application/cloudevents+json; charset=utf-8");
    }

    private string? Subject() => Payload.Target switch
    {
        null => null,
        { Tag: { } tag } => $"{Repository}:{tag}",
        { Digest: { } digest } => $"{Repository}@{digest}",
        _ => Repository,
    };

    /// <summary>Event Grid's names for ACR's events.</summary>
    private static string CloudEventType(string action) => action switch
    {
        WebhookActions.Push => "Microsoft.ContainerRegistry.ImagePushed",
        WebhookActions.Delete => "Microsoft.ContainerRegistry.ImageDeleted",
        WebhookActions.ChartPush => "Microsoft.ContainerRegistry.ChartPushed",
        WebhookActions.ChartDelete => "Microsoft.ContainerRegistry.ChartDeleted",
        WebhookActions.Quarantine => "Microsoft.ContainerRegistry.ImageQuarantined",
        _ => "Microsoft.ContainerRegistry.WebhookPing",
    };

    private static IReadOnlyList<string> TagsOf(string? tag) => tag is null ? [] : [tag];

    private static WebhookEvent Of(IRegistryEvent registryEvent, string action, IReadOnlyList<string> tags, PayloadTarget target) => new(
        registryEvent.Registry,
        registryEvent.Repository,
        tags,
        new WebhookPayload
        {
            Id = registryEvent.EventId,
            Timestamp = registryEvent.OccurredAt,
            Action = action,
            Target = target,
            Request = registryEvent.Request is { } request ? new PayloadRequest(request.Id, request.Host, request.Method, request.UserAgent) : null,
            Actor = string.IsNullOrEmpty(registryEvent.Actor) ? null : new PayloadActor(registryEvent.Actor),
            Source = registryEvent.Source is { } source ? new PayloadSource(source.Address, source.InstanceId) : null,
        });

    private sealed record CloudEvent(
        [property: JsonPropertyName("specversion")] string SpecVersion,
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("source")] string Source,
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("subject")] string? Subject,
        [property: JsonPropertyName("time")] DateTimeOffset Time,
        [property: JsonPropertyName("datacontenttype")] string DataContentType,
        [property: JsonPropertyName("data")] WebhookPayload Data);
}
