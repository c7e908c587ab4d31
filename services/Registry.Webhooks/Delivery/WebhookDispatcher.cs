using Registry.Security;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Registry.Webhooks.Model;

namespace Registry.Webhooks.Delivery;

/// <summary>
/// Delivers webhook requests. Every webhook has its own lane (a queue and <see cref="WebhooksOptions.ConcurrencyPerWebhook"/>
/// workers), so a slow or dead subscriber holds up only its own deliveries. Each attempt is recorded in the webhook's
/// history; failures and 408/429/5xx answers are retried with exponential backoff and jitter (or the subscriber's
/// <c>Retry-After</c>) up to <see cref="WebhooksOptions.MaxAttempts"/>; other answers and refused addresses are final.
/// A batch stays in storage until every delivery in it is finished, so a restart resumes where it stopped.
/// </summary>
internal sealed partial class WebhookDispatcher(
    WebhookStore store,
    IHttpClientFactory clients,
    IOptions<WebhooksOptions> options,
    TimeProvider time,
    ILogger<WebhookDispatcher> logger) : IDisposable
{
    public const string HttpClientName = "webhooks";
    public const string DeliveryHeader = "X-Registry-Delivery";
    public const string EventHeader = "X-Registry-Event";
    public const string SignatureHeader = "X-Registry-Signature";

    private static readonly string[] SecretHeaderWords = ["auth", "token", "secret", "key", "password", "signature", "cookie", "credential"];
    private const int TrimEvery = 100;

    private readonly ConcurrentDictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, BatchProgress> _batches = new();
    private readonly ConcurrentDictionary<string, WebhookHealth> _health = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    public bool IsWorkingOn(Guid batchId) => _batches.ContainsKey(batchId);

    /// <summary>
    /// Starts a batch's deliveries (already in storage). <paramref name="progress"/> holds what earlier attempts recorded,
    /// so recovered deliveries go on counting; finished ones are skipped. <paramref name="completion"/> learns the first
    /// delivery's final record (a ping waits for it).
    /// </summary>
    public void Start(DeliveryBatch batch, IReadOnlyDictionary<string, DeliveryRecord>? progress = null, TaskCompletionSource<DeliveryRecord>? completion = null)
    {
        var pending = batch.Deliveries.Where(delivery => progress?.GetValueOrDefault(delivery.DeliveryId) is not { IsFinished: true }).ToList();
        if (pending.Count == 0)
        {
            _ = store.DeleteBatchAsync(batch.Id, CancellationToken.None);
            return;
        }

        if (!_batches.TryAdd(batch.Id, new BatchProgress(batch, pending.Count)))
        {
            return;
        }

        foreach (var delivery in pending)
        {
            LaneFor(batch.Event.Registry, delivery.Webhook).Queue.Writer.TryWrite(
                new DeliveryWork(batch, delivery, progress?.GetValueOrDefault(delivery.DeliveryId), completion));
        }
    }

    /// <summary>The webhook's health as this instance knows it, else as stored.</summary>
    public async Task<WebhookHealth> HealthAsync(string registry, string webhook, CancellationToken cancellationToken) =>
        _health.TryGetValue(Key(registry, webhook), out var health) ? health : await store.GetHealthAsync(registry, webhook, cancellationToken);

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private Lane LaneFor(string registry, string webhook) => _lanes.GetOrAdd(Key(registry, webhook), key =>
    {
        var lane = new Lane(registry, webhook);
        for (var worker = 0; worker < options.Value.ConcurrencyPerWebhook; worker++)
        {
            _ = Task.Run(() => RunAsync(lane));
        }

        return lane;
    });

    private async Task RunAsync(Lane lane)
    {
        var stopping = _stopping.Token;
        try
        {
            await foreach (var work in lane.Queue.Reader.ReadAllAsync(stopping))
            {
                try
                {
                    await AttemptAsync(lane, work, stopping);
                }
                catch (Exception ex) when (!stopping.IsCancellationRequested)
                {
                    // Storage failed around the attempt: nothing is lost (the batch is stored); try the delivery again later.
                    LogAttemptFailed(logger, lane.Registry, lane.Webhook, work.Delivery.DeliveryId, ex);
                    _ = RetryLaterAsync(lane, work, options.Value.InitialRetryDelay * 5);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task AttemptAsync(Lane lane, DeliveryWork work, CancellationToken stopping)
    {
        var registry = lane.Registry;
        var payload = work.Batch.Event;
        var record = work.Record ?? new DeliveryRecord
        {
            Id = work.Delivery.DeliveryId,
            Webhook = lane.Webhook,
            EventId = payload.Payload.Id,
            Action = payload.Action,
            Status = DeliveryStatus.Pending,
            CreatedAt = work.Batch.CreatedAt,
        };

        var webhook = await store.FindAsync(registry, lane.Webhook, stopping);
        if (webhook is null)
        {
            await FinishAsync(lane, work, record with { Status = DeliveryStatus.Failed, FailureReason = "the webhook was deleted" }, save: false);
            return;
        }

        if (!webhook.IsEnabled && payload.Action != WebhookActions.Ping)
        {
            await FinishAsync(lane, work, record with { Status = DeliveryStatus.Failed, FailureReason = "the webhook is disabled" }, save: true);
            return;
        }

        var number = record.Attempts.Count + 1;
        var (attempt, retryAfter, retryable) = await SendAsync(webhook, work, number, stopping);
        record = record with { Attempts = [.. record.Attempts, attempt] };
        var maxAttempts = work.Delivery.MaxAttempts ?? options.Value.MaxAttempts;
        if (attempt.Response is { StatusCode: >= 200 and < 300 })
        {
            await FinishAsync(lane, work, record with { Status = DeliveryStatus.Delivered, NextAttemptAt = null, FailureReason = null }, save: true);
            return;
        }

        var reason = attempt.Error ?? $"the subscriber answered {attempt.Response!.StatusCode} {attempt.Response.ReasonPhrase}".TrimEnd();
        if (!retryable || number >= maxAttempts)
        {
            var final = retryable ? $"gave up after {number} attempt{(number == 1 ? "" : "s")}: {reason}" : $"{reason}; not retried";
            await FinishAsync(lane, work, record with { Status = DeliveryStatus.Failed, NextAttemptAt = null, FailureReason = final }, save: true);
            return;
        }

        var delay = RetryDelay(number, retryAfter);
        record = record with { NextAttemptAt = time.GetUtcNow() + delay, FailureReason = reason };
        await store.SaveDeliveryAsync(registry, record, stopping);
        await store.TouchBatchAsync(work.Batch, stopping);
        work.Record = record;
        LogRetrying(logger, registry, lane.Webhook, record.Id, number, reason, delay.TotalSeconds);
        _ = RetryLaterAsync(lane, work, delay);
    }

    private async Task<(DeliveryAttempt Attempt, TimeSpan? RetryAfter, bool Retryable)> SendAsync(
        WebhookRecord webhook, DeliveryWork work, int number, CancellationToken stopping)
    {
        var (body, contentType) = work.Batch.Event.Render(webhook.PayloadFormat);
        using var request = new HttpRequestMessage(HttpMethod.Post, webhook.ServiceUri) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        foreach (var (name, value) in webhook.CustomHeaders)
        {
            if (string.Equals(name, "Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(value);
            }
            else if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        request.Headers.TryAddWithoutValidation(DeliveryHeader, work.Delivery.DeliveryId);
        request.Headers.TryAddWithoutValidation(EventHeader, work.Batch.Event.Action);
        if (!string.IsNullOrEmpty(webhook.Secret))
        {
            request.Headers.TryAddWithoutValidation(SignatureHeader, Signature(webhook.Secret, body));
        }

        var sent = new AttemptRequest(
            "POST",
            webhook.ServiceUri,
            Redacted(request.Headers.Concat(request.Content.Headers)),
            Encoding.UTF8.GetString(body));
        var started = time.GetUtcNow();
        var clock = Stopwatch.StartNew();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(options.Value.Timeout);
        try
        {
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var excerpt = await ExcerptAsync(response.Content, options.Value.ResponseExcerptBytes, timeout.Token);
            var status = (int)response.StatusCode;
            var answer = new AttemptResponse(status, response.ReasonPhrase, Redacted(response.Headers.Concat(response.Content.Headers)), excerpt);
            var retryAfter = response.Headers.RetryAfter switch
            {
                { Delta: { } delta } => delta,
                { Date: { } date } => date - time.GetUtcNow(),
                _ => (TimeSpan?)null,
            };
            return (Attempt(number, started, clock, sent, answer, null), retryAfter, status is 408 or 429 or >= 500);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return (Attempt(number, started, clock, sent, null, $"no response within {options.Value.Timeout.TotalSeconds:0.###} s"), null, true);
        }
        catch (HttpRequestException ex)
        {
            var refused = Inner<OutboundRefusedException>(ex);
            return (Attempt(number, started, clock, sent, null, refused?.Message ?? Describe(ex)), null, refused is null);
        }
    }

    private async Task FinishAsync(Lane lane, DeliveryWork work, DeliveryRecord record, bool save)
    {
        if (save)
        {
            await store.SaveDeliveryAsync(lane.Registry, record, CancellationToken.None);
        }

        if (record.Action != WebhookActions.Ping && save)
        {
            // The lane's workers may finish deliveries at the same moment: one health update at a time, so none is lost.
            await lane.HealthGate.WaitAsync(CancellationToken.None);
            try
            {
                await UpdateHealthAsync(lane, record);
            }
            finally
            {
                lane.HealthGate.Release();
            }
        }

        work.Completion?.TrySetResult(record);
        if (_batches.TryGetValue(work.Batch.Id, out var batch) && Interlocked.Decrement(ref batch.Remaining) == 0)
        {
            _batches.TryRemove(work.Batch.Id, out _);
            await store.DeleteBatchAsync(work.Batch.Id, CancellationToken.None);
        }

        if (record.Status == DeliveryStatus.Delivered)
        {
            LogDelivered(logger, lane.Registry, lane.Webhook, record.Id, record.Attempts.Count);
        }
        else
        {
            LogGaveUp(logger, lane.Registry, lane.Webhook, record.Id, record.FailureReason ?? "");
        }

        if (save && Interlocked.Increment(ref lane.FinishedSinceTrim) % TrimEvery == 0)
        {
            _ = store.TrimHistoryAsync(lane.Registry, lane.Webhook, options.Value.HistoryLimit, CancellationToken.None);
        }
    }

    /// <summary>Writes health only when it changes state (a failure, or the first success after failures): healthy traffic writes nothing.</summary>
    private async Task UpdateHealthAsync(Lane lane, DeliveryRecord record)
    {
        var key = Key(lane.Registry, lane.Webhook);
        var before = await HealthAsync(lane.Registry, lane.Webhook, CancellationToken.None);
        var now = time.GetUtcNow();
        if (record.Status == DeliveryStatus.Delivered)
        {
            var after = before with { ConsecutiveFailures = 0, LastDeliveredAt = now };
            _health[key] = after;
            if (before.ConsecutiveFailures > 0 || before.LastDeliveredAt is null)
            {
                await store.SaveHealthAsync(lane.Registry, lane.Webhook, after, CancellationToken.None);
            }

            return;
        }

        var failed = before with { ConsecutiveFailures = before.ConsecutiveFailures + 1, LastFailedAt = now, LastError = record.FailureReason };
        _health[key] = failed;
        await store.SaveHealthAsync(lane.Registry, lane.Webhook, failed, CancellationToken.None);
        if (failed.ConsecutiveFailures == options.Value.FailingThreshold)
        {
            LogFailing(logger, lane.Registry, lane.Webhook, failed.ConsecutiveFailures);
        }

        if (options.Value.AutoDisableAfter > 0 && failed.ConsecutiveFailures == options.Value.AutoDisableAfter)
        {
            var reason = $"disabled after {failed.ConsecutiveFailures} failed deliveries in a row; last: {record.FailureReason}";
            await store.UpdateAsync(lane.Registry, lane.Webhook, webhook => webhook with { Status = WebhookStatus.Disabled, DisabledReason = reason }, CancellationToken.None);
            LogDisabled(logger, lane.Registry, lane.Webhook, failed.ConsecutiveFailures);
        }
    }

    private async Task RetryLaterAsync(Lane lane, DeliveryWork work, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, time, _stopping.Token);
            lane.Queue.Writer.TryWrite(work);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the batch is in storage and recovery resumes it on the next start.
        }
    }

    /// <summary>Exponential backoff from the initial delay with "equal jitter" (half fixed, half random), or the subscriber's Retry-After; never above the maximum.</summary>
    internal TimeSpan RetryDelay(int attemptsMade, TimeSpan? retryAfter)
    {
        var maximum = options.Value.MaxRetryDelay;
        if (retryAfter is { } asked && asked > TimeSpan.Zero)
        {
            return asked < maximum ? asked : maximum;
        }

        var exponential = options.Value.InitialRetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attemptsMade - 1, 30));
        var capped = Math.Min(exponential, maximum.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((capped / 2) + (Random.Shared.NextDouble() * capped / 2));
    }

    internal static string Signature(string secret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    private static Dictionary<string, string> Redacted(IEnumerable<KeyValuePair<string, IEnumerable<string>>> headers) =>
        headers.ToDictionary(
            header => header.Key,
            header => SecretHeaderWords.Any(word => header.Key.Contains(word, StringComparison.OrdinalIgnoreCase)) ? "[redacted]" : string.Join(", ", header.Value),
            StringComparer.OrdinalIgnoreCase);

    private static async Task<string> ExcerptAsync(HttpContent content, int limit, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[limit];
        var read = 0;
        while (read < limit && await stream.ReadAsync(buffer.AsMemory(read), cancellationToken) is var count and > 0)
        {
            read += count;
        }

        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    private static DeliveryAttempt Attempt(int number, DateTimeOffset started, Stopwatch clock, AttemptRequest request, AttemptResponse? response, string? error) => new()
    {
        Number = number,
        StartedAt = started,
        DurationMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1),
        Request = request,
        Response = response,
        Error = error,
    };

    private static T? Inner<T>(Exception exception)
        where T : Exception
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is T found)
            {
                return found;
            }
        }

        return null;
    }

    private static string Describe(HttpRequestException exception) =>
        exception.InnerException is { } inner ? $"{exception.Message} ({inner.Message})" : exception.Message;

    private static string Key(string registry, string webhook) => $"{registry}/{webhook}";

    private sealed class Lane(string registry, string webhook)
    {
        public string Registry { get; } = registry;

        public string Webhook { get; } = webhook;

        public Channel<DeliveryWork> Queue { get; } = Channel.CreateUnbounded<DeliveryWork>();

        public SemaphoreSlim HealthGate { get; } = new(1, 1);

        public int FinishedSinceTrim;
    }

    private sealed class BatchProgress(DeliveryBatch batch, int remaining)
    {
        public DeliveryBatch Batch { get; } = batch;

        public int Remaining = remaining;
    }

    private sealed class DeliveryWork(DeliveryBatch batch, BatchDelivery delivery, DeliveryRecord? record, TaskCompletionSource<DeliveryRecord>? completion)
    {
        public DeliveryBatch Batch { get; } = batch;

        public BatchDelivery Delivery { get; } = delivery;

        public DeliveryRecord? Record { get; set; } = record;

        public TaskCompletionSource<DeliveryRecord>? Completion { get; } = completion;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Webhook {Registry}/{Webhook} delivery {DeliveryId} delivered after {Attempts} attempt(s)")]
    private static partial void LogDelivered(ILogger logger, string registry, string webhook, string deliveryId, int attempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {Registry}/{Webhook} delivery {DeliveryId} attempt {Attempt} failed ({Reason}); retrying in {DelaySeconds:0.##} s")]
    private static partial void LogRetrying(ILogger logger, string registry, string webhook, string deliveryId, int attempt, string reason, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {Registry}/{Webhook} delivery {DeliveryId} failed: {Reason}")]
    private static partial void LogGaveUp(ILogger logger, string registry, string webhook, string deliveryId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {Registry}/{Webhook} is failing: {Failures} deliveries in a row failed")]
    private static partial void LogFailing(ILogger logger, string registry, string webhook, int failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {Registry}/{Webhook} disabled after {Failures} failed deliveries in a row")]
    private static partial void LogDisabled(ILogger logger, string registry, string webhook, int failures);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook {Registry}/{Webhook} delivery {DeliveryId}: the attempt could not be recorded; trying again later")]
    private static partial void LogAttemptFailed(ILogger logger, string registry, string webhook, string deliveryId, Exception exception);
}
