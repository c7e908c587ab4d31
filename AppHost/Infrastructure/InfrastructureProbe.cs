using System.Diagnostics;

namespace Registry.AppHost.Infrastructure;

/// <summary>Finds out what can provide the infrastructure on this machine, without pulling or installing anything.</summary>
internal sealed class InfrastructureProbe(string repositoryRoot)
{
    public const string SetupHint = "run `bash eng/setup.sh` (Debian/Ubuntu, as root) or install them yourself";

    private static readonly string[] ExtraPaths = ["/usr/sbin", "/usr/local/sbin", "/sbin"];

    /// <summary>
    /// True only when a runtime answers <em>and</em> already holds every image: a runtime that would have to pull
    /// (no internet, as on air-gapped machines) is not mistaken for one that can provide the services.
    /// </summary>
    public bool ContainersCanProvide(InfrastructureImages images, out string reason)
    {
        var runtime = Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME") is { Length: > 0 } configured ? configured : "docker";
        if (FindExecutable(runtime) is not { } runtimePath)
        {
            reason = $"no container runtime '{runtime}' on PATH";
            return false;
        }

        if (Run(runtimePath, "info") != 0)
        {
            reason = $"container runtime '{runtime}' is installed but not running";
            return false;
        }

        var missing = new[] { images.Redis, images.RabbitMQ, images.Azurite }.Where(image => Run(runtimePath, $"image inspect {image}") != 0).ToList();
        if (missing.Count > 0)
        {
            reason = $"container runtime '{runtime}' does not hold {string.Join(", ", missing)} (images are never pulled implicitly)";
            return false;
        }

        reason = $"container runtime '{runtime}' holds every image";
        return true;
    }

    public string? RedisServer => FindExecutable("redis-server");

    /// <summary>The broker itself (Debian ships it under /usr/lib/rabbitmq/bin); the wrapper on PATH is the fallback.</summary>
    public string? RabbitMqServer => FindExecutable("/usr/lib/rabbitmq/bin/rabbitmq-server") ?? FindExecutable("rabbitmq-server");

    /// <summary>Erlang's port mapper, installed with the broker.</summary>
    public string? Epmd => FindExecutable("epmd");

    public string? Azurite =>
        Path.Combine(repositoryRoot, ".tools", "azurite", "node_modules", ".bin", "azurite-blob") is var local && File.Exists(local)
            ? local
            : FindExecutable("azurite-blob");

    /// <summary>What is missing for the executables mode, as package names a person can install.</summary>
    public IReadOnlyList<string> MissingExecutables()
    {
        var missing = new List<string>();
        if (RedisServer is null)
        {
            missing.Add("redis-server (apt-get install redis-server)");
        }

        if (RabbitMqServer is null || Epmd is null)
        {
            missing.Add("rabbitmq-server (apt-get install rabbitmq-server)");
        }

        if (Azurite is null || FindExecutable("node") is null)
        {
            missing.Add("azurite (npm install --prefix .tools/azurite azurite; needs node)");
        }

        return missing;
    }

    public static string? FindExecutable(string name)
    {
        if (Path.IsPathRooted(name))
        {
            return File.Exists(name) ? name : null;
        }

        var directories = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator).Concat(ExtraPaths);
        return directories.Where(d => d.Length > 0).Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
    }

    private static int Run(string fileName, string arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(fileName, arguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return -1;
            }

            process.StandardOutput.ReadToEndAsync();
            process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(15)))
            {
                process.Kill(entireProcessTree: true);
                return -1;
            }

            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }
}
