using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Registry.Testing;

namespace Registry.EndToEnd.Tests;

/// <summary>The outcome of one external command: exit code, raw stdout and stderr, and the command line.</summary>
public sealed partial record CliResult(string CommandLine, int ExitCode, byte[] StandardOutputBytes, string StandardError, TimeSpan Elapsed, bool TimedOut)
{
    public string StandardOutput => Encoding.UTF8.GetString(StandardOutputBytes);

    public bool Succeeded => ExitCode == 0 && !TimedOut;

    /// <summary>The command line, exit code, time and both outputs: for assertion messages.</summary>
    public string Describe()
    {
        var status = TimedOut ? "TIMED OUT" : "exit code " + ExitCode.ToString(CultureInfo.InvariantCulture);
        return $"$ {CommandLine}{Environment.NewLine}({status}, {Elapsed.TotalSeconds:0.0} s){Environment.NewLine}" +
               $"--- stdout ---{Environment.NewLine}{Truncate(StandardOutput)}{Environment.NewLine}" +
               $"--- stderr ---{Environment.NewLine}{Truncate(StandardError)}";
    }

    /// <summary>Fails the test (with the whole command description) unless the command exited 0 in time.</summary>
    public CliResult EnsureSuccess(string? context = null)
    {
        if (!Succeeded)
        {
            Assert.Fail((context is null ? string.Empty : context + Environment.NewLine) + "command failed:" + Environment.NewLine + Describe());
        }

        return this;
    }

    /// <summary>
    /// Fails the test unless the command failed because the registry refused it: a non-zero exit code and an error that
    /// says so (denied, unauthorized, insufficient scope), not some other failure.
    /// </summary>
    public CliResult EnsureRefused(string what)
    {
        Assert.False(Succeeded, $"{what} should have been refused:{Environment.NewLine}{Describe()}");
        Assert.True(RefusalPattern().IsMatch(StandardError), $"{what} failed, but not with a refusal (denied, unauthorized, insufficient scope):{Environment.NewLine}{Describe()}");
        return this;
    }

    [GeneratedRegex("denied|unauthorized|insufficient[_ ]scope|authentication required", RegexOptions.IgnoreCase)]
    private static partial Regex RefusalPattern();

    private static string Truncate(string text) => text.Length <= 8000 ? text : text[..4000] + Environment.NewLine + "…" + Environment.NewLine + text[^4000..];
}

/// <summary>Runs real client programs (docker, skopeo, podman) with captured output, optional standard input and a timeout.</summary>
public static class Cli
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    public static Task<CliResult> RunAsync(string program, params string[] arguments) =>
        RunAsync(program, arguments, timeout: null);

    public static async Task<CliResult> RunAsync(
        string program,
        IReadOnlyList<string> arguments,
        TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null,
        string? standardInput = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var commandLine = string.Join(' ', new[] { program }.Concat(arguments).Select(Quote));
        var info = ProcessHost.CreateStartInfo(program, arguments, workingDirectory);

        if (environment is not null)
        {
            foreach (var (name, value) in environment)
            {
                info.Environment[name] = value;
                commandLine = $"{name}={Quote(value)} {commandLine}";
            }
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
        using var stdout = new MemoryStream();
        var readOut = process.StandardOutput.BaseStream.CopyToAsync(stdout);
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

        await readOut;
        var stderr = await readErr;
        return new CliResult(commandLine, process.ExitCode, stdout.ToArray(), stderr, stopwatch.Elapsed, timedOut);
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:@=+,%".Contains(c, StringComparison.Ordinal))
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
