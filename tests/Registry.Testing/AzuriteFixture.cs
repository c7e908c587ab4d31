using Azure.Storage.Blobs;
using Xunit;

namespace Registry.Testing;

/// <summary>
/// A real Azurite blob service on a free loopback port, with its data in a temporary directory, from
/// <c>.tools/azurite</c> (installed by <c>bash eng/setup.sh</c>). Share it per test collection; give each test class
/// (or test) its own container.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    /// <summary>Azurite's well-known development account.</summary>
    public const string AccountName = "devstoreaccount1";

    /// <summary>Azurite's well-known development key (public, not a secret).</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private ProcessHost? _host;
    private string? _executable;

    public AzuriteFixture()
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), "registry-azurite-" + Guid.NewGuid().ToString("N"));
    }

    /// <summary>The blob port; stays the same across <see cref="StopAsync"/> / <see cref="StartAgainAsync"/>.</summary>
    public int Port { get; private set; }

    /// <summary>Azurite's <c>--location</c>; kept across restarts, deleted on dispose.</summary>
    public string DataDirectory { get; }

    public bool IsRunning => _host is { HasExited: false };

    public Uri BlobEndpoint => new($"http://127.0.0.1:{Port}/{AccountName}");

    /// <summary>A connection string for <see cref="BlobServiceClient"/> (the Aspire <c>blobs</c> connection).</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint=http://127.0.0.1:{Port}/{AccountName};";

    /// <summary>A new, independent client (its own pipeline, like another service instance).</summary>
    public BlobServiceClient CreateServiceClient(BlobClientOptions? options = null) =>
        options is null ? new BlobServiceClient(ConnectionString) : new BlobServiceClient(ConnectionString, options);

    /// <summary>A new container with a unique name (created), for one test class or test.</summary>
    public async Task<BlobContainerClient> CreateContainerAsync(string namePrefix = "test", CancellationToken cancellationToken = default)
    {
        var container = CreateServiceClient().GetBlobContainerClient($"{namePrefix}-{Guid.NewGuid():N}"[..Math.Min(63, namePrefix.Length + 33)]);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        return container;
    }

    public async Task InitializeAsync()
    {
        _executable = FindExecutable();
        Directory.CreateDirectory(DataDirectory);
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort.Next();
            try
            {
                await StartAsync();
                return;
            }
            catch (InvalidOperationException) when (attempt < 3 && _host is { HasExited: true })
            {
                // Most likely the port was taken between choosing and binding it: try another one.
                await _host.DisposeAsync();
                _host = null;
            }
        }
    }

    /// <summary>Stops Azurite (an outage); the port and data directory are kept for <see cref="StartAgainAsync"/>.</summary>
    public async Task StopAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_host is not null)
            {
                // SIGTERM makes Azurite save its metadata; it then prints this but lingers while clients keep idle
                // keep-alive connections open, so it is killed once the line appears.
                await _host.StopAsync(TimeSpan.FromSeconds(10), stoppedMarker: "successfully closed");
                await _host.DisposeAsync();
                _host = null;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Starts Azurite again on the same port with the same data (after <see cref="StopAsync"/>).</summary>
    public Task StartAgainAsync() => StartAsync();

    /// <summary>Synchronous <see cref="StopAsync"/>.</summary>
    public void Stop() => StopAsync().GetAwaiter().GetResult();

    /// <summary>Synchronous <see cref="StartAgainAsync"/>.</summary>
    public void StartAgain() => StartAgainAsync().GetAwaiter().GetResult();

    public async Task DisposeAsync()
    {
        await StopAsync();
        TestDirectories.TryDelete(DataDirectory);

        _gate.Dispose();
    }

    private async Task StartAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (IsRunning)
            {
                return;
            }

            var executable = _executable ?? FindExecutable();
            List<string> arguments =
            [
                "--silent", "--skipApiVersionCheck", "--loose",
                "--location", DataDirectory,
                "--blobHost", "127.0.0.1", "--blobPort", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ];
            if (!Path.GetFileName(executable).StartsWith("azurite-blob", StringComparison.Ordinal))
            {
                // The all-in-one azurite also serves queues and tables: keep them off the default ports.
                arguments.AddRange(["--queueHost", "127.0.0.1", "--queuePort", Invariant(FreePort.Next()), "--tableHost", "127.0.0.1", "--tablePort", Invariant(FreePort.Next())]);
            }

            _host = ProcessHost.Start("azurite", executable, arguments, DataDirectory);
            await _host.WaitForPortAsync(Port, StartTimeout);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static string FindExecutable()
    {
        var bin = Path.Combine(RepositoryPaths.Tools, "azurite", "node_modules", ".bin");
        string[] candidates = [Path.Combine(bin, "azurite-blob"), Path.Combine(bin, "azurite"), "azurite-blob", "azurite"];
        return candidates.Select(ProcessHost.FindExecutable).FirstOrDefault(path => path is not null) ?? throw new InvalidOperationException(
            $"Azurite was not found in '{bin}' nor on PATH. Install the test infrastructure with `bash eng/setup.sh` " +
            "(it runs `npm install --prefix .tools/azurite azurite`).");
    }

    private static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
