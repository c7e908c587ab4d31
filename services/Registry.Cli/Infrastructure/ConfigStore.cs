using System.Text.Json;
using System.Text.Json.Serialization;

namespace Registry.Cli.Infrastructure;

/// <summary>The servers logged in to (<c>~/.registry/config.json</c>) and which one commands use.</summary>
internal sealed class CliConfig
{
    /// <summary>The key (normalized server) of the login commands use.</summary>
    public string? Current { get; set; }

    public Dictionary<string, ServerLogin> Servers { get; set; } = [];

    public ServerLogin? CurrentLogin => Current is not null && Servers.TryGetValue(Current, out var login) ? login : null;
}

/// <summary>One login: the server's base URL, the registry its host reaches, its login server and the credentials.</summary>
internal sealed class ServerLogin
{
    public required string Url { get; set; }

    /// <summary>The registry commands act on unless <c>--registry</c> says otherwise.</summary>
    public required string Registry { get; set; }

    /// <summary>The registry the server's host reaches: another one is reached by naming its login server as Host.</summary>
    public string? HostRegistry { get; set; }

    public string? LoginServer { get; set; }

    public required string Username { get; set; }

    public required string Password { get; set; }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CliConfig))]
internal sealed partial class ConfigJsonContext : JsonSerializerContext;

internal static class ConfigStore
{
    /// <summary>Overrides the configuration file's path (tests, several identities side by side).</summary>
    public const string PathVariable = "REGISTRY_CONFIG";

    public static string DefaultPath() => Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } path
        ? path
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".registry", "config.json");

    public static CliConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            return new CliConfig();
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), ConfigJsonContext.Default.CliConfig) ?? new CliConfig();
        }
        catch (JsonException ex)
        {
            throw new CliException($"the configuration file {path} is not valid JSON ({ex.Message}); remove it and log in again", ex);
        }
    }

    /// <summary>Writes the file readable by its owner only (it holds passwords): a new file with mode 600, moved over the old one.</summary>
    public static void Save(string path, CliConfig config)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, config, ConfigJsonContext.Default.CliConfig);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
