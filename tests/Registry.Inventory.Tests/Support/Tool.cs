using System.Diagnostics;

namespace Registry.Inventory.Tests.Support;

/// <summary>Programs of this machine used as independent oracles (dpkg-query, strings, sh, java, python3, npm).</summary>
internal static class Tool
{
    /// <summary>The full path of a program on PATH (or an absolute path that exists); null when absent.</summary>
    public static string? Find(string name)
    {
        if (Path.IsPathRooted(name))
        {
            return File.Exists(name) ? name : null;
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Runs a program and returns its standard output; throws on a non-zero exit unless <paramref name="allowFailure"/>.</summary>
    public static string Run(string file, IEnumerable<string> arguments, string? workingDirectory = null, string? standardInput = null, bool allowFailure = false)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput is not null,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

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
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish");
        }

        if (process.ExitCode != 0 && !allowFailure)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {process.ExitCode}: {error.Result}");
        }

        return output.Result;
    }

    /// <summary>Runs a program and hands its standard output line by line to <paramref name="line"/> until it returns false (then the program is ended).</summary>
    public static void Stream(string file, IEnumerable<string> arguments, Func<string, bool> line)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var stopped = false;
        while (process.StandardOutput.ReadLine() is { } text)
        {
            if (!line(text))
            {
                stopped = true;
                break;
            }
        }

        if (stopped && !process.HasExited)
        {
            process.Kill();
        }

        process.WaitForExit();
    }
}

/// <summary>A fact that is skipped when a program it needs is not on this machine.</summary>
public sealed class FactRequiringAttribute : FactAttribute
{
    public FactRequiringAttribute(params string[] programs)
    {
        var missing = programs.Where(p => Tool.Find(p) is null).ToList();
        if (missing.Count > 0)
        {
            Skip = $"not on this machine: {string.Join(", ", missing)}";
        }
    }
}

/// <summary>A theory that is skipped when a program it needs is not on this machine.</summary>
public sealed class TheoryRequiringAttribute : TheoryAttribute
{
    public TheoryRequiringAttribute(params string[] programs)
    {
        var missing = programs.Where(p => Tool.Find(p) is null).ToList();
        if (missing.Count > 0)
        {
            Skip = $"not on this machine: {string.Join(", ", missing)}";
        }
    }
}

internal static class TestData
{
    /// <summary>The shared test inputs beside the repository (<c>../shared/testdata/vuln/…</c>).</summary>
    public static string Vuln(params string[] parts)
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

    public static string Oracle(string file) => Path.Combine(AppContext.BaseDirectory, "Oracles", file);
}
