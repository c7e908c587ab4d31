namespace Registry.Vulnerabilities.Inventory;

/// <summary>The image's distribution, from <c>/etc/os-release</c> (or <c>/usr/lib/os-release</c>, or Alpine's and Debian's own files).</summary>
public sealed record OperatingSystem(string Id, string? VersionId, string? PrettyName)
{
    /// <summary>The OSV ecosystem whose advisories apply to its packages: <c>Debian:12</c>, <c>Ubuntu:22.04</c>, <c>Alpine:v3.18</c>, <c>AlmaLinux:8</c>, <c>Rocky Linux:9</c>; null when unknown.</summary>
    public string? OsvEcosystem
    {
        get
        {
            var major = VersionId?.Split('.')[0];
            var majorMinor = VersionId is null ? null : string.Join('.', VersionId.Split('.').Take(2));
            return Id switch
            {
                "debian" => major is null ? "Debian" : $"Debian:{major}",
                "ubuntu" => majorMinor is null ? "Ubuntu" : $"Ubuntu:{majorMinor}",
                "alpine" => majorMinor is null ? "Alpine" : $"Alpine:v{majorMinor}",
                "almalinux" => major is null ? "AlmaLinux" : $"AlmaLinux:{major}",
                "rocky" => major is null ? "Rocky Linux" : $"Rocky Linux:{major}",
                "rhel" => "Red Hat",
                "opensuse-leap" or "opensuse-tumbleweed" or "opensuse" => "openSUSE",
                "sles" => "SUSE",
                "wolfi" => "Wolfi",
                "chainguard" => "Chainguard",
                _ => null,
            };
        }
    }

    /// <summary>The <c>distro</c> qualifier of package URLs: <c>debian-12</c>, <c>alpine-3.18.4</c>.</summary>
    public string Distro => VersionId is null ? Id : $"{Id}-{VersionId}";

    /// <summary><c>KEY=value</c> lines, values optionally quoted; null without an <c>ID</c>.</summary>
    public static OperatingSystem? ParseOsRelease(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (line.StartsWith('#') || equals <= 0)
            {
                continue;
            }

            var value = line[(equals + 1)..].Trim();
            if (value.Length >= 2 && value[0] == '\'' && value[^1] == '\'')
            {
                value = value[1..^1];
            }
            else if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
            {
                value = UnescapeDoubleQuoted(value[1..^1]);
            }

            values[line[..equals]] = value;
        }

        return values.TryGetValue("ID", out var id) && id.Length > 0
            ? new OperatingSystem(id.ToLowerInvariant(), values.GetValueOrDefault("VERSION_ID"), values.GetValueOrDefault("PRETTY_NAME"))
            : null;
    }

    /// <summary>As the shell reads a double-quoted string (os-release(5)): a backslash escapes only <c>$ ` " \\</c>.</summary>
    private static string UnescapeDoubleQuoted(string quoted)
    {
        var text = new System.Text.StringBuilder(quoted.Length);
        for (var i = 0; i < quoted.Length; i++)
        {
            if (quoted[i] == '\\' && i + 1 < quoted.Length && quoted[i + 1] is '$' or '`' or '"' or '\\')
            {
                i++;
            }

            text.Append(quoted[i]);
        }

        return text.ToString();
    }

    /// <summary>Alpine's <c>/etc/alpine-release</c> (<c>3.18.4</c>).</summary>
    public static OperatingSystem? ParseAlpineRelease(string text) =>
        text.Trim() is { Length: > 0 } version ? new OperatingSystem("alpine", version, $"Alpine Linux v{version}") : null;

    /// <summary>Debian's <c>/etc/debian_version</c> (<c>12.5</c>; testing and unstable write a codename, which has no number).</summary>
    public static OperatingSystem? ParseDebianVersion(string text)
    {
        var version = text.Trim();
        return version.Length > 0 && char.IsAsciiDigit(version[0]) ? new OperatingSystem("debian", version.Split('.')[0], $"Debian GNU/Linux {version}") : null;
    }
}
