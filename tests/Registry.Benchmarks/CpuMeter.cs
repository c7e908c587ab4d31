using System.Diagnostics;
using System.Globalization;

namespace Registry.Benchmarks;

/// <summary>A server process measured by name (e.g. <c>gateway=1234</c>), for setups of several processes.</summary>
internal sealed record NamedProcess(string Name, int Pid)
{
    /// <summary>Parses <c>name=pid[,name=pid…]</c>.</summary>
    public static IReadOnlyList<NamedProcess> ParseList(string? text)
    {
        var result = new List<NamedProcess>();
        foreach (var entry in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = entry.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || !parts[0].All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') ||
                !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0)
            {
                throw new ArgumentException($"--processes: '{entry}' is not name=pid");
            }

            result.Add(new NamedProcess(parts[0], pid));
        }

        return result;
    }
}

/// <summary>
/// CPU time (user + system) of the server (from <c>/proc/&lt;pid&gt;/stat</c>), of any further named server processes,
/// and of this client over a phase.
/// </summary>
internal readonly struct CpuMeter
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    private readonly int? _pid;
    private readonly double? _serverStart;
    private readonly double? _serverSystemStart;
    private readonly TimeSpan _clientStart;
    private readonly IReadOnlyList<NamedProcess> _processes;
    private readonly (double? Total, double? System)[] _processStarts;

    private CpuMeter(int? pid, IReadOnlyList<NamedProcess> processes)
    {
        _pid = pid;
        _processes = processes;
        _serverStart = ServerSeconds(pid);
        _serverSystemStart = ServerSeconds(pid, systemOnly: true);
        _processStarts = processes.Select(p => (ServerSeconds(p.Pid), ServerSeconds(p.Pid, systemOnly: true))).ToArray();
        _clientStart = Process.GetCurrentProcess().TotalProcessorTime;
    }

    public static CpuMeter Start(int? pid, IReadOnlyList<NamedProcess>? processes = null) => new(pid, processes ?? []);

    /// <summary>Server (total and kernel) and client CPU seconds used since start (server null when unknown).</summary>
    public (double? Server, double? ServerSystem, double Client) Elapsed() =>
        (ServerSeconds(_pid) - _serverStart, ServerSeconds(_pid, systemOnly: true) - _serverSystemStart,
            (Process.GetCurrentProcess().TotalProcessorTime - _clientStart).TotalSeconds);

    /// <summary>CPU seconds (total and kernel) of each named process since start; null where the process could not be read.</summary>
    public IReadOnlyList<(string Name, double? Total, double? System)> ProcessesElapsed()
    {
        var result = new List<(string, double?, double?)>(_processes.Count);
        for (var i = 0; i < _processes.Count; i++)
        {
            var pid = _processes[i].Pid;
            result.Add((_processes[i].Name, ServerSeconds(pid) - _processStarts[i].Total, ServerSeconds(pid, systemOnly: true) - _processStarts[i].System));
        }

        return result;
    }

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
