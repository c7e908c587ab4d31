using System.Diagnostics;
using System.Globalization;
using Registry.Testing;

namespace Registry.Replication.Tests;

/// <summary>The outcome of one external command (skopeo): exit code, both outputs and the command line.</summary>
public sealed record CliResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError, bool TimedOut)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;

    public string Describe() =>
        $"$ {CommandLine}{Environment.NewLine}({(TimedOut ? "TIMED OUT" : "exit code " + ExitCode.ToString(CultureInfo.InvariantCulture))})" +
        $"{Environment.NewLine}--- stdout ---{Environment.NewLine}{StandardOutput}{Environment.NewLine}--- stderr ---{Environment.NewLine}{StandardError}";
}

/// <summary>Runs a real client program with captured output and a timeout.</summary>
public static class Cli
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Runs the command; fails the test with its output (and <paramref name="context"/>) unless it exits 0.</summary>
    public static async Task<CliResult> RunCheckedAsync(string program, IReadOnlyList<string> arguments, Func<string>? context = null)
    {
        var result = await RunAsync(program, arguments);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"command failed:{Environment.NewLine}{result.Describe()}{(context is null ? string.Empty : Environment.NewLine + context())}");
        }

        return result;
    }

    public static async Task<CliResult> RunAsync(string program, IReadOnlyList<string> arguments, TimeSpan? timeout = null)
    {
        // Credentials never go into failure messages.
        var shown = arguments.Select((argument, i) => i > 0 && arguments[i - 1].EndsWith("-creds", StringComparison.Ordinal) ? "***" : argument);
        var commandLine = string.Join(' ', shown.Prepend(program));
        var info = ProcessHost.CreateStartInfo(ProcessHost.FindExecutable(program) ?? throw new InvalidOperationException(
            $"'{program}' was not found on PATH. Install the test infrastructure with `bash eng/setup.sh`."), arguments);
        using var process = new Process { StartInfo = info };
        process.Start();
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var timedOut = false;
        using (var cancel = new CancellationTokenSource(timeout ?? DefaultTimeout))
        {
            try
            {
                await process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        return new CliResult(commandLine, process.ExitCode, await stdout, await stderr, timedOut);
    }
}
