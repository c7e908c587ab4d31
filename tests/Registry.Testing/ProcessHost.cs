using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;

namespace Registry.Testing;

/// <summary>
/// One real local process (redis-server, azurite, …): started with its output captured, waited for until it accepts
/// TCP connections, and stopped with its whole process tree.
/// </summary>
public sealed class ProcessHost : IAsyncDisposable
{
    private const int OutputLinesKept = 200;

    /// <summary>Hosts not yet disposed: killed if the test process ends without disposing them (a crash, an unhandled exception).</summary>
    private static readonly ConcurrentDictionary<ProcessHost, byte> Live = new();

    private readonly Process _process;
    private readonly Queue<string> _output = new();
    private long _linesSeen;

    static ProcessHost()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillLive();
        AppDomain.CurrentDomain.UnhandledException += (_, _) => KillLive();
    }

    private ProcessHost(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    /// <summary>A short name for messages ("redis", "azurite").</summary>
    public string Name { get; }

    public int ProcessId => _process.Id;

    /// <summary>Every stream redirected, arguments passed one by one (no shell quoting), run in the temp directory by default.</summary>
    public static ProcessStartInfo CreateStartInfo(string executable, IEnumerable<string> arguments, string? workingDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            CreateNoWindow = true,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts <paramref name="executable"/> (a path, or a name looked up on PATH) with the given arguments, and with
    /// <paramref name="environment"/> set over the inherited environment variables.
    /// </summary>
    /// <exception cref="InvalidOperationException">The executable does not exist or cannot be started; the message says how to install it.</exception>
    public static ProcessHost Start(
        string name, string executable, IEnumerable<string> arguments, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var resolved = FindExecutable(executable) ?? throw new InvalidOperationException(
            $"{name}: executable '{executable}' was not found{(Path.IsPathRooted(executable) ? string.Empty : " on PATH")}. " +
            "Install the test infrastructure with `bash eng/setup.sh` from the repository root.");

        var info = CreateStartInfo(resolved, arguments, workingDirectory);
        foreach (var (variable, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[variable] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var host = new ProcessHost(name, process);
        process.OutputDataReceived += (_, e) => host.Record(e.Data);
        process.ErrorDataReceived += (_, e) => host.Record(e.Data);
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            process.Dispose();
            throw new InvalidOperationException(
                $"{name}: could not start '{resolved}': {ex.Message}. Install the test infrastructure with `bash eng/setup.sh`.", ex);
        }

        Live.TryAdd(host, 0);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>The last lines the process wrote (stdout and stderr interleaved).</summary>
    public IReadOnlyList<string> RecentOutput(int lines = 30)
    {
        lock (_output)
        {
            return _output.Skip(Math.Max(0, _output.Count - lines)).ToList();
        }
    }

    /// <summary>Waits until 127.0.0.1:<paramref name="port"/> accepts connections; fails early if the process exits.</summary>
    /// <exception cref="InvalidOperationException">The process exited or the port did not open in time; the message has its last output.</exception>
    public async Task WaitForPortAsync(int port, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                // Let the output readers drain before reporting.
                await _process.WaitForExitAsync(cancellationToken);
                throw new InvalidOperationException(Describe($"exited with code {_process.ExitCode} before listening on port {port}"));
            }

            if (await CanConnectAsync(port, cancellationToken))
            {
                return;
            }

            if (deadline.Elapsed > timeout)
            {
                throw new InvalidOperationException(Describe($"did not listen on port {port} within {timeout.TotalSeconds:0} s"));
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>
    /// Asks the process to stop (SIGTERM, so servers can flush), then kills the whole tree after <paramref name="grace"/>,
    /// or as soon as it prints a line containing <paramref name="stoppedMarker"/> (a server that has flushed but still
    /// waits for idle keep-alive clients to hang up).
    /// </summary>
    public async Task StopAsync(TimeSpan? grace = null, string? stoppedMarker = null)
    {
        if (_process.HasExited)
        {
            await _process.WaitForExitAsync();
            return;
        }

        long linesBefore;
        lock (_output)
        {
            linesBefore = _linesSeen;
        }

        if (!OperatingSystem.IsWindows() && grace != TimeSpan.Zero && SendTerminate(_process.Id))
        {
            var deadline = Stopwatch.StartNew();
            var limit = grace ?? TimeSpan.FromSeconds(10);
            while (!_process.HasExited && deadline.Elapsed < limit && !(stoppedMarker is not null && PrintedSince(linesBefore, stoppedMarker)))
            {
                await Task.Delay(20);
            }
        }

        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>Formats a failure with the process's last output lines.</summary>
    public string Describe(string problem)
    {
        var lines = RecentOutput();
        var output = lines.Count == 0 ? "  (no output)" : string.Join(Environment.NewLine, lines.Select(line => "  " + line));
        return $"{Name} (pid {_process.Id}, {_process.StartInfo.FileName}) {problem}. Last output:{Environment.NewLine}{output}";
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5));
        Live.TryRemove(this, out _);
        _process.Dispose();
    }

    /// <summary>A path that exists, or a name found on PATH; null otherwise.</summary>
    public static string? FindExecutable(string executable)
    {
        ArgumentException.ThrowIfNullOrEmpty(executable);
        if (executable.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal) || executable.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(executable) ? Path.GetFullPath(executable) : null;
        }

        var extensions = OperatingSystem.IsWindows() ? new[] { ".exe", ".cmd", ".bat", string.Empty } : [string.Empty];
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var extension in extensions)
            {
                var candidate = Path.Combine(directory, executable + extension);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    private static async Task<bool> CanConnectAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            await client.ConnectAsync(System.Net.IPAddress.Loopback, port, attempt.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static bool SendTerminate(int processId)
    {
        try
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", processId.ToString(System.Globalization.CultureInfo.InvariantCulture)])
            {
                UseShellExecute = false,
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            });
            if (kill is null)
            {
                return false;
            }

            kill.WaitForExit();
            return kill.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static void KillLive()
    {
        foreach (var host in Live.Keys)
        {
            try
            {
                host._process.Kill(entireProcessTree: true);
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
            }
        }
    }

    private bool PrintedSince(long linesBefore, string marker)
    {
        lock (_output)
        {
            var newLines = (int)Math.Min(_output.Count, _linesSeen - linesBefore);
            return _output.Skip(_output.Count - newLines).Any(line => line.Contains(marker, StringComparison.Ordinal));
        }
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            _linesSeen++;
            while (_output.Count > OutputLinesKept)
            {
                _output.Dequeue();
            }
        }
    }
}
