using System.Diagnostics;
using System.Globalization;

namespace Registry.GeoReplication.Tests;

/// <summary>The outcome of one external command (docker): exit code, both outputs and the command line.</summary>
public sealed record CliResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError, bool TimedOut)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;

    public string Describe() =>
        $"$ {CommandLine}{Environment.NewLine}({(TimedOut ? "TIMED OUT" : "exit code " + ExitCode.ToString(CultureInfo.InvariantCulture))})" +
        $"{Environment.NewLine}--- stdout ---{Environment.NewLine}{StandardOutput}{Environment.NewLine}--- stderr ---{Environment.NewLine}{StandardError}";
}

/// <summary>Runs a real client program with captured output, optional standard input, environment and a timeout.</summary>
public static class Cli
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(180);

    /// <summary>Runs the command; fails the test with its output (and <paramref name="context"/>) unless it exits 0.</summary>
    public static async Task<CliResult> RunCheckedAsync(
        string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? standardInput = null, Func<string>? context = null)
    {
        var result = await RunAsync(program, arguments, environment, standardInput);
        Assert.True(result.Succeeded, $"command failed:{Environment.NewLine}{result.Describe()}{(context is null ? string.Empty : Environment.NewLine + context())}");
        return result;
    }

    public static async Task<CliResult> RunAsync(
        string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? standardInput = null, TimeSpan? timeout = null)
    {
        var commandLine = string.Join(' ', arguments.Prepend(program));
        var info = ProcessHost.CreateStartInfo(ProcessHost.FindExecutable(program) ?? throw new InvalidOperationException(
            $"'{program}' was not found on PATH. Install the test infrastructure with `bash eng/setup.sh`."), arguments);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        using var process = new Process { StartInfo = info };
        process.Start();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }

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
