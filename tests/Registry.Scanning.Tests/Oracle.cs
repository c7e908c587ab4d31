using System.Diagnostics;

namespace Registry.Scanning.Tests;

/// <summary>Runs a program of this machine and returns its standard output (the tests' independent oracles).</summary>
internal static class Oracle
{
    public static string Run(string file, string arguments, string? standardInput = null)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput is not null,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        if (standardInput is not null)
        {
            process.StandardInput.Write(standardInput);
            process.StandardInput.Close();
        }

        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {arguments} did not finish");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} exited {process.ExitCode}: {error.Result}");
        }

        return output.Result;
    }

    /// <summary>The shared test data beside the repository (<c>../shared/testdata/vuln</c>).</summary>
    public static string VulnData(params string[] parts)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "..", "shared", "testdata", "vuln");
            if (File.Exists(Path.Combine(directory.FullName, "Registry.sln")) && Directory.Exists(candidate))
            {
                return Path.GetFullPath(Path.Combine([candidate, .. parts]));
            }
        }

        throw new DirectoryNotFoundException("../shared/testdata/vuln beside the repository");
    }

    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Registry.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("the repository root");
    }
}
