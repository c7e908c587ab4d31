using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Registry.Security;
using Registry.Security.Limits;
using Registry.Storage;
using Registry.Webhooks.Delivery;
using Registry.Webhooks.Model;

namespace Registry.Webhooks.Apis;

/// <summary>
/// ACR's webhook resource under <c>/api/registries/{registry}/webhooks</c>: create (PUT), update (PATCH), show, list,
/// delete, get-config, ping, list-events, plus one delivery with every attempt and redelivery of a failed one.
/// Callers authenticate as for every management call (the auth service decides); errors are ProblemDetails.
/// </summary>
internal static class WebhooksApi
{
    private const string ArmType = "Microsoft.ContainerRegistry/registries/webhooks";
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 500;

    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Content-Length", "Transfer-Encoding", "Connection", "Expect", "Upgrade", "TE", "Trailer",
        WebhookDispatcher.DeliveryHeader, WebhookDispatcher.EventHeader, WebhookDispatcher.SignatureHeader,
    };

    public static RouteGroupBuilder MapWebhooksApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/registries/{registry}/webhooks").AddEndpointFilter(AuthorizeAsync).DisableAntiforgery();
        group.MapGet("", List).WithName("ListWebhooks");
        group.MapGet("/{name}", Get).WithName("GetWebhook");
        group.MapPut("/{name}", Put).WithName("CreateWebhook");
        group.MapPatch("/{name}", Patch).WithName("UpdateWebhook");
        group.MapDelete("/{name}", Delete).WithName("DeleteWebhook");
        group.MapPost("/{name}/getCallbackConfig", GetCallbackConfig).WithName("GetWebhookCallbackConfig");
        group.MapPost("/{name}/ping", Ping).WithName("PingWebhook");
        group.MapPost("/{name}/listEvents", ListEvents).WithName("ListWebhookEvents");
        group.MapGet("/{name}/events", ListEvents).WithName("GetWebhookEvents");
        group.MapGet("/{name}/events/{id}", GetEvent).WithName("GetWebhookEvent");
        group.MapPost("/{name}/events/{id}/redeliver", Redeliver).WithName("RedeliverWebhookEvent");
        return group;
    }

    /// <summary>Reading needs Reader; changing, and seeing the callback config (its headers may hold secrets), needs Owner.</summary>
    private static ValueTask<object?> AuthorizeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var path = http.Request.Path.Value ?? string.Empty;
        var changes = !HttpMethods.IsGet(http.Request.Method) && !path.EndsWith("/listEvents", StringComparison.Ordinal);
        return ManagementFilter.AuthorizeAsync(context, named => http.GetRouteValue("name") is string name && !StoragePaths.IsWebhookName(name)
            ? throw ManagementException.Invalid($"'{name}' is not a webhook name: 5 to 50 letters and digits")
            : next(named), http.GetRouteValue("registry") as string ?? string.Empty, changes);
    }

    internal static async Task<IResult> List(string registry, WebhookStore store, WebhookDispatcher dispatcher, IOptions<WebhooksOptions> options, CancellationToken cancellationToken)
    {
        var resources = new List<WebhookResource>();
        foreach (var webhook in await store.ListAsync(registry, cancellationToken))
        {
            resources.Add(ResourceOf(registry, webhook, await dispatcher.HealthAsync(registry, webhook.Name, cancellationToken), options.Value));
        }

        return TypedResults.Ok(new PagedResult<WebhookResource>(resources, null));
    }

    internal static async Task<IResult> Get(string registry, string name, WebhookStore store, WebhookDispatcher dispatcher, IOptions<WebhooksOptions> options, CancellationToken cancellationToken)
    {
        var webhook = await Existing(store, registry, name, cancellationToken);
        return TypedResults.Ok(ResourceOf(registry, webhook, await dispatcher.HealthAsync(registry, name, cancellationToken), options.Value));
    }

    /// <summary>Creates the webhook, or replaces it whole; <c>serviceUri</c> and <c>actions</c> are required.</summary>
    internal static async Task<IResult> Put(
        string registry, string name, WebhookRequest request, WebhookStore store, WebhookDispatcher dispatcher, IRegistryDirectory registries,
        IOptions<WebhooksOptions> options, IOptions<TierOptions> tiers, TimeProvider time, CancellationToken cancellationToken)
    {
        var properties = request.Properties ?? throw ManagementException.Invalid("'properties' is required");
        var existing = await store.FindAsync(registry, name, cancellationToken);
        var webhook = Validated(new WebhookRecord
        {
            Name = name,
            ServiceUri = properties.ServiceUri ?? throw ManagementException.Invalid("'properties.serviceUri' is required"),
            CustomHeaders = properties.CustomHeaders ?? [],
            Actions = properties.Actions ?? throw ManagementException.Invalid("'properties.actions' is required"),
            Scope = properties.Scope ?? string.Empty,
            Status = properties.Status?.ToLowerInvariant() ?? WebhookStatus.Enabled,
            PayloadFormat = properties.PayloadFormat?.ToLowerInvariant() ?? PayloadFormats.Acr,
            Secret = properties.Secret,
            Location = request.Location,
            Tags = request.Tags ?? [],
            CreatedAt = existing?.CreatedAt ?? time.GetUtcNow(),
        }, options.Value);

        if (existing is null)
        {
            await EnsureTierAllowsAnotherAsync(registry, store, registries, tiers.Value, cancellationToken);
            if (!await store.CreateAsync(registry, webhook, cancellationToken))
            {
                throw ManagementException.Conflict($"webhook '{name}' was created meanwhile; read it and try again");
            }

            return TypedResults.Created($"/api/registries/{registry}/webhooks/{name}", ResourceOf(registry, webhook, WebhookHealth.Unknown, options.Value));
        }

        var replaced = await store.UpdateAsync(registry, name, _ => webhook, cancellationToken)
            ?? throw ManagementException.NotFound($"webhook '{name}'");
        return TypedResults.Ok(ResourceOf(registry, replaced, await dispatcher.HealthAsync(registry, name, cancellationToken), options.Value));
    }

    /// <summary>Changes what is given. Enabling a webhook clears the reason the service disabled it for.</summary>
    internal static async Task<IResult> Patch(
        string registry, string name, WebhookRequest request, WebhookStore store, WebhookDispatcher dispatcher, IOptions<WebhooksOptions> options, CancellationToken cancellationToken)
    {
        var changes = request.Properties ?? new WebhookRequestProperties(null, null, null, null, null, null, null);
        await Existing(store, registry, name, cancellationToken);
        var updated = await store.UpdateAsync(registry, name, current => Validated(current with
        {
            ServiceUri = changes.ServiceUri ?? current.ServiceUri,
            CustomHeaders = changes.CustomHeaders ?? current.CustomHeaders,
            Actions = changes.Actions ?? current.Actions,
            Scope = changes.Scope ?? current.Scope,
            Status = changes.Status?.ToLowerInvariant() ?? current.Status,
            DisabledReason = changes.Status is null ? current.DisabledReason : null,
            PayloadFormat = changes.PayloadFormat?.ToLowerInvariant() ?? current.PayloadFormat,
            Secret = changes.Secret is null ? current.Secret : changes.Secret.Length == 0 ? null : changes.Secret,
            Location = request.Location ?? current.Location,
            Tags = request.Tags ?? current.Tags,
        }, options.Value), cancellationToken) ?? throw ManagementException.NotFound($"webhook '{name}'");
        return TypedResults.Ok(ResourceOf(registry, updated, await dispatcher.HealthAsync(registry, name, cancellationToken), options.Value));
    }

    internal static async Task<IResult> Delete(string registry, string name, WebhookStore store, CancellationToken cancellationToken) =>
        await store.DeleteAsync(registry, name, cancellationToken)
            ? TypedResults.NoContent()
            : throw ManagementException.NotFound($"webhook '{name}'");

    internal static async Task<IResult> GetCallbackConfig(string registry, string name, WebhookStore store, CancellationToken cancellationToken)
    {
        var webhook = await Existing(store, registry, name, cancellationToken);
        return TypedResults.Ok(new CallbackConfig(webhook.ServiceUri, webhook.CustomHeaders));
    }

    /// <summary>Sends ACR's ping event once (disabled webhooks too) and answers with its outcome; the history keeps it.</summary>
    internal static async Task<IResult> Ping(
        string registry, string name, WebhookStore store, WebhookDispatcher dispatcher, IOptions<WebhooksOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        await Existing(store, registry, name, cancellationToken);
        var now = time.GetUtcNow();
        var deliveryId = DeliveryIds.New(now);
        var batch = new DeliveryBatch
        {
            Id = Guid.NewGuid(),
            Event = WebhookEvent.Ping(registry, Guid.NewGuid(), now),
            Deliveries = [new BatchDelivery(name, deliveryId, MaxAttempts: 1)],
            CreatedAt = now,
        };
        await store.CreateBatchAsync(batch, cancellationToken);
        var completion = new TaskCompletionSource<DeliveryRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
        dispatcher.Start(batch, completion: completion);
        var record = await completion.Task.WaitAsync(options.Value.Timeout + TimeSpan.FromSeconds(30), cancellationToken);
        var last = record.LastAttempt;
        return TypedResults.Ok(new PingResult(record.Id, record.Status, last?.Response?.StatusCode, last?.Error ?? (record.IsFinished && record.Status != DeliveryStatus.Delivered ? record.FailureReason : null)));
    }

    /// <summary>Deliveries newest first, <c>top</c> at a time (50 by default); <c>nextLink</c> gives the next page.</summary>
    internal static async Task<IResult> ListEvents(
        string registry, string name, int? top, string? skipToken, WebhookStore store, CancellationToken cancellationToken)
    {
        await Existing(store, registry, name, cancellationToken);
        var size = Math.Clamp(top ?? DefaultPageSize, 1, MaxPageSize);
        var ids = await store.ListDeliveryIdsAsync(registry, name, cancellationToken);
        var page = ids.Where(id => skipToken is null || string.CompareOrdinal(id, skipToken) > 0).Take(size + 1).ToList();
        var events = new List<EventResource>();
        foreach (var id in page.Take(size))
        {
            if (await store.FindDeliveryAsync(registry, name, id, cancellationToken) is { } record)
            {
                events.Add(EventOf(record, withAttempts: false));
            }
        }

        var next = page.Count > size ? $"/api/registries/{registry}/webhooks/{name}/events?top={size}&skipToken={page[size - 1]}" : null;
        return TypedResults.Ok(new PagedResult<EventResource>(events, next));
    }

    internal static async Task<IResult> GetEvent(string registry, string name, string id, WebhookStore store, CancellationToken cancellationToken)
    {
        await Existing(store, registry, name, cancellationToken);
        var record = await store.FindDeliveryAsync(registry, name, id, cancellationToken) ?? throw ManagementException.NotFound($"delivery '{id}' of webhook '{name}'");
        return TypedResults.Ok(EventOf(record, withAttempts: true));
    }

    /// <summary>Sends a finished delivery again with the same payload and id; its attempts continue in the same record.</summary>
    internal static async Task<IResult> Redeliver(
        string registry, string name, string id, WebhookStore store, WebhookDispatcher dispatcher, TimeProvider time, CancellationToken cancellationToken)
    {
        var webhook = await Existing(store, registry, name, cancellationToken);
        var record = await store.FindDeliveryAsync(registry, name, id, cancellationToken) ?? throw ManagementException.NotFound($"delivery '{id}' of webhook '{name}'");
        if (!record.IsFinished)
        {
            throw ManagementException.Conflict($"delivery '{id}' is still being tried (next attempt at {record.NextAttemptAt:O})");
        }

        if (!webhook.IsEnabled)
        {
            throw ManagementException.Conflict($"webhook '{name}' is disabled; enable it first");
        }

        var content = record.LastAttempt?.Request.Body ?? throw ManagementException.Conflict($"delivery '{id}' has no request to send again");
        var payload = JsonSerializer.Deserialize<WebhookPayload>(Unwrapped(content), WebhookJson.Options)
            ?? throw ManagementException.Conflict($"delivery '{id}' has no payload to send again");
        var batch = new DeliveryBatch
        {
            Id = Guid.NewGuid(),
            Event = new WebhookEvent(registry, payload.Target?.Repository ?? string.Empty, payload.Target?.Tag is { } tag ? [tag] : [], payload),
            Deliveries = [new BatchDelivery(name, id)],
            CreatedAt = time.GetUtcNow(),
        };
        var resumed = record with { Status = DeliveryStatus.Pending, FailureReason = null, NextAttemptAt = time.GetUtcNow() };
        await store.SaveDeliveryAsync(registry, resumed, cancellationToken);
        await store.CreateBatchAsync(batch, cancellationToken);
        dispatcher.Start(batch, new Dictionary<string, DeliveryRecord> { [id] = resumed });
        return TypedResults.Accepted($"/api/registries/{registry}/webhooks/{name}/events/{id}", new RedeliveryResult(id, DeliveryStatus.Pending));
    }

    private static async Task<WebhookRecord> Existing(WebhookStore store, string registry, string name, CancellationToken cancellationToken) =>
        await store.FindAsync(registry, name, cancellationToken) ?? throw ManagementException.NotFound($"webhook '{name}'");

    /// <summary>The tier's limit on webhooks (ACR's: Basic 2, Standard 10, Premium 500; <c>Tiers:*:Webhooks</c>).</summary>
    private static async Task EnsureTierAllowsAnotherAsync(string registry, WebhookStore store, IRegistryDirectory registries, TierOptions tiers, CancellationToken cancellationToken)
    {
        var tier = (await registries.FindAsync(registry, cancellationToken))?.Tier ?? RegistryTier.Premium;
        var limit = tiers.For(tier).Webhooks;
        if ((await store.ListAsync(registry, cancellationToken)).Count >= limit)
        {
            throw TierOptions.QuotaExceeded(tier, "webhooks", limit);
        }
    }

    private static WebhookRecord Validated(WebhookRecord webhook, WebhooksOptions options)
    {
        if (!Uri.TryCreate(webhook.ServiceUri, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw ManagementException.Invalid($"'serviceUri' must be an absolute http or https URI, not '{webhook.ServiceUri}'");
        }

        if (IPAddress.TryParse(uri.IdnHost, out var address) && new OutboundGuard(options.AllowPrivateNetworks, WebhooksOptions.AllowPrivateNetworksSetting).Refusal(address) is { } refusal)
        {
            throw ManagementException.Invalid($"'serviceUri' is refused: {refusal}; deliveries to internal addresses are not allowed (Webhooks:AllowPrivateNetworks)");
        }

        if (webhook.Actions.Count == 0 || webhook.Actions.FirstOrDefault(action => !WebhookActions.Subscribable.Contains(action)) is { } unknown && unknown is not null)
        {
            throw ManagementException.Invalid($"'actions' must name one or more of {string.Join(", ", WebhookActions.Subscribable)}");
        }

        if (WebhookScope.Validate(webhook.Scope) is { } scopeError)
        {
            throw ManagementException.Invalid(scopeError);
        }

        if (webhook.Status is not (WebhookStatus.Enabled or WebhookStatus.Disabled))
        {
            throw ManagementException.Invalid($"'status' must be enabled or disabled, not '{webhook.Status}'");
        }

        if (webhook.PayloadFormat is not (PayloadFormats.Acr or PayloadFormats.CloudEvents))
        {
            throw ManagementException.Invalid($"'payloadFormat' must be {PayloadFormats.Acr} or {PayloadFormats.CloudEvents}, not '{webhook.PayloadFormat}'");
        }

        if (webhook.Secret is { Length: > 512 })
        {
            throw ManagementException.Invalid("'secret' may be at most 512 characters");
        }

        foreach (var (header, value) in webhook.CustomHeaders)
        {
            if (header.Length == 0 || !header.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal)))
            {
                throw ManagementException.Invalid($"custom header '{header}' is not a valid header name");
            }

            if (ReservedHeaders.Contains(header))
            {
                throw ManagementException.Invalid($"custom header '{header}' is set by the registry and cannot be given");
            }

            if (value.Any(c => c is '\r' or '\n' or '\0'))
            {
                throw ManagementException.Invalid($"custom header '{header}' has a line break or NUL in its value");
            }

            // The dispatcher sets it as the body's media type: a value that does not parse would fail every attempt unrecorded.
            if (string.Equals(header, "Content-Type", StringComparison.OrdinalIgnoreCase) && !MediaTypeHeaderValue.TryParse(value, out _))
            {
                throw ManagementException.Invalid($"custom header '{header}' must be a media type (such as application/json), not '{value}'");
            }
        }

        return webhook with { Actions = webhook.Actions.Distinct(StringComparer.Ordinal).ToList() };
    }

    private static WebhookResource ResourceOf(string registry, WebhookRecord webhook, WebhookHealth health, WebhooksOptions options) => new(
        $"/registries/{registry}/webhooks/{webhook.Name}",
        webhook.Name,
        ArmType,
        webhook.Location,
        webhook.Tags,
        new WebhookResourceProperties(
            webhook.Status,
            webhook.Scope,
            webhook.Actions,
            webhook.PayloadFormat,
            !string.IsNullOrEmpty(webhook.Secret),
            webhook.DisabledReason,
            new WebhookHealthResource(
                health.IsFailing(options.FailingThreshold) ? "failing" : health.LastDeliveredAt is null && health.LastFailedAt is null ? "unknown" : "healthy",
                health.ConsecutiveFailures,
                health.LastDeliveredAt,
                health.LastFailedAt,
                health.LastError),
            webhook.CreatedAt));

    private static EventResource EventOf(DeliveryRecord record, bool withAttempts)
    {
        var last = record.LastAttempt;
        return new EventResource(
            record.Id,
            record.Status,
            record.Attempts.Count,
            record.CreatedAt,
            record.NextAttemptAt,
            record.FailureReason,
            last is null ? null : new EventRequestMessage(ContentOf(last.Request.Body), last.Request.Headers, last.Request.Method, last.Request.Uri),
            last?.Response is { } response
                ? new EventResponseMessage(response.Body, response.Headers, response.ReasonPhrase, response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture))
                : null,
            withAttempts ? record.Attempts : null);
    }

    private static JsonElement? ContentOf(string body)
    {
        try
        {
            return JsonSerializer.Deserialize<JsonElement>(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The ACR payload inside a request body: the body itself, or a CloudEvent's <c>data</c>.</summary>
    private static string Unwrapped(string body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.TryGetProperty("specversion", out _) && document.RootElement.TryGetProperty("data", out var data)
            ? data.GetRawText()
            : body;
    }
}
