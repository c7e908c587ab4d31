using System.Diagnostics;

namespace Registry.Vulnerabilities.Tests.Support;

/// <summary>Runs a program of the machine (an oracle: dpkg, rpm, node, python3) with text on standard input.</summary>
internal static class Tool
{
    public static string Run(string file, IEnumerable<string> arguments, string? input = null, int timeoutSeconds = 120)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["LC_ALL"] = "C";
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"The oracle '{file}' is not installed on this machine: {e.Message}", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (input is not null)
            {
                process.StandardInput.Write(input);
            }

            process.StandardInput.Close();
            if (!process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{file} did not finish within {timeoutSeconds} s");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{file} exited with {process.ExitCode}: {stderr.Result}");
            }

            return stdout.Result;
        }
    }

    public static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
