using System.Text.Json;
using Registry.Testing;

namespace Registry.Webhooks.Tests;

/// <summary>
/// The single-process host (auth on) on a fresh temporary data directory, and a real webhook receiver process that
/// checks signatures with <see cref="ReceiverSecret"/>; shared by the tests of a class. Every test uses webhooks,
/// repositories and receiver paths of its own.
/// </summary>
public abstract class StandaloneFixture : IAsyncLifetime
{
    public const string ReceiverSecret = "receiver-checks-with-this-secret";

    /// <summary>How long a test waits for something asynchronous (a delivery, a retry) before it fails.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private TestHost? _host;
    private RegistryApi? _api;
    private WebhookReceiverProcess? _receiver;

    protected StandaloneFixture()
    {
        Root = Directory.CreateTempSubdirectory("registry-webhooks-tests-").FullName;
    }

    public string Root { get; }

    public TestHost Host => _host ?? throw new InvalidOperationException("the fixture has not started");

    public RegistryApi Api => _api ?? throw new InvalidOperationException("the fixture has not started");

    public WebhookReceiverProcess Receiver => _receiver ?? throw new InvalidOperationException("the fixture has not started");

    /// <summary>Settings over <see cref="TestHost.BaseSettings"/>.</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>();

    public async Task InitializeAsync()
    {
        var receiver = WebhookReceiverProcess.StartAsync(WebhookReceiverProcess.DefaultDllPath, secret: ReceiverSecret);
        var host = TestHost.StandaloneAsync(Path.Combine(Root, "data"), Settings);
        _receiver = await receiver;
        _host = await host;
        _api = _host.CreateApi();
    }

    /// <summary>The <c>properties</c> of a webhook that delivers to the receiver at <c>/{webhook}</c>.</summary>
    public Dictionary<string, object?> Hook(string webhook, string[] actions, string? scope = null) => TestWebhook.Properties(Receiver, webhook, actions, scope);

    /// <summary><see cref="TestWebhook.CreateAsync"/> with the fixture's receiver, through <paramref name="api"/> (by default the fixture's).</summary>
    public Task<TestWebhook> NewWebhookAsync(
        string prefix, ReceiverMode? mode = null, string[]? actions = null, Action<Dictionary<string, object?>>? configure = null, RegistryApi? api = null) =>
        TestWebhook.CreateAsync(api ?? Api, Receiver, prefix, mode, actions, configure);

    /// <summary>
    /// Waits until the webhook has <paramref name="count"/> finished deliveries, then returns what the receiver got at its
    /// path, asserting it is exactly that many requests (nothing more arrived than the history shows).
    /// </summary>
    public async Task<IReadOnlyList<ReceivedRequest>> ReceivedAsync(string webhook, int count)
    {
        var history = await Api.WaitForFinishedAsync(webhook, count, Patience);
        Assert.Equal(count, history.Count);
        var received = await Receiver.WaitForRequestsAsync(RegistryApi.WebhookPath(webhook), count, Patience);
        Assert.Equal(count, received.Count);
        return received;
    }

    /// <summary><see cref="ReceivedAsync"/> for one delivery: the request and its JSON body.</summary>
    public async Task<(ReceivedRequest Request, JsonElement Payload)> ReceivedOneAsync(string webhook)
    {
        var request = Assert.Single(await ReceivedAsync(webhook, 1));
        return (request, JsonDocument.Parse(request.Body).RootElement.Clone());
    }

    public async Task DisposeAsync()
    {
        _api?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_receiver is not null)
        {
            await _receiver.DisposeAsync();
        }

        TestDirectories.TryDelete(Root);
    }
}

/// <summary>A webhook a test made: its name, the receiver path it delivers to, the repository its scope covers.</summary>
public sealed record TestWebhook(string Name, string Repository)
{
    public string Path => RegistryApi.WebhookPath(Name);

    public void Deconstruct(out string name, out string path, out string repository) => (name, path, repository) = (Name, Path, Repository);

    /// <summary>The <c>properties</c> of a webhook that delivers to <paramref name="receiver"/> at <c>/{webhook}</c>.</summary>
    public static Dictionary<string, object?> Properties(WebhookReceiverProcess receiver, string webhook, string[] actions, string? scope = null) => new()
    {
        ["serviceUri"] = receiver.UrlFor(RegistryApi.WebhookPath(webhook)).ToString(),
        ["actions"] = actions,
        ["scope"] = scope,
    };

    /// <summary>
    /// A new webhook for <paramref name="actions"/> (push by default) scoped to a repository of its own (<c>repo:*</c>),
    /// delivering to <paramref name="receiver"/> at a path of its own, which answers as <paramref name="mode"/> says
    /// (200 by default); <paramref name="configure"/> adds to its properties.
    /// </summary>
    public static async Task<TestWebhook> CreateAsync(
        RegistryApi api, WebhookReceiverProcess receiver, string prefix, ReceiverMode? mode = null, string[]? actions = null, Action<Dictionary<string, object?>>? configure = null)
    {
        var webhook = new TestWebhook(RegistryApi.NewName(prefix), RegistryApi.NewRepository(prefix));
        if (mode is not null)
        {
            await receiver.SetModeAsync(webhook.Path, mode);
        }

        var properties = Properties(receiver, webhook.Name, actions ?? ["push"], $"{webhook.Repository}:*");
        configure?.Invoke(properties);
        await api.CreateWebhookAsync(webhook.Name, properties);
        return webhook;
    }
}

/// <summary>
/// Deliveries retried quickly (200 ms doubling to 1.5 s, 5 attempts); a webhook is <c>failing</c> after 2 failed
/// deliveries in a row and disabled after 3; its history keeps 10 deliveries.
/// </summary>
public sealed class DeliveryFixture : StandaloneFixture
{
    public const int MaxAttempts = 5;
    public const int FailingThreshold = 2;
    public const int AutoDisableAfter = 3;
    public const int HistoryLimit = 10;

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Webhooks:MaxAttempts"] = $"{MaxAttempts}",
        ["Webhooks:FailingThreshold"] = $"{FailingThreshold}",
        ["Webhooks:AutoDisableAfter"] = $"{AutoDisableAfter}",
        ["Webhooks:HistoryLimit"] = $"{HistoryLimit}",
    };
}

/// <summary>Deliveries retried for long enough (40 attempts, at most 1 s apart) to outlast a subscriber's restart.</summary>
public sealed class PatientFixture : StandaloneFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Webhooks:MaxAttempts"] = "40",
        ["Webhooks:MaxRetryDelay"] = "00:00:01",
        ["Webhooks:Timeout"] = "00:00:10",
    };
}

/// <summary>Outbound safety as in production: deliveries to internal addresses are refused.</summary>
public sealed class SafetyFixture : StandaloneFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Webhooks:AllowPrivateNetworks"] = "false",
    };
}
