using Microsoft.Extensions.DependencyInjection;
using Registry.Storage;
using Registry.Testing;

namespace Registry.Webhooks.Tests;

/// <summary>Real RabbitMQ, shared by the tests that run the platform's services as separate hosts.</summary>
[CollectionDefinition(Name)]
public sealed class BusCollection : ICollectionFixture<RabbitMqFixture>
{
    public const string Name = "rabbitmq";
}

/// <summary>
/// The platform as separate services over one storage directory and real RabbitMQ: auth, distribution (token checks
/// off) and webhooks, each its own host as its Program composes it; and a webhook receiver process. The webhooks host
/// asks the auth host over HTTP to authorize management calls and to look registries up, as in the platform (a separate
/// auth host rather than auth composed into the webhooks host, so a webhooks host can be stopped and replaced alone).
/// One per test: its own storage, receiver, queues and webhooks host, which the test may stop and start again.
/// </summary>
public sealed class Platform : IAsyncDisposable
{
    private readonly RabbitMqFixture _rabbit;
    private readonly IReadOnlyDictionary<string, string?>? _webhookSettings;
    private readonly List<HostLog> _webhookLogs = [];
    private readonly string _queuePrefix = "t" + Guid.NewGuid().ToString("N")[..8] + "-";
    private TestHost? _webhooks;

    private Platform(RabbitMqFixture rabbit, IReadOnlyDictionary<string, string?>? webhookSettings, string root, TestHost auth, TestHost distribution, WebhookReceiverProcess receiver)
    {
        _rabbit = rabbit;
        _webhookSettings = webhookSettings;
        Root = root;
        AuthHost = auth;
        DistributionHost = distribution;
        Receiver = receiver;
        Registry = distribution.CreateApi();
    }

    public string Root { get; }

    public string DataDirectory => Path.Combine(Root, "data");

    public TestHost AuthHost { get; }

    public TestHost DistributionHost { get; }

    public WebhookReceiverProcess Receiver { get; }

    /// <summary>Pushes and deletes through the distribution host.</summary>
    public RegistryApi Registry { get; }

    /// <summary>The management API of the webhooks host now running (a new client after each start).</summary>
    public RegistryApi Webhooks { get; private set; } = null!;

    public static async Task<Platform> StartAsync(RabbitMqFixture rabbit, IReadOnlyDictionary<string, string?>? webhookSettings = null)
    {
        var root = Directory.CreateTempSubdirectory("registry-webhooks-platform-").FullName;
        var data = Path.Combine(root, "data");
        var started = new List<IAsyncDisposable>();
        try
        {
            var receiver = await WebhookReceiverProcess.StartAsync(WebhookReceiverProcess.DefaultDllPath);
            started.Add(receiver);
            var auth = await TestHost.AuthAsync(data);
            started.Add(auth);
            var distribution = await TestHost.DistributionAsync(data, rabbit.ConnectionString);
            started.Add(distribution);
            var platform = new Platform(rabbit, webhookSettings, root, auth, distribution, receiver);
            started = [platform];
            await platform.StartWebhooksAsync();
            return platform;
        }
        catch
        {
            foreach (var part in Enumerable.Reverse(started))
            {
                await part.DisposeAsync();
            }

            TestDirectories.TryDelete(root);
            throw;
        }
    }

    /// <summary>Starts a webhooks host (a new instance, as after a crash or a deployment) on the same storage and queues.</summary>
    public async Task StartWebhooksAsync()
    {
        Assert.Null(_webhooks);
        _webhooks = await TestHost.WebhooksAsync(DataDirectory, _rabbit.ConnectionString, AuthHost.BaseAddress, _queuePrefix, _webhookSettings);
        _webhookLogs.Add(_webhooks.Log);
        Webhooks = _webhooks.CreateApi();
    }

    /// <summary>Stops the webhooks host gracefully; whatever it had not finished stays in storage and in its queues.</summary>
    public async Task StopWebhooksAsync()
    {
        Webhooks?.Dispose();
        if (Interlocked.Exchange(ref _webhooks, null) is { } host)
        {
            await host.DisposeAsync();
        }
    }

    /// <summary>A webhook for pushes to a repository of its own, made through the webhooks host (<see cref="TestWebhook.CreateAsync"/>).</summary>
    public Task<TestWebhook> NewWebhookAsync(string prefix, ReceiverMode? mode = null) => TestWebhook.CreateAsync(Webhooks, Receiver, prefix, mode);

    /// <summary>What the hosts logged (warnings and errors), for a failure message.</summary>
    public string DescribeLogs() => string.Join(
        Environment.NewLine,
        new[] { ("auth", AuthHost.Log), ("distribution", DistributionHost.Log) }
            .Concat(_webhookLogs.Select((log, i) => ($"webhooks#{i + 1}", log)))
            .SelectMany(host => host.Item2.Lines.TakeLast(40).Select(line => $"  [{host.Item1}] {line}")));

    /// <summary>The events waiting in the outbox (written, not yet on the bus).</summary>
    public async Task<int> OutboxCountAsync()
    {
        var count = 0;
        await foreach (var _ in DistributionHost.Services.GetRequiredService<IStorageDriverFactory>().ForPlatform().ListAsync(StoragePaths.OutboxRoot, CancellationToken.None))
        {
            count++;
        }

        return count;
    }

    public async ValueTask DisposeAsync()
    {
        await StopWebhooksAsync();
        Registry.Dispose();
        await DistributionHost.DisposeAsync();
        await AuthHost.DisposeAsync();
        await Receiver.DisposeAsync();
        TestDirectories.TryDelete(Root);
    }
}
