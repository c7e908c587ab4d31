using System.Globalization;

namespace Registry.Benchmarks;

/// <summary>
/// Samples a (server) process's resident set from <c>/proc/&lt;pid&gt;/status</c> every 50 ms, and where allowed
/// resets the kernel's high-water mark (<c>clear_refs</c> 5) so <c>VmHWM</c> also catches peaks between samples.
/// </summary>
internal sealed class RssSampler : IAsyncDisposable
{
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly bool _hwmReset;
    private long _peakKib;

    private RssSampler(int pid)
    {
        _pid = pid;
        _hwmReset = TryResetHighWaterMark(pid);
        _peakKib = ReadKib(pid, "VmRSS:") ?? 0;
        _loop = Task.Run(SampleAsync);
    }

    public static RssSampler? Start(int? pid) => pid is { } id && File.Exists($"/proc/{id}/status") ? new RssSampler(id) : null;

    public static double? CurrentMib(int? pid) => pid is { } id && ReadKib(id, "VmRSS:") is { } kib ? kib / 1024.0 : null;

    /// <summary>Stops sampling; the peak resident set in MiB seen since start.</summary>
    public async Task<double> StopAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        var peak = _peakKib;
        if (_hwmReset && ReadKib(_pid, "VmHWM:") is { } hwm)
        {
            peak = Math.Max(peak, hwm);
        }

        return peak / 1024.0;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }

    private async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (await timer.WaitForNextTickAsync(_stop.Token))
        {
            if (ReadKib(_pid, "VmRSS:") is { } kib && kib > _peakKib)
            {
                _peakKib = kib;
            }
        }
    }

    private static bool TryResetHighWaterMark(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long? ReadKib(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    var value = line[field.Length..].Trim();
                    var space = value.IndexOf(' ', StringComparison.Ordinal);
                    return long.Parse(space < 0 ? value : value[..space], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }
}
