namespace Registry.Vulnerabilities.Inventory;

/// <summary>The package databases of Linux distributions: dpkg (<c>var/lib/dpkg/status</c>, distroless <c>status.d/*</c>), apk (<c>lib/apk/db/installed</c>) and rpm (sqlite).</summary>
public static class OsPackages
{
    /// <summary>
    /// dpkg's control stanzas: the installed ones (<c>Status: … installed</c>, or no Status line at all as in distroless
    /// <c>status.d</c> files), with their source package from <c>Source: name (version)</c> or <c>Source: name</c>.
    /// </summary>
    public static IReadOnlyList<InstalledPackage> ParseDpkgStatus(string text, OperatingSystem? os, string location)
    {
        ArgumentNullException.ThrowIfNull(text);
        var packages = new List<InstalledPackage>();
        foreach (var fields in Stanzas(text, dpkgStyle: true))
        {
            if (!fields.TryGetValue("Package", out var name) || !fields.TryGetValue("Version", out var version)
                || (fields.TryGetValue("Status", out var status) && !status.EndsWith(" installed", StringComparison.Ordinal)))
            {
                continue;
            }

            var (sourceName, sourceVersion) = (name, version);
            if (fields.TryGetValue("Source", out var source))
            {
                var open = source.IndexOf('(', StringComparison.Ordinal);
                sourceName = (open < 0 ? source : source[..open]).Trim();
                sourceVersion = open < 0 ? version : source[(open + 1)..].TrimEnd(')', ' ');
            }

            var architecture = fields.GetValueOrDefault("Architecture");
            var distribution = os?.Id ?? "debian";
            packages.Add(new InstalledPackage
            {
                Type = PackageTypes.Deb,
                Name = name,
                Version = version,
                SourceName = sourceName,
                SourceVersion = sourceVersion,
                Architecture = architecture,
                Location = location,
                Purl = Purl.Of(PackageTypes.Deb, distribution, name, version, ("arch", architecture), ("distro", os?.Distro), ("upstream", sourceName == name ? null : sourceName)),
            });
        }

        return packages;
    }

    /// <summary>apk's installed database: one record per package, <c>P:</c> name, <c>V:</c> version, <c>o:</c> origin (source), <c>A:</c> arch, <c>L:</c> licence.</summary>
    public static IReadOnlyList<InstalledPackage> ParseApkInstalled(string text, OperatingSystem? os, string location)
    {
        ArgumentNullException.ThrowIfNull(text);
        var packages = new List<InstalledPackage>();
        foreach (var fields in Stanzas(text, dpkgStyle: false))
        {
            if (!fields.TryGetValue("P", out var name) || !fields.TryGetValue("V", out var version))
            {
                continue;
            }

            var origin = fields.GetValueOrDefault("o") ?? name;
            var architecture = fields.GetValueOrDefault("A");
            packages.Add(new InstalledPackage
            {
                Type = PackageTypes.Apk,
                Name = name,
                Version = version,
                SourceName = origin,
                SourceVersion = version,
                Architecture = architecture,
                License = fields.GetValueOrDefault("L"),
                Location = location,
                Purl = Purl.Of(PackageTypes.Apk, os?.Id ?? "alpine", name, version, ("arch", architecture), ("distro", os?.Distro), ("upstream", origin == name ? null : origin)),
            });
        }

        return packages;
    }

    /// <summary>The RPMs of an rpm database (see <see cref="RpmDatabase"/>); advisories of RPM distributions name binary packages.</summary>
    public static IReadOnlyList<InstalledPackage> ParseRpmList(string text, OperatingSystem? os, string location) =>
        RpmDatabase.FromText(text).Select(rpm => new InstalledPackage
        {
            Type = PackageTypes.Rpm,
            Name = rpm.Name,
            Version = rpm.Evr,
            SourceName = rpm.SourceName,
            Architecture = rpm.Architecture,
            License = rpm.License,
            Location = location,
            Purl = Purl.Of(PackageTypes.Rpm, os?.Id ?? "redhat", rpm.Name, $"{rpm.Version}-{rpm.Release}",
                ("arch", rpm.Architecture), ("epoch", rpm.Epoch is > 0 ? rpm.Epoch.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : null), ("distro", os?.Distro), ("upstream", rpm.SourceRpm)),
        }).ToList();

    /// <summary>Blank-line separated records of <c>Key: value</c> (dpkg, continuation lines start with a space) or <c>K:value</c> (apk).</summary>
    private static IEnumerable<Dictionary<string, string>> Stanzas(string text, bool dpkgStyle)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                if (fields.Count > 0)
                {
                    yield return fields;
                    fields = new Dictionary<string, string>(StringComparer.Ordinal);
                }

                continue;
            }

            if (dpkgStyle && (line[0] == ' ' || line[0] == '\t'))
            {
                continue; // continuation of a multi-line field (Description, Conffiles): not needed
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            fields.TryAdd(line[..colon], line[(colon + 1)..].Trim());
        }

        if (fields.Count > 0)
        {
            yield return fields;
        }
    }
}
