using System.Diagnostics;
using System.Globalization;

namespace Registry.Benchmarks;

/// <summary>CPU time (user + system) of the server (from <c>/proc/&lt;pid&gt;/stat</c>) and of this client over a phase.</summary>
internal readonly struct CpuMeter
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    private readonly int? _pid;
    private readonly double? _serverStart;
    private readonly double? _serverSystemStart;
    private readonly TimeSpan _clientStart;

    private CpuMeter(int? pid)
    {
        _pid = pid;
        _serverStart = ServerSeconds(pid);
        _serverSystemStart = ServerSeconds(pid, systemOnly: true);
        _clientStart = Process.GetCurrentProcess().TotalProcessorTime;
    }

    public static CpuMeter Start(int? pid) => new(pid);

    /// <summary>Server (total and kernel) and client CPU seconds used since start (server null when unknown).</summary>
    public (double? Server, double? ServerSystem, double Client) Elapsed() =>
        (ServerSeconds(_pid) - _serverStart, ServerSeconds(_pid, systemOnly: true) - _serverSystemStart,
            (Process.GetCurrentProcess().TotalProcessorTime - _clientStart).TotalSeconds);

    private static double? ServerSeconds(int? pid, bool systemOnly = false)
    {
        if (pid is not { } id)
        {
            return null;
        }

        try
        {
            var stat = File.ReadAllText($"/proc/{id}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // After the command: state is field 3, utime field 14, stime field 15 (1-based in proc(5)).
            var user = systemOnly ? 0 : long.Parse(fields[11], CultureInfo.InvariantCulture);
            return (user + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
