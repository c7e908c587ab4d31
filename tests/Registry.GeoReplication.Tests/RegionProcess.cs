using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Registry.GeoReplication.Tests;

/// <summary>
/// One region: the single-process registry (<c>Registry.Standalone.dll</c> from this project's output) as a real process
/// on a free loopback port, serving <see cref="Region"/> from its own storage and knowing the other region's storage
/// (<c>Regions:*</c>). It can be killed (SIGKILL, nothing flushed) and started again with the same settings and port.
/// Its output is kept across restarts, so a test can look for what a run logged.
/// </summary>
public sealed class RegionProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    private readonly IReadOnlyList<string> _settings;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly List<string> _earlierOutput = [];
    private readonly List<string> _seen = [];
    private ProcessHost? _host;

    private RegionProcess(string region, string dataDirectory, IReadOnlyList<string> settings, IReadOnlyDictionary<string, string> environment)
    {
        Region = region;
        DataDirectory = dataDirectory;
        _settings = settings;
        _environment = environment;
    }

    public string Region { get; }

    public string DataDirectory { get; }

    public int Port { get; private set; }

    /// <summary><c>127.0.0.1:port</c>, as docker names the registry (loopback: plain HTTP is allowed).</summary>
    public string Host => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    public Uri BaseAddress => new($"http://{Host}/");

    public bool IsRunning => _host is { HasExited: false };

    /// <summary>
    /// Starts the region's process. <paramref name="settings"/> are <c>--key=value</c> pairs (the storage, the other
    /// regions); <paramref name="environment"/> carries what must not show on a command line (connection strings, the
    /// admin password).
    /// </summary>
    public static async Task<RegionProcess> StartAsync(string region, string dataDirectory, IReadOnlyList<string> settings, IReadOnlyDictionary<string, string> environment)
    {
        var process = new RegionProcess(region, dataDirectory, settings, environment);
        for (var attempt = 1; ; attempt++)
        {
            process.Port = FreePort.Next();
            try
            {
                await process.StartAsync();
                return process;
            }
            catch (InvalidOperationException) when (attempt < 3 && process._host is { HasExited: true })
            {
                // Most likely the port was taken between choosing and binding it: try another one.
                await process.ForgetHostAsync();
            }
        }
    }

    /// <summary>SIGKILL: the process ends at once, mid-request and mid-copy.</summary>
    public async Task KillAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync(TimeSpan.Zero);
            await ForgetHostAsync();
        }
    }

    /// <summary>Starts the process again with the same settings on the same port.</summary>
    public async Task RestartAsync()
    {
        await KillAsync();
        await StartAsync();
    }

    /// <summary>Whether any run of the process printed a line containing <paramref name="text"/>.</summary>
    public bool Printed(string text)
    {
        lock (_seen)
        {
            _seen.AddRange(_host?.RecentOutput(200).Except(_seen) ?? []);
            return _earlierOutput.Concat(_seen).Any(line => line.Contains(text, StringComparison.Ordinal));
        }
    }

    /// <summary>The process's last output lines, for failure messages.</summary>
    public string Describe() => _host is null
        ? $"region {Region} ({Host}) is not running; its last output:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", _earlierOutput.TakeLast(40))}"
        : _host.Describe($"is region {Region} ({Host})");

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
            _host = null;
        }
    }

    private async Task ForgetHostAsync()
    {
        if (_host is not null)
        {
            lock (_seen)
            {
                _earlierOutput.AddRange(_host.RecentOutput(200));
                _seen.Clear();
            }

            await _host.DisposeAsync();
            _host = null;
        }
    }

    private async Task StartAsync()
    {
        var assembly = Path.Combine(AppContext.BaseDirectory, "Registry.Standalone.dll");
        if (!File.Exists(assembly))
        {
            throw new InvalidOperationException($"'{assembly}' is missing: the test project references services/Registry.Standalone, rebuild it.");
        }

        var dotnet = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        List<string> arguments =
        [
            assembly,
            "--urls", $"http://{Host}",
            "--data-dir", DataDirectory,
            // The same as ASPNETCORE_ENVIRONMENT=Production, and it wins over an inherited environment variable.
            "--environment", "Production",
            "--Distribution:Region=" + Region,
            // Quiet but for replication's own account (the tests look for "Resuming the copy"), one line per entry.
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Registry.Replication.Geo=Information",
            "--Logging:Console:FormatterOptions:SingleLine=true",
            .. _settings,
        ];
        _host = ProcessHost.Start("region-" + Region, dotnet, arguments, AppContext.BaseDirectory, _environment);

        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        var last = "no answer yet";
        while (true)
        {
            if (_host.HasExited)
            {
                await Task.Delay(200); // let the output readers drain
                throw new InvalidOperationException(_host.Describe("exited before answering GET /v2/"));
            }

            try
            {
                // Ready: the version check asks for a token (auth is on).
                using var response = await probe.GetAsync(new Uri(BaseAddress, "v2/"));
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    return;
                }

                last = $"GET /v2/ answered {(int)response.StatusCode}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                last = ex.Message;
            }

            if (deadline.Elapsed > StartTimeout)
            {
                throw new InvalidOperationException(_host.Describe($"did not answer GET /v2/ within {StartTimeout.TotalSeconds:0} s ({last})"));
            }

            await Task.Delay(100);
        }
    }
}
