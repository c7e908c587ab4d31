extern alias standalone;

using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Registry.Cli;
using Registry.Cli.Infrastructure;
using Registry.Testing;
using standalone::Registry.Standalone;

namespace Registry.Cli.Tests;

[CollectionDefinition(Name)]
public sealed class CliCollection : ICollectionFixture<CliFixture>
{
    public const string Name = "cli";
}

/// <summary>
/// The single-process host (Registry.Standalone's composition) on a free loopback port and a temporary data directory,
/// with the default registry's admin user from REGISTRY_ADMIN_USERNAME / REGISTRY_ADMIN_PASSWORD; and the CLI run in
/// this process against it, each session with a configuration file of its own (REGISTRY_CONFIG's role).
/// </summary>
public sealed class CliFixture : IAsyncLifetime
{
    public const string AdminUsername = "admin";
    public const string AdminPassword = "cli-tests-Pa55word";
    public const string LoginServer = "default.localhost";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "registry-cli-" + Guid.NewGuid().ToString("N")[..10]);
    private WebApplication? _app;

    /// <summary><c>127.0.0.1:port</c>, the server as the CLI is given it.</summary>
    public string Server { get; private set; } = string.Empty;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        var builder = RegistryWebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.AddStandalone([]);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:RootDirectory"] = Path.Combine(_directory, "data"),
            ["REGISTRY_ADMIN_USERNAME"] = AdminUsername,
            ["REGISTRY_ADMIN_PASSWORD"] = AdminPassword,
            // The import and webhook tests talk to this very host, on loopback.
            ["Import:AllowPrivateNetworks"] = "true",
            ["Webhooks:AllowPrivateNetworks"] = "true",
            ["Auth:MaxFailedLoginsPerClient"] = "100000",
            ["Auth:MaxFailedLoginsPerIdentity"] = "100000",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapStandalone();
        await _app.StartAsync();
        var address = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        Server = $"127.0.0.1:{address.Port}";
        Http.BaseAddress = new Uri($"http://{Server}/");
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        TestDirectories.TryDelete(_directory);
    }

    /// <summary>A CLI with a configuration file of its own, not logged in.</summary>
    public CliSession NewSession() => new(Path.Combine(_directory, "config-" + Guid.NewGuid().ToString("N")[..8], "config.json"));

    /// <summary>A CLI logged in to the host as the admin user.</summary>
    public async Task<CliSession> AdminSessionAsync()
    {
        var session = NewSession();
        (await session.RunAsync("login", Server, "-u", AdminUsername, "-p", AdminPassword)).AssertSuccess();
        return session;
    }

    /// <summary>Pushes a one-layer image as the admin user; its digest.</summary>
    public async Task<string> PushAsync(string repository, string tag)
    {
        var token = await OciImages.TokenAsync(Http, LoginServer, AdminUsername, AdminPassword, $"repository:{repository}:pull,push");
        return await OciImages.PushAsync(Http, token, repository, tag);
    }

    public static string NewRepository(string prefix) => $"cli/{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>A resource name ACR accepts (5–50 letters and digits).</summary>
    public static string NewName(string prefix) => prefix + Guid.NewGuid().ToString("N")[..8];
}

/// <summary>The CLI run in process with captured stdout/stderr and a configuration file of its own.</summary>
public sealed class CliSession(string configPath)
{
    public string ConfigPath => configPath;

    public async Task<CliResult> RunAsync(params string[] args) => await RunWithInputAsync(string.Empty, args);

    public async Task<CliResult> RunWithInputAsync(string stdin, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var input = new StringReader(stdin);
        var code = await CliApp.RunAsync(args, new CliEnvironment(output, error, input, configPath, ErrorIsTerminal: false));
        return new CliResult(args, code, output.ToString(), error.ToString());
    }

    /// <summary>Runs with <c>--output json</c>; must succeed; the JSON printed.</summary>
    public async Task<JsonElement> JsonAsync(params string[] args)
    {
        var result = (await RunAsync([.. args, "--output", "json"])).AssertSuccess();
        using var json = JsonDocument.Parse(result.Output);
        return json.RootElement.Clone();
    }
}

public sealed record CliResult(string[] Args, int ExitCode, string Output, string Error)
{
    public CliResult AssertSuccess()
    {
        Assert.True(ExitCode == 0, $"registry {string.Join(' ', Args)} exited {ExitCode}{Environment.NewLine}stdout: {Output}{Environment.NewLine}stderr: {Error}");
        return this;
    }

    /// <summary>Exit code 1 and <paramref name="message"/> in stderr.</summary>
    public CliResult AssertFailure(string message)
    {
        Assert.True(ExitCode == 1, $"registry {string.Join(' ', Args)} exited {ExitCode}, expected 1{Environment.NewLine}stdout: {Output}{Environment.NewLine}stderr: {Error}");
        Assert.Contains(message, Error, StringComparison.Ordinal);
        return this;
    }
}
