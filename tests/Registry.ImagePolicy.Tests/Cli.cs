using System.Diagnostics;
using System.Globalization;
using System.Text;
using Registry.Testing;

namespace Registry.ImagePolicy.Tests;

/// <summary>The outcome of one external command (docker, tar): exit code, both outputs and the command line.</summary>
public sealed record CliResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError, TimeSpan Elapsed, bool TimedOut)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;

    /// <summary>The command line, exit code, time and both outputs: for assertion messages.</summary>
    public string Describe()
    {
        var status = TimedOut ? "TIMED OUT" : "exit code " + ExitCode.ToString(CultureInfo.InvariantCulture);
        return $"$ {CommandLine}{Environment.NewLine}({status}, {Elapsed.TotalSeconds:0.0} s){Environment.NewLine}" +
               $"--- stdout ---{Environment.NewLine}{Truncate(StandardOutput)}{Environment.NewLine}" +
               $"--- stderr ---{Environment.NewLine}{Truncate(StandardError)}";
    }

    private static string Truncate(string text) => text.Length <= 6000 ? text : text[..3000] + Environment.NewLine + "…" + Environment.NewLine + text[^3000..];
}

/// <summary>Runs real client programs with captured output, optional standard input, extra environment and a timeout.</summary>
public static class Cli
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(90);

    public static async Task<CliResult> RunAsync(
        string program,
        IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null,
        string? standardInput = null,
        TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var commandLine = string.Join(' ', new[] { program }.Concat(arguments));
        var info = ProcessHost.CreateStartInfo(program, arguments);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
            commandLine = $"{name}={value} {commandLine}";
        }

        using var process = new Process { StartInfo = info };
        var stopwatch = Stopwatch.StartNew();
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Assert.Fail($"could not start `{commandLine}`: {ex.Message}. Install the test infrastructure with `bash eng/setup.sh`.");
            throw; // unreachable
        }

        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }

        process.StandardInput.Close();
        var readOut = process.StandardOutput.ReadToEndAsync();
        var readErr = process.StandardError.ReadToEndAsync();
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
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                }

                await process.WaitForExitAsync();
            }
        }

        return new CliResult(commandLine, process.ExitCode, await readOut, await readErr, stopwatch.Elapsed, timedOut);
    }

    /// <summary>Runs the command and fails the test with its output (and <paramref name="context"/>) unless it exits 0.</summary>
    public static async Task<CliResult> RunCheckedAsync(string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null, Func<string>? context = null)
    {
        var result = await RunAsync(program, arguments, environment);
        Assert.True(result.Succeeded, $"command failed:{Environment.NewLine}{result.Describe()}{Environment.NewLine}{context?.Invoke()}");
        return result;
    }
}
