using System.Diagnostics;
using System.Globalization;
using Xunit;

namespace Registry.Testing;

/// <summary>
/// A real RabbitMQ broker (Debian's rabbitmq-server, installed by <c>bash eng/setup.sh</c>) on free loopback ports,
/// with its own data directory and its own epmd, started the way the AppHost starts it in executables mode. Share it
/// per test collection. <see cref="StopAsync"/> / <see cref="StartAsync"/> simulate an outage: the same port, node
/// and data directory, so durable queues and their persistent messages survive.
/// </summary>
public sealed class RabbitMqFixture : IAsyncLifetime
{
    /// <summary>Debian ships the broker here; the wrapper on PATH (which re-executes itself as user rabbitmq) is the fallback.</summary>
    private const string BrokerScript = "/usr/lib/rabbitmq/bin/rabbitmq-server";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    /// <summary>SIGTERM makes the broker stop cleanly (it syncs its message store); a clean stop takes a few seconds.</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private ProcessHost? _epmd;
    private ProcessHost? _broker;
    private int _epmdPort;
    private int _distributionPort;

    public RabbitMqFixture()
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), "registry-rabbitmq-" + Guid.NewGuid().ToString("N"));
    }

    /// <summary>The AMQP port; stays the same across <see cref="StopAsync"/> / <see cref="StartAsync"/>.</summary>
    public int Port { get; private set; }

    /// <summary>The broker's home, mnesia (data), log and plugin files; kept across restarts, deleted on dispose.</summary>
    public string DataDirectory { get; }

    /// <summary>The AMQP URI (the Aspire <c>messaging</c> connection string), <c>amqp://guest:guest@127.0.0.1:port/</c>.</summary>
    public string ConnectionString => $"amqp://guest:guest@127.0.0.1:{Text(Port)}/";

    public bool IsRunning => _broker is { HasExited: false };

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(DataDirectory, "mnesia"));
        Directory.CreateDirectory(Path.Combine(DataDirectory, "log"));
        await File.WriteAllTextAsync(Path.Combine(DataDirectory, "enabled_plugins"), "[].\n");
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort.Next();
            _epmdPort = FreePort.Next();
            _distributionPort = FreePort.Next();
            try
            {
                await StartAsync();
                return;
            }
            catch (InvalidOperationException) when (attempt < 3 && (_broker is { HasExited: true } || _epmd is { HasExited: true }))
            {
                // Most likely a port was taken between choosing and binding it: try other ones.
                await StopProcessesAsync(stopEpmd: true);
            }
        }
    }

    /// <summary>
    /// Starts the broker (again, after <see cref="StopAsync"/>) on the same port with the same data, and waits until it
    /// accepts AMQP connections. Does nothing while it runs.
    /// </summary>
    public async Task StartAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (IsRunning)
            {
                return;
            }

            if (_epmd is not { HasExited: false })
            {
                // Our own epmd in the foreground (the broker would otherwise start a daemon one that outlives it).
                _epmd = ProcessHost.Start("epmd", "epmd", ["-port", Text(_epmdPort), "-address", "127.0.0.1"], DataDirectory);
                await _epmd.WaitForPortAsync(_epmdPort, StartTimeout);
            }

            var executable = ProcessHost.FindExecutable(BrokerScript) ?? ProcessHost.FindExecutable("rabbitmq-server") ?? throw new InvalidOperationException(
                "rabbitmq-server was not found. Install the test infrastructure with `bash eng/setup.sh` (it installs the rabbitmq-server package).");
            if (executable != BrokerScript && Environment.UserName == "root")
            {
                await GiveToRabbitMqUserAsync();
            }

            _broker = ProcessHost.Start("rabbitmq", executable, [], DataDirectory, BrokerEnvironment());
            await _broker.WaitForPortAsync(Port, StartTimeout);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops the broker cleanly (an outage: client connections drop); the port and data are kept for <see cref="StartAsync"/>.</summary>
    public async Task StopAsync()
    {
        await _gate.WaitAsync();
        try
        {
            await StopProcessesAsync(stopEpmd: false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops and starts the broker on the same port with the same data.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAsync();
    }

    public async Task DisposeAsync()
    {
        await StopProcessesAsync(stopEpmd: true);
        TestDirectories.TryDelete(DataDirectory);
        _gate.Dispose();
    }

    /// <summary>The variables the AppHost sets for the broker (AppHost/Infrastructure/InfrastructureExtensions.cs).</summary>
    private Dictionary<string, string> BrokerEnvironment() => new()
    {
        ["HOME"] = DataDirectory,
        ["RABBITMQ_NODENAME"] = "registry" + Text(Port) + "@localhost",
        ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
        ["RABBITMQ_NODE_PORT"] = Text(Port),
        ["RABBITMQ_DIST_PORT"] = Text(_distributionPort),
        ["RABBITMQ_MNESIA_BASE"] = Path.Combine(DataDirectory, "mnesia"),
        ["RABBITMQ_LOG_BASE"] = Path.Combine(DataDirectory, "log"),
        ["RABBITMQ_PID_FILE"] = Path.Combine(DataDirectory, "rabbit.pid"),
        ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(DataDirectory, "enabled_plugins"),
        ["ERL_EPMD_PORT"] = Text(_epmdPort),
        ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
        ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-start_epmd false -kernel inet_dist_use_interface {127,0,0,1}",
    };

    private async Task StopProcessesAsync(bool stopEpmd)
    {
        if (_broker is not null)
        {
            await _broker.StopAsync(StopGrace);
            await _broker.DisposeAsync();
            _broker = null;
        }

        if (stopEpmd && _epmd is not null)
        {
            await _epmd.DisposeAsync();
            _epmd = null;
        }
    }

    /// <summary>Debian's wrapper runs the broker as user rabbitmq when started as root: the directory must be its own.</summary>
    private async Task GiveToRabbitMqUserAsync()
    {
        using var chown = Process.Start(ProcessHost.CreateStartInfo("chown", ["-R", "rabbitmq:rabbitmq", DataDirectory]))
            ?? throw new InvalidOperationException("could not start chown");
        await chown.WaitForExitAsync();
        if (chown.ExitCode != 0)
        {
            throw new InvalidOperationException($"chown -R rabbitmq:rabbitmq {DataDirectory} failed: {await chown.StandardError.ReadToEndAsync()}");
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
