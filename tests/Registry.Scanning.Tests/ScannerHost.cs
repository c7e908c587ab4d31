extern alias standalone;

using Microsoft.Extensions.Hosting;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using standalone::Registry.Standalone;

namespace Registry.Scanning.Tests;

/// <summary>
/// The single-process host (distribution, auth, scanner, webhooks, in-memory bus) composed in this process on real
/// Kestrel at a free loopback port, with its own data directory and a docker client configuration of its own.
/// </summary>
public sealed class ScannerHost : IAsyncDisposable
{
    public const string AdminUsername = "admin";
    public const string AdminPassword = "Scanner-tests-0f-the-admin";

    private readonly WebApplication _app;
    private readonly string _directory;

    private ScannerHost(WebApplication app, string directory)
    {
        _app = app;
        _directory = directory;
        BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        Management = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        Management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AdminUsername}:{AdminPassword}")));
    }

    public Uri BaseAddress { get; }

    /// <summary><c>127.0.0.1:port</c>, as docker names the registry.</summary>
    public string Authority => BaseAddress.Authority;

    /// <summary>An HTTP client with the admin's Basic credentials (the management API).</summary>
    public HttpClient Management { get; }

    public static async Task<ScannerHost> StartAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var directory = Directory.CreateTempSubdirectory("registry-scanner-tests-").FullName;
        var builder = RegistryWebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Driver"] = "FileSystem",
            ["Storage:RootDirectory"] = Path.Combine(directory, "data"),
            ["REGISTRY_ADMIN_USERNAME"] = AdminUsername,
            ["REGISTRY_ADMIN_PASSWORD"] = AdminPassword,
            ["Outbox:SweepInterval"] = "00:00:00.500",
            ["Outbox:ClaimAge"] = "00:00:01",
            ["Scanner:DatabaseRefreshInterval"] = "00:00:01",
            ["Webhooks:AllowPrivateNetworks"] = "true",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.AddStandalone(["--data-dir", Path.Combine(directory, "data")]);
        var app = builder.Build();
        app.MapStandalone();
        await app.StartAsync();
        var host = new ScannerHost(app, directory);
        await host.DockerAsync("login", host.Authority, "-u", AdminUsername, "--password-stdin").WithInput(AdminPassword).EnsureAsync();
        return host;
    }

    /// <summary>A docker command with this host's own client configuration (its login only).</summary>
    public DockerCommand DockerAsync(params string[] arguments) => new(Path.Combine(_directory, "docker"), arguments);

    public async ValueTask DisposeAsync()
    {
        Management.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>One run of the docker CLI.</summary>
public sealed class DockerCommand(string config, string[] arguments)
{
    private string? _input;

    public DockerCommand WithInput(string input)
    {
        _input = input;
        return this;
    }

    public async Task<(int ExitCode, string Output, string Error)> RunAsync()
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.Environment["DOCKER_CONFIG"] = config;
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(_input ?? string.Empty);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(6));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    public async Task<string> EnsureAsync()
    {
        var (code, output, error) = await RunAsync();
        Assert.True(code == 0, $"docker {string.Join(' ', arguments)} exited {code}: {error}{output}");
        return output;
    }
}
