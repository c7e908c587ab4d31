using System.Text.Json;
using Registry.Testing;

namespace Registry.EndToEnd.Tests;

/// <summary>A user name and password the registry knows: its admin user, a token, or a service principal (user name = app id).</summary>
public sealed record RegistryCredential(string Username, string Password)
{
    /// <summary>The <c>user:password</c> form of skopeo's and podman's <c>--creds</c>.</summary>
    public string Creds => $"{Username}:{Password}";

    /// <summary>Never the password: records print into assertion messages.</summary>
    public override string ToString() => Username;
}

/// <summary>
/// The docker CLI with a configuration directory of its own (<c>DOCKER_CONFIG</c>): what it logs in as is seen by no other
/// client, so identities never collide. The daemon, and with it the local images, are shared by all.
/// </summary>
public sealed class DockerClient : IDisposable
{
    private readonly Func<string> _serverOutput;

    public DockerClient(string configDirectory, Func<string> serverOutput)
    {
        Directory.CreateDirectory(configDirectory);
        ConfigDirectory = configDirectory;
        EnvironmentVariables = new Dictionary<string, string> { ["DOCKER_CONFIG"] = configDirectory };
        _serverOutput = serverOutput;
    }

    public string ConfigDirectory { get; }

    /// <summary>What every docker command of this client runs with.</summary>
    public IReadOnlyDictionary<string, string> EnvironmentVariables { get; }

    /// <summary>Runs docker with this configuration; the command may fail.</summary>
    public Task<CliResult> TryRunAsync(params string[] arguments) => Cli.RunAsync("docker", arguments, environment: EnvironmentVariables);

    /// <summary>Runs docker with this configuration and fails the test (with the server's output) unless it exits 0.</summary>
    public async Task<CliResult> RunAsync(params string[] arguments)
    {
        var result = await TryRunAsync(arguments);
        return result.EnsureSuccess(result.Succeeded ? null : _serverOutput());
    }

    /// <summary><c>docker login host -u user --password-stdin</c>; the command may fail.</summary>
    public Task<CliResult> TryLoginAsync(string host, RegistryCredential credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        return Cli.RunAsync("docker", ["login", host, "-u", credential.Username, "--password-stdin"], environment: EnvironmentVariables, standardInput: credential.Password);
    }

    /// <summary>The entry <c>docker login</c> stored for <paramref name="host"/> in this client's config.json, or null.</summary>
    public JsonElement? StoredLogin(string host)
    {
        var file = Path.Combine(ConfigDirectory, "config.json");
        if (!File.Exists(file))
        {
            return null;
        }

        using var config = JsonDocument.Parse(File.ReadAllBytes(file));
        return config.RootElement.TryGetProperty("auths", out var auths) && auths.TryGetProperty(host, out var entry) ? entry.Clone() : null;
    }

    public void Dispose() => TestDirectories.TryDelete(ConfigDirectory);
}
