namespace Registry.Cli.Infrastructure;

/// <summary>
/// A spinner with a status on stderr while a long operation runs (import, gc, purge); drawn only when stderr is a
/// terminal, so redirected output and scripts see nothing of it. Disposing it clears the line.
/// </summary>
internal sealed class Progress : IDisposable
{
    private static readonly string[] Frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

    private readonly TextWriter _error;
    private readonly string _label;
    private readonly Timer? _timer;
    private readonly Lock _lock = new();
    private string _status = string.Empty;
    private int _frame;
    private int _width;

    public Progress(CliEnvironment environment, string label)
    {
        _error = environment.Error;
        _label = label;
        if (environment.ErrorIsTerminal)
        {
            _timer = new Timer(_ => Draw(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(120));
        }
    }

    public void Report(string status)
    {
        lock (_lock)
        {
            _status = status;
        }
    }

    public void Dispose()
    {
        if (_timer is null)
        {
            return;
        }

        _timer.Dispose();
        lock (_lock)
        {
            _error.Write("\r" + new string(' ', _width) + "\r");
            _error.Flush();
        }
    }

    private void Draw()
    {
        lock (_lock)
        {
            var line = $"{Frames[_frame++ % Frames.Length]} {_label} {_status}".TrimEnd();
            _error.Write("\r" + line.PadRight(_width));
            _error.Flush();
            _width = Math.Max(_width, line.Length);
        }
    }
}
