using System.Diagnostics;
using System.Globalization;

namespace Registry.Scanner.Tests;

/// <summary>The outcome of one external command (docker, skopeo, tar, zstd, dpkg-query).</summary>
public sealed record CliResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError, bool TimedOut)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;

    public string Describe()
    {
        var status = TimedOut ? "TIMED OUT" : "exit code " + ExitCode.ToString(CultureInfo.InvariantCulture);
        return $"$ {CommandLine}{Environment.NewLine}({status}){Environment.NewLine}--- stdout ---{Environment.NewLine}{Cut(StandardOutput)}" +
               $"{Environment.NewLine}--- stderr ---{Environment.NewLine}{Cut(StandardError)}";
    }

    private static string Cut(string text) => text.Length <= 4000 ? text : text[..2000] + Environment.NewLine + "…" + Environment.NewLine + text[^2000..];
}

/// <summary>Runs the real client programs with arguments passed one by one, captured output, optional input and a timeout.</summary>
public static class Cli
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    public static async Task<CliResult> RunAsync(
        string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? standardInput = null, TimeSpan? timeout = null)
    {
        var commandLine = string.Join(' ', new[] { program }.Concat(arguments));
        var info = ProcessHost.CreateStartInfo(program, arguments);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Assert.Fail($"could not start `{commandLine}`: {ex.Message}. Install the test infrastructure with `bash eng/setup.sh`.");
            throw;
        }

        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }

        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
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

        return new CliResult(commandLine, process.ExitCode, await output, await error, timedOut);
    }

    /// <summary>Runs the command; the test fails with its output (and <paramref name="context"/>) unless it exits 0.</summary>
    public static async Task<CliResult> RunCheckedAsync(
        string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? standardInput = null, Func<string>? context = null)
    {
        var result = await RunAsync(program, arguments, environment, standardInput);
        Assert.True(result.Succeeded, $"command failed:{Environment.NewLine}{result.Describe()}{Environment.NewLine}{context?.Invoke()}");
        return result;
    }
}
