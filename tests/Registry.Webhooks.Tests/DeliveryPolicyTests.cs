using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Registry.Webhooks.Delivery;

namespace Registry.Webhooks.Tests;

/// <summary>The dispatcher's signature and retry-delay rules, without sending anything.</summary>
public sealed class DeliveryPolicyTests
{
    [Fact]
    public void The_signature_is_sha256_and_the_lowercase_hex_HMAC_of_the_body_with_the_secret()
    {
        var body = Encoding.UTF8.GetBytes("""{"id":"x","action":"push"}""");
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("s3cret"), body));

        Assert.Equal(expected, WebhookDispatcher.Signature("s3cret", body));
        Assert.Matches("^sha256=[0-9a-f]{64}$", WebhookDispatcher.Signature("s3cret", body));
        Assert.NotEqual(expected, WebhookDispatcher.Signature("other", body));
        Assert.NotEqual(expected, WebhookDispatcher.Signature("s3cret", [.. body, (byte)' ']));
    }

    [Fact]
    public void The_signature_matches_a_known_HMAC_SHA256_test_vector()
    {
        // RFC 4231 test case 2.
        var signature = WebhookDispatcher.Signature("Jefe", Encoding.ASCII.GetBytes("what do ya want for nothing?"));
        Assert.Equal("sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", signature);
    }

    [Fact]
    public void Backoff_grows_from_the_initial_delay_with_jitter_and_never_exceeds_the_maximum()
    {
        using var dispatcher = Dispatcher(initial: TimeSpan.FromMilliseconds(200), maximum: TimeSpan.FromSeconds(2));
        for (var attempt = 1; attempt <= 40; attempt++)
        {
            var nominal = Math.Min(200 * Math.Pow(2, Math.Min(attempt - 1, 30)), 2000);
            for (var sample = 0; sample < 50; sample++)
            {
                var delay = dispatcher.RetryDelay(attempt, retryAfter: null).TotalMilliseconds;
                Assert.InRange(delay, nominal / 2, nominal);
                Assert.True(delay <= 2000, $"attempt {attempt}: {delay} ms is above the maximum");
            }
        }
    }

    [Fact]
    public void A_subscribers_Retry_After_is_honoured_up_to_the_maximum()
    {
        using var dispatcher = Dispatcher(initial: TimeSpan.FromMilliseconds(200), maximum: TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.FromSeconds(7), dispatcher.RetryDelay(1, TimeSpan.FromSeconds(7)));
        Assert.Equal(TimeSpan.FromSeconds(7), dispatcher.RetryDelay(5, TimeSpan.FromSeconds(7)));
        Assert.Equal(TimeSpan.FromSeconds(30), dispatcher.RetryDelay(1, TimeSpan.FromHours(2)));
    }

    [Fact]
    public void A_Retry_After_in_the_past_falls_back_to_backoff()
    {
        using var dispatcher = Dispatcher(initial: TimeSpan.FromMilliseconds(200), maximum: TimeSpan.FromSeconds(30));
        Assert.InRange(dispatcher.RetryDelay(1, TimeSpan.FromSeconds(-5)).TotalMilliseconds, 100, 200);
        Assert.InRange(dispatcher.RetryDelay(1, TimeSpan.Zero).TotalMilliseconds, 100, 200);
    }

    /// <summary>A dispatcher that is only asked for delays: it sends and stores nothing, so it needs no store or clients.</summary>
    private static WebhookDispatcher Dispatcher(TimeSpan initial, TimeSpan maximum) => new(
        store: null!,
        clients: null!,
        Options.Create(new WebhooksOptions { InitialRetryDelay = initial, MaxRetryDelay = maximum }),
        TimeProvider.System,
        NullLogger<WebhookDispatcher>.Instance);
}
