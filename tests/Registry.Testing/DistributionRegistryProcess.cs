using System.Globalization;

namespace Registry.Testing;

/// <summary>
/// A real CNCF Distribution registry (<c>docker-registry serve config.yml</c>, installed by <c>bash eng/setup.sh</c>) on a
/// free loopback port: plain HTTP, no authentication, filesystem storage in a temporary directory that is deleted on
/// dispose. For tests that need another registry to talk to (a source to import from, a reference to compare with).
/// </summary>
public sealed class DistributionRegistryProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly ProcessHost _host;

    private DistributionRegistryProcess(ProcessHost host, int port, string directory)
    {
        _host = host;
        Port = port;
        Directory = directory;
    }

    public int Port { get; }

    /// <summary><c>127.0.0.1:port</c>, as clients name the registry.</summary>
    public string Host => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    /// <summary><c>http://127.0.0.1:port/</c>.</summary>
    public Uri BaseAddress => new($"http://{Host}/");

    /// <summary>The temporary directory holding the configuration and the storage.</summary>
    public string Directory { get; }

    /// <summary>The last lines the registry wrote, for failure messages.</summary>
    public string Describe(string problem) => _host.Describe(problem);

    /// <summary>
    /// Writes a configuration (filesystem storage, <c>http.addr 127.0.0.1:port</c>, log level warn, no access log), starts
    /// the registry and waits until it accepts connections. <paramref name="executable"/> defaults to Debian's
    /// <c>docker-registry</c>, else upstream's <c>registry</c>, on PATH.
    /// </summary>
    public static async Task<DistributionRegistryProcess> StartAsync(string? executable = null)
    {
        executable ??= FindExecutable();
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort.Next();
            var directory = System.IO.Directory.CreateTempSubdirectory("registry-distribution-").FullName;
            var config = Path.Combine(directory, "config.yml");
            await File.WriteAllTextAsync(config, Configuration(port, Path.Combine(directory, "storage")));
            ProcessHost? host = null;
            try
            {
                host = ProcessHost.Start("distribution", executable, ["serve", config], directory);
                await host.WaitForPortAsync(port, StartTimeout);
                return new DistributionRegistryProcess(host, port, directory);
            }
            catch (InvalidOperationException) when (attempt < 3 && host is { HasExited: true })
            {
                // Most likely the port was taken between choosing and binding it: try another one.
                await host.DisposeAsync();
                TestDirectories.TryDelete(directory);
            }
            catch
            {
                if (host is not null)
                {
                    await host.DisposeAsync();
                }

                TestDirectories.TryDelete(directory);
                throw;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        TestDirectories.TryDelete(Directory);
    }

    private static string FindExecutable() =>
        new[] { "docker-registry", "registry" }.Select(ProcessHost.FindExecutable).FirstOrDefault(path => path is not null)
        ?? throw new InvalidOperationException(
            "CNCF Distribution was found neither as 'docker-registry' nor as 'registry' on PATH. Install the test infrastructure " +
            "with `bash eng/setup.sh` (it installs the Debian package docker-registry).");

    private static string Configuration(int port, string storage) => string.Create(CultureInfo.InvariantCulture, $"""
        version: 0.1
        log:
          level: warn
          accesslog:
            disabled: true
        storage:
          filesystem:
            rootdirectory: {storage}
          delete:
            enabled: true
        http:
          addr: 127.0.0.1:{port}
          secret: {Guid.NewGuid():N}
        """);
}
