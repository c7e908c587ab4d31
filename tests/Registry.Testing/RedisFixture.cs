using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Registry.Testing;

/// <summary>
/// A real redis-server on a free loopback port, without persistence (installed by <c>bash eng/setup.sh</c>).
/// Share it per test collection; <see cref="FlushAllAsync"/> between tests that need an empty cache.
/// </summary>
public sealed class RedisFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private ProcessHost? _host;

    public RedisFixture()
    {
        WorkingDirectory = Path.Combine(Path.GetTempPath(), "registry-redis-" + Guid.NewGuid().ToString("N"));
    }

    /// <summary>The port; stays the same across <see cref="RestartAsync"/>.</summary>
    public int Port { get; private set; }

    /// <summary>The StackExchange.Redis / Aspire connection string, "127.0.0.1:port".</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    public string WorkingDirectory { get; }

    public bool IsRunning => _host is { HasExited: false };

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(WorkingDirectory);
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort.Next();
            try
            {
                await StartAsync();
                return;
            }
            catch (InvalidOperationException) when (attempt < 3 && _host is { HasExited: true })
            {
                await _host.DisposeAsync();
                _host = null;
            }
        }
    }

    /// <summary>Empties every database (what an operator's FLUSHALL does: nothing may break but speed).</summary>
    public async Task FlushAllAsync(CancellationToken cancellationToken = default)
    {
        var reply = await SendCommandAsync(["FLUSHALL"], cancellationToken);
        if (reply != "+OK")
        {
            throw new InvalidOperationException($"redis FLUSHALL answered '{reply}'");
        }
    }

    /// <summary>Sends one command on a fresh connection and returns the first line of the reply (e.g. "+PONG").</summary>
    public async Task<string> SendCommandAsync(IReadOnlyList<string> command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port, cancellationToken);
        await using var stream = client.GetStream();
        var request = new StringBuilder().Append('*').Append(command.Count).Append("\r\n");
        foreach (var part in command)
        {
            request.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), cancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadLineAsync(cancellationToken) ?? throw new InvalidOperationException("redis closed the connection without a reply");
    }

    /// <summary>Stops redis-server (an outage); <see cref="StartAgainAsync"/> brings it back empty on the same port.</summary>
    public async Task StopAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_host is not null)
            {
                await _host.DisposeAsync();
                _host = null;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task StartAgainAsync() => StartAsync();

    /// <summary>Stops and starts redis-server on the same port: all data is gone, clients must reconnect.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAsync();
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        TestDirectories.TryDelete(WorkingDirectory);

        _gate.Dispose();
    }

    private async Task StartAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (IsRunning)
            {
                return;
            }

            var executable = ProcessHost.FindExecutable("redis-server") ?? throw new InvalidOperationException(
                "redis-server was not found on PATH. Install the test infrastructure with `bash eng/setup.sh` (it installs the redis-server package).");
            string[] arguments =
            [
                "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--bind", "127.0.0.1",
                "--save", string.Empty,
                "--appendonly", "no",
                "--dir", WorkingDirectory,
                "--daemonize", "no",
            ];
            _host = ProcessHost.Start("redis", executable, arguments, WorkingDirectory);
            await _host.WaitForPortAsync(Port, StartTimeout);
        }
        finally
        {
            _gate.Release();
        }
    }
}
