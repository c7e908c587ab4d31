using System.Text.Json;

namespace Registry.Vulnerabilities.Inventory;

/// <summary>Application dependencies as their ecosystems record them inside an image.</summary>
public static class LanguagePackages
{
    /// <summary>.NET's <c>*.deps.json</c>: every library of type <c>package</c> (projects are the application itself).</summary>
    public static IReadOnlyList<InstalledPackage> ParseDepsJson(ReadOnlySpan<byte> json, string location)
    {
        var packages = new List<InstalledPackage>();
        using var document = JsonDocument.Parse(json.ToArray(), Lenient);
        if (!document.RootElement.TryGetProperty("libraries", out var libraries) || libraries.ValueKind != JsonValueKind.Object)
        {
            return packages;
        }

        foreach (var library in libraries.EnumerateObject())
        {
            var slash = library.Name.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || !library.Value.TryGetProperty("type", out var type) || type.GetString() != "package")
            {
                continue;
            }

            var (name, version) = (library.Name[..slash], library.Name[(slash + 1)..]);
            packages.Add(Package(PackageTypes.NuGet, null, name, version, location));
        }

        return packages;
    }

    /// <summary>An installed npm package's own <c>package.json</c> (under <c>node_modules</c>); null without name and version.</summary>
    public static InstalledPackage? ParseNpmPackageJson(ReadOnlySpan<byte> json, string location)
    {
        using var document = JsonDocument.Parse(json.ToArray(), Lenient);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
            || !root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var license = root.TryGetProperty("license", out var licenseElement) && licenseElement.ValueKind == JsonValueKind.String ? licenseElement.GetString() : null;
        return NpmPackage(name.GetString()!, version.GetString()!, location) with { License = license };
    }

    /// <summary><c>package-lock.json</c>: v2/v3 <c>packages</c> (keys <c>node_modules/…</c>), or v1 nested <c>dependencies</c>.</summary>
    public static IReadOnlyList<InstalledPackage> ParseNpmPackageLock(ReadOnlySpan<byte> json, string location)
    {
        var packages = new List<InstalledPackage>();
        using var document = JsonDocument.Parse(json.ToArray(), Lenient);
        var root = document.RootElement;
        if (root.TryGetProperty("packages", out var entries) && entries.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in entries.EnumerateObject())
            {
                var marker = entry.Name.LastIndexOf("node_modules/", StringComparison.Ordinal);
                if (marker < 0 || entry.Value.TryGetProperty("link", out var link) && link.ValueKind == JsonValueKind.True
                    || !entry.Value.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.String)
                {
                    continue;
                }

                var name = entry.Value.TryGetProperty("name", out var explicitName) && explicitName.ValueKind == JsonValueKind.String
                    ? explicitName.GetString()!
                    : entry.Name[(marker + "node_modules/".Length)..];
                packages.Add(NpmPackage(name, version.GetString()!, location));
            }

            return packages;
        }

        if (root.TryGetProperty("dependencies", out var dependencies))
        {
            AddLockV1(dependencies, location, packages);
        }

        return packages;
    }

    /// <summary>Python's <c>*.dist-info/METADATA</c> or <c>*.egg-info/PKG-INFO</c>: RFC 822 headers <c>Name</c> and <c>Version</c>.</summary>
    public static InstalledPackage? ParsePythonMetadata(string text, string location)
    {
        ArgumentNullException.ThrowIfNull(text);
        string? name = null, version = null, license = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                break; // the body (long description) follows the headers
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || line[0] == ' ')
            {
                continue;
            }

            var value = line[(colon + 1)..].Trim();
            switch (line[..colon])
            {
                case "Name": name ??= value; break;
                case "Version": version ??= value; break;
                case "License": license ??= value; break;
            }
        }

        if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(version))
        {
            return null;
        }

        // PEP 503 normalisation: the name advisories and purls use.
        var normalized = string.Join('-', name.ToLowerInvariant().Split(['-', '_', '.'], StringSplitOptions.RemoveEmptyEntries));
        return Package(PackageTypes.PyPI, null, normalized, version, location) with { License = license };
    }

    /// <summary>Maven's <c>META-INF/maven/&lt;group&gt;/&lt;artifact&gt;/pom.properties</c> inside a Java archive.</summary>
    public static InstalledPackage? ParsePomProperties(string text, string location)
    {
        var values = Properties(text);
        return values.TryGetValue("groupId", out var group) && values.TryGetValue("artifactId", out var artifact) && values.TryGetValue("version", out var version)
            ? Package(PackageTypes.Maven, group, artifact, version, location)
            : null;
    }

    /// <summary>
    /// A Java archive's <c>META-INF/MANIFEST.MF</c> when it has no <c>pom.properties</c>: the implementation or bundle
    /// name and version, and the vendor or bundle id's prefix as the group when one is given.
    /// </summary>
    public static InstalledPackage? ParseJavaManifest(string text, string location)
    {
        // As java.util.jar.Manifest reads it: the main section only (up to the first blank line), a line starting with one
        // space continues the one before (values wrap at 72 bytes), "Name: value", the last of a repeated name wins.
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? current = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                break;
            }

            if (line[0] == ' ')
            {
                if (current is not null)
                {
                    values[current] += line[1..];
                }

                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            current = colon > 0 ? line[..colon].Trim() : null;
            if (current is not null)
            {
                values[current] = line[(colon + 1)..].TrimStart(' ');
            }
        }

        values = values.Where(v => v.Value.Trim().Length > 0).ToDictionary(v => v.Key, v => v.Value.Trim(), StringComparer.OrdinalIgnoreCase);
        var symbolicName = values.GetValueOrDefault("Bundle-SymbolicName")?.Split(';')[0].Trim();
        var name = values.GetValueOrDefault("Implementation-Title") ?? symbolicName ?? values.GetValueOrDefault("Specification-Title");
        var version = values.GetValueOrDefault("Implementation-Version") ?? values.GetValueOrDefault("Bundle-Version") ?? values.GetValueOrDefault("Specification-Version");
        if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(version))
        {
            return null;
        }

        var group = values.GetValueOrDefault("Implementation-Vendor-Id")
            ?? (symbolicName is { } id && id.LastIndexOf('.') is > 0 and var dot ? id[..dot] : null);
        return Package(PackageTypes.Maven, group, name, version, location);
    }

    private static void AddLockV1(JsonElement dependencies, string location, List<InstalledPackage> packages)
    {
        if (dependencies.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (var dependency in dependencies.EnumerateObject())
        {
            if (dependency.Value.TryGetProperty("version", out var version) && version.ValueKind == JsonValueKind.String
                && !version.GetString()!.StartsWith("file:", StringComparison.Ordinal))
            {
                packages.Add(NpmLockV1Package(dependency.Name, version.GetString()!, location));
            }

            if (dependency.Value.TryGetProperty("dependencies", out var nested))
            {
                AddLockV1(nested, location, packages);
            }
        }
    }

    /// <summary>An aliased dependency (<c>"b": {"version": "npm:c@1.0.0"}</c>) is package <c>c</c> installed under another name.</summary>
    private static InstalledPackage NpmLockV1Package(string installedAs, string version, string location)
    {
        if (version.StartsWith("npm:", StringComparison.Ordinal) && version.LastIndexOf('@') is > 4 and var at)
        {
            return NpmPackage(version[4..at], version[(at + 1)..], location);
        }

        return NpmPackage(installedAs, version, location);
    }

    private static InstalledPackage NpmPackage(string fullName, string version, string location)
    {
        var slash = fullName.IndexOf('/', StringComparison.Ordinal);
        return fullName.StartsWith('@') && slash > 0
            ? Package(PackageTypes.Npm, fullName[..slash], fullName[(slash + 1)..], version, location) with { Name = fullName }
            : Package(PackageTypes.Npm, null, fullName, version, location);
    }

    internal static InstalledPackage Package(string type, string? @namespace, string name, string version, string location) => new()
    {
        Type = type,
        Namespace = @namespace,
        Name = name,
        Version = version,
        Location = location,
        Purl = Purl.Of(type, @namespace, @namespace is not null && name.StartsWith(@namespace + "/", StringComparison.Ordinal) ? name[(@namespace.Length + 1)..] : name, version),
    };

    private static Dictionary<string, string> Properties(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && !line.StartsWith('#') && !line.StartsWith('!'))
            {
                values[line[..equals].Trim()] = line[(equals + 1)..].Trim();
            }
        }

        return values;
    }

    private static readonly JsonDocumentOptions Lenient = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };
}
