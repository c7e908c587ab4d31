using System.ComponentModel.DataAnnotations;

namespace Registry.Webhooks;

/// <summary>How webhooks are delivered. Every value has a default that suits production; tests shorten the delays.</summary>
public sealed class WebhooksOptions
{
    public const string SectionName = "Webhooks";

    public const string AllowPrivateNetworksSetting = SectionName + ":" + nameof(AllowPrivateNetworks);

    /// <summary>
    /// Deliveries to loopback, link-local and private addresses are refused unless this is set: a webhook must not become
    /// a way into the operator's own network (SSRF). Local development and the tests set it.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>One attempt's limit: connecting, sending and reading the response.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts per delivery (the first included); then the delivery is marked failed.</summary>
    [Range(1, 50)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The delay before the second attempt; it doubles for each further one (with jitter) up to <see cref="MaxRetryDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between attempts, also for a subscriber's <c>Retry-After</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "06:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>After this many failed deliveries in a row a webhook is flagged <c>failing</c>.</summary>
    [Range(1, 1000)]
    public int FailingThreshold { get; set; } = 5;

    /// <summary>After this many failed deliveries in a row a webhook is disabled; 0 never disables one.</summary>
    [Range(0, 100_000)]
    public int AutoDisableAfter { get; set; }

    /// <summary>Deliveries in flight at once to one webhook; a slow subscriber holds only its own.</summary>
    [Range(1, 256)]
    public int ConcurrencyPerWebhook { get; set; } = 16;

    /// <summary>Deliveries kept in each webhook's history; older ones are removed.</summary>
    [Range(10, 1_000_000)]
    public int HistoryLimit { get; set; } = 1000;

    /// <summary>How much of a subscriber's response body the history keeps.</summary>
    [Range(0, 1024 * 1024)]
    public int ResponseExcerptBytes { get; set; } = 4096;

    /// <summary>How often unfinished deliveries left by a stopped instance are looked for.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan RecoveryInterval { get; set; } = TimeSpan.FromSeconds(30);
}
