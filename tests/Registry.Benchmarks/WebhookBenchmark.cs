using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Registry.Benchmarks;

internal sealed record WebhookBenchSettings
{
    public required Uri Registry { get; init; }

    public required string Username { get; init; }

    public required string Password { get; init; }

    public required int Subscribers { get; init; }

    /// <summary>Pushes per second; 0 pushes <see cref="Pushes"/> as fast as they are acknowledged (throughput).</summary>
    public required double Rate { get; init; }

    public required int Pushes { get; init; }

    public required int PushConcurrency { get; init; }

    /// <summary>Pushes delivered before measuring, so the numbers are the steady state, not start-up (JIT, connections).</summary>
    public int WarmupPushes { get; init; } = 10;

    public string RegistryName { get; init; } = "default";
}

internal sealed record WebhookResult(
    string Label, int Subscribers, int Pushes, double PushRate, int Expected, int Delivered, double DeliveriesPerSecond,
    double P50Ms, double P90Ms, double P99Ms, double MaxMs);

/// <summary>
/// Push-to-delivery latency and delivery rate of webhooks: <see cref="WebhookBenchSettings.Subscribers"/> webhooks (all
/// subscribed to the pushed repository) point at a receiver in this process; manifests are pushed at a fixed rate (or
/// as fast as possible), and each delivery's latency is the time from the push's 201 to the receiver getting the POST
/// (one clock, this process's).
/// </summary>
internal sealed class WebhookBenchmark(WebhookBenchSettings settings, TextWriter log)
{
    private const string Repository = "bench/webhooks";

    private readonly ConcurrentDictionary<int, long> _acknowledged = new();
    private readonly ConcurrentQueue<(int Push, long At)> _received = new();
    private int _warmupReceived;

    public async Task<WebhookResult> RunAsync(string label, CancellationToken cancellationToken)
    {
        await using var receiver = await StartReceiverAsync(cancellationToken);
        var receiverBase = new Uri(receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        using var management = new HttpClient { BaseAddress = settings.Registry, Timeout = TimeSpan.FromSeconds(60) };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.Username}:{settings.Password}")));

        var run = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        var webhooks = Enumerable.Range(0, settings.Subscribers).Select(i => string.Create(CultureInfo.InvariantCulture, $"bench{run}{i:D4}")).ToList();
        log.WriteLine($"webhooks: creating {webhooks.Count} webhooks → {receiverBase}");
        for (var i = 0; i < webhooks.Count; i++)
        {
            using var created = await management.PutAsJsonAsync(
                $"/api/registries/{settings.RegistryName}/webhooks/{webhooks[i]}",
                new { properties = new { serviceUri = new Uri(receiverBase, $"/hook/{i}").ToString(), actions = new[] { "push" }, scope = $"{Repository}:*" } },
                cancellationToken);
            await EnsureAsync(created, "create webhook", cancellationToken);
        }

        try
        {
            using var client = new RegistryClient(settings.Registry, settings.PushConcurrency * 2, settings.Username, settings.Password);
            var config = Encoding.UTF8.GetBytes("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
            var configDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(config));
            await client.PushBlobAsync(Repository, config, configDigest, cancellationToken);

            for (var warm = 0; warm < settings.WarmupPushes; warm++)
            {
                await client.PutManifestAsync(Repository, string.Create(CultureInfo.InvariantCulture, $"w{warm}"), Manifest(run, $"w{warm}", configDigest, config.Length), cancellationToken);
            }

            var warmupDeadline = Stopwatch.StartNew();
            while (Volatile.Read(ref _warmupReceived) < settings.WarmupPushes * settings.Subscribers && warmupDeadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(50, cancellationToken);
            }

            log.WriteLine($"webhooks: pushing {settings.Pushes} manifests {(settings.Rate > 0 ? $"at {settings.Rate}/s" : "as fast as acknowledged")}");
            var started = Stopwatch.GetTimestamp();
            var next = -1;
            var pushers = Enumerable.Range(0, settings.PushConcurrency).Select(async _ =>
            {
                while (Interlocked.Increment(ref next) is var push && push < settings.Pushes)
                {
                    if (settings.Rate > 0)
                    {
                        var due = TimeSpan.FromSeconds(push / settings.Rate) - Stopwatch.GetElapsedTime(started);
                        if (due > TimeSpan.Zero)
                        {
                            await Task.Delay(due, cancellationToken);
                        }
                    }

                    var tag = string.Create(CultureInfo.InvariantCulture, $"p{push}");
                    await client.PutManifestAsync(Repository, tag, Manifest(run, tag, configDigest, config.Length), cancellationToken);
                    _acknowledged[push] = Stopwatch.GetTimestamp();
                }
            }).ToList();
            await Task.WhenAll(pushers);

            var expected = settings.Pushes * settings.Subscribers;
            var quiet = Stopwatch.StartNew();
            var lastCount = 0;
            while (_received.Count < expected && quiet.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(100, cancellationToken);
                if (_received.Count != lastCount)
                {
                    lastCount = _received.Count;
                    quiet.Restart();
                }
            }

            var latencies = _received
                .Where(delivery => _acknowledged.ContainsKey(delivery.Push))
                .Select(delivery => Stopwatch.GetElapsedTime(_acknowledged[delivery.Push], delivery.At).TotalMilliseconds)
                .Order()
                .ToArray();
            var firstAck = _acknowledged.Values.Min();
            var lastReceipt = _received.IsEmpty ? firstAck : _received.Max(delivery => delivery.At);
            var seconds = Math.Max(Stopwatch.GetElapsedTime(firstAck, lastReceipt).TotalSeconds, 1e-3);
            return new WebhookResult(
                label,
                settings.Subscribers,
                settings.Pushes,
                settings.Pushes / Math.Max(Stopwatch.GetElapsedTime(started, _acknowledged.Values.Max()).TotalSeconds, 1e-3),
                expected,
                _received.Count,
                _received.Count / seconds,
                Percentile(latencies, 0.50),
                Percentile(latencies, 0.90),
                Percentile(latencies, 0.99),
                latencies.Length == 0 ? double.NaN : latencies[^1]);
        }
        finally
        {
            foreach (var webhook in webhooks)
            {
                using var deleted = await management.DeleteAsync($"/api/registries/{settings.RegistryName}/webhooks/{webhook}", CancellationToken.None);
            }
        }
    }

    public static string ToMarkdown(IReadOnlyList<WebhookResult> results)
    {
        var table = new StringBuilder()
            .AppendLine("| run | subscribers | pushes | pushes/s | deliveries | delivered | deliveries/s | p50 ms | p90 ms | p99 ms | max ms |")
            .AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Label} | {r.Subscribers} | {r.Pushes} | {r.PushRate:0.0} | {r.Expected} | {r.Delivered} | {r.DeliveriesPerSecond:0} | {r.P50Ms:0.0} | {r.P90Ms:0.0} | {r.P99Ms:0.0} | {r.MaxMs:0.0} |"));
        }

        return table.ToString();
    }

    private async Task<WebApplication> StartReceiverAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/hook/{index:int}", async (HttpContext context) =>
        {
            var at = Stopwatch.GetTimestamp();
            using var payload = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            if (payload.RootElement.TryGetProperty("target", out var target) && target.TryGetProperty("tag", out var tag)
                && tag.GetString() is ['p', .. var number] && int.TryParse(number, CultureInfo.InvariantCulture, out var push))
            {
                _received.Enqueue((push, at));
            }
            else
            {
                Interlocked.Increment(ref _warmupReceived);
            }

            return Results.Ok();
        });
        await app.StartAsync(cancellationToken);
        return app;
    }

    private static byte[] Manifest(string run, string push, string configDigest, int configSize) => Encoding.UTF8.GetBytes(
        $"{{\"schemaVersion\":2,\"mediaType\":\"{RegistryClient.OciManifest}\",\"config\":{{\"mediaType\":\"{RegistryClient.OciConfig}\",\"digest\":\"{configDigest}\",\"size\":{configSize}}},\"layers\":[],\"annotations\":{{\"run\":\"{run}\",\"push\":\"{push}\"}}}}");

    private static double Percentile(double[] sorted, double fraction) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }
}
