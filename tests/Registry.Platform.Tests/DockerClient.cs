using System.Diagnostics;
using Registry.Testing;

namespace Registry.Platform.Tests;

/// <summary>The outcome of one docker command.</summary>
public sealed record DockerResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError, bool TimedOut)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;

    public string Describe() =>
        $"$ {CommandLine}{Environment.NewLine}({(TimedOut ? "TIMED OUT" : $"exit code {ExitCode}")}){Environment.NewLine}" +
        $"--- stdout ---{Environment.NewLine}{StandardOutput}{Environment.NewLine}--- stderr ---{Environment.NewLine}{StandardError}";
}

/// <summary>
/// The docker CLI against the local dockerd with a private <c>DOCKER_CONFIG</c> directory, so a login here never touches
/// (or reads) the user's own credentials. Dispose deletes that directory.
/// </summary>
public sealed class DockerClient : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    public string ConfigDirectory { get; } = Directory.CreateTempSubdirectory("registry-platform-docker-").FullName;

    public static bool IsInstalled => ProcessHost.FindExecutable("docker") is not null;

    /// <summary>Runs <c>docker arguments…</c>, writing <paramref name="standardInput"/> (if any) to its input.</summary>
    public async Task<DockerResult> RunAsync(IReadOnlyList<string> arguments, string? standardInput = null)
    {
        var info = ProcessHost.CreateStartInfo("docker", arguments);
        info.Environment["DOCKER_CONFIG"] = ConfigDirectory;
        var commandLine = $"DOCKER_CONFIG={ConfigDirectory} docker {string.Join(' ', arguments)}";

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
        using (var cancellation = new CancellationTokenSource(Timeout))
        {
            try
            {
                await process.WaitForExitAsync(cancellation.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        return new DockerResult(commandLine, process.ExitCode, await stdout, await stderr, timedOut);
    }

    /// <summary>Runs a docker command and fails the test with its output unless it exits 0.</summary>
    public async Task<DockerResult> CheckAsync(params string[] arguments) => Ensure(await RunAsync(arguments));

    public static DockerResult Ensure(DockerResult result)
    {
        Assert.True(result.Succeeded, "docker command failed:" + Environment.NewLine + result.Describe());
        return result;
    }

    public void Dispose() => TestDirectories.TryDelete(ConfigDirectory);
}
