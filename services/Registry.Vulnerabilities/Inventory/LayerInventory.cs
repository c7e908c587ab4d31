namespace Registry.Vulnerabilities.Inventory;

/// <summary>
/// What one layer contributes, independent of every other layer (so it is computed once per layer digest and cached):
/// the language packages found in it, the raw OS files (release files and package databases, parsed once the image's
/// distribution is known), every path it writes, and what it deletes (whiteouts) or hides (opaque directories).
/// </summary>
public sealed record LayerInventory
{
    public required string Digest { get; init; }

    public IReadOnlyList<InstalledPackage> Packages { get; init; } = [];

    /// <summary>Absolute path → text of <c>os-release</c>, <c>alpine-release</c>, <c>debian_version</c>, dpkg <c>status</c> and <c>status.d/*</c>, apk <c>installed</c>, and rpm's sqlite database as tab-separated header fields.</summary>
    public IReadOnlyDictionary<string, string> OsFiles { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Every non-directory path the layer writes (files, links, devices), absolute: it replaces whatever the layers below
    /// had there. Directory entries are not listed: layers repeat their parents' entries without hiding anything.
    /// </summary>
    public IReadOnlyList<string> Paths { get; init; } = [];

    /// <summary>Paths the layer deletes from the layers below (<c>.wh.&lt;name&gt;</c>).</summary>
    public IReadOnlyList<string> Whiteouts { get; init; } = [];

    /// <summary>Directories whose content from the layers below the layer hides (<c>.wh..wh..opq</c>).</summary>
    public IReadOnlyList<string> OpaqueDirectories { get; init; } = [];

    /// <summary>Why the blob could not be read as a layer archive (not a tar, truncated, corrupt compression); null when it was read.</summary>
    public string? Unreadable { get; init; }
}

/// <summary>An image's packages as its final filesystem has them, with the distribution they belong to.</summary>
public sealed record ImageInventory(OperatingSystem? OperatingSystem, IReadOnlyList<InstalledPackage> Packages)
{
    private static readonly string[] OsReleasePaths = ["/etc/os-release", "/usr/lib/os-release"];

    /// <summary>
    /// Applies the layers bottom to top as a container runtime would: each layer's whiteouts and opaque directories
    /// remove what the layers below put there, a path written again replaces what was found at it, then the layer's own
    /// findings are added. A package removed or upgraded in an upper layer is therefore reported as the final image has it.
    /// </summary>
    public static ImageInventory Combine(IEnumerable<LayerInventory> bottomToTop)
    {
        ArgumentNullException.ThrowIfNull(bottomToTop);
        var packages = new Dictionary<string, List<InstalledPackage>>(StringComparer.Ordinal);
        var osFiles = new Dictionary<string, (string Text, string Layer)>(StringComparer.Ordinal);
        foreach (var layer in bottomToTop)
        {
            foreach (var hidden in layer.OpaqueDirectories.Select(d => d.TrimEnd('/') + "/").Concat(layer.Whiteouts).Concat(layer.Paths))
            {
                Remove(packages, hidden);
                Remove(osFiles, hidden);
            }

            foreach (var group in layer.Packages.GroupBy(p => p.Location ?? string.Empty))
            {
                packages[group.Key] = group.Select(p => p with { Layer = layer.Digest }).ToList();
            }

            foreach (var (path, text) in layer.OsFiles)
            {
                osFiles[path] = (text, layer.Digest);
            }
        }

        var os = DetectOperatingSystem(osFiles);
        var all = new List<InstalledPackage>();
        foreach (var (path, (text, layer)) in osFiles.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            IReadOnlyList<InstalledPackage> found =
                path == "/var/lib/dpkg/status" || (path.StartsWith("/var/lib/dpkg/status.d/", StringComparison.Ordinal) && !path.EndsWith(".md5sums", StringComparison.Ordinal))
                    ? OsPackages.ParseDpkgStatus(text, os, path)
                : path == "/lib/apk/db/installed" ? OsPackages.ParseApkInstalled(text, os, path)
                : LayerAnalyzer.RpmDatabasePaths.Contains(path, StringComparer.Ordinal) ? OsPackages.ParseRpmList(text, os, path)
                : [];
            all.AddRange(found.Select(p => p with { Layer = layer }));
        }

        all.AddRange(packages.OrderBy(p => p.Key, StringComparer.Ordinal).SelectMany(p => p.Value));
        return new ImageInventory(os, all);
    }

    private static OperatingSystem? DetectOperatingSystem(Dictionary<string, (string Text, string Layer)> files)
    {
        foreach (var path in OsReleasePaths)
        {
            if (files.TryGetValue(path, out var file) && OperatingSystem.ParseOsRelease(file.Text) is { } os)
            {
                return os;
            }
        }

        return files.TryGetValue("/etc/alpine-release", out var alpine) ? OperatingSystem.ParseAlpineRelease(alpine.Text)
            : files.TryGetValue("/etc/debian_version", out var debian) ? OperatingSystem.ParseDebianVersion(debian.Text)
            : null;
    }

    /// <summary>Removes the entry at <paramref name="path"/>, or under it when it ends with <c>/</c> or names a directory.</summary>
    private static void Remove<T>(Dictionary<string, T> entries, string path)
    {
        if (entries.Count == 0)
        {
            return;
        }

        var prefix = path.EndsWith('/') ? path : path + "/";
        entries.Remove(path.TrimEnd('/'));
        foreach (var key in entries.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList())
        {
            entries.Remove(key);
        }
    }
}
