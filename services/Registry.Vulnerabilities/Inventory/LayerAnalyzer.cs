using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Registry.Vulnerabilities.Inventory;

/// <summary>
/// Reads one layer blob as it streams (gzip, zstd or plain tar, told apart by their magic bytes) and records what
/// <see cref="LayerInventory"/> holds. Package files are parsed as they pass; nothing but those small files is kept.
/// </summary>
public static class LayerAnalyzer
{
    private const int MaxTextFileBytes = 64 * 1024 * 1024;
    private const int MaxArchiveBytes = 256 * 1024 * 1024;
    private const int MinExecutableBytes = 1024;

    /// <summary>RPM's sqlite database: RHEL/Alma/Rocky 9 and Fedora (<c>/var/lib/rpm</c>), newer Fedora and openSUSE (<c>/usr/lib/sysimage/rpm</c>).</summary>
    internal static readonly string[] RpmDatabasePaths = ["/var/lib/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/rpmdb.sqlite"];

    private static readonly string[] OsFilePaths =
        ["/etc/os-release", "/usr/lib/os-release", "/etc/alpine-release", "/etc/debian_version", "/var/lib/dpkg/status", "/lib/apk/db/installed"];

    /// <summary>
    /// The layer's inventory. A blob that is no archive at all (an artifact layer, a truncated or corrupt tarball) is not an
    /// error of the scan: it yields an inventory marked <see cref="LayerInventory.Unreadable"/> that names the reason.
    /// </summary>
    public static async Task<LayerInventory> AnalyzeAsync(Stream blob, string digest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blob);
        try
        {
            return await ReadArchiveAsync(blob, digest, cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException or ZstdSharp.ZstdException)
        {
            return new LayerInventory { Digest = digest, Unreadable = ex.Message };
        }
    }

    private static async Task<LayerInventory> ReadArchiveAsync(Stream blob, string digest, CancellationToken cancellationToken)
    {
        await using var tar = await DecompressAsync(blob, cancellationToken);
        using var reader = new TarReader(tar, leaveOpen: true);
        var packages = new List<InstalledPackage>();
        var osFiles = new Dictionary<string, string>(StringComparer.Ordinal);
        var paths = new List<string>();
        var whiteouts = new List<string>();
        var opaque = new List<string>();
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            var path = Normalize(entry.Name);
            if (path.Length <= 1)
            {
                continue;
            }

            var slash = path.LastIndexOf('/');
            var directory = path[..slash];
            var name = path[(slash + 1)..];
            if (name == ".wh..wh..opq")
            {
                opaque.Add(directory.Length == 0 ? "/" : directory);
                continue;
            }

            if (name.StartsWith(".wh.", StringComparison.Ordinal))
            {
                whiteouts.Add($"{directory}/{name[4..]}");
                continue;
            }

            if (entry.EntryType == TarEntryType.Directory)
            {
                continue;
            }

            paths.Add(path);
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile) || entry.DataStream is not { } data)
            {
                continue;
            }

            if (RpmDatabasePaths.Contains(path, StringComparer.Ordinal))
            {
                try
                {
                    osFiles[path] = RpmDatabase.ToText(await RpmDatabase.ReadAsync(data, cancellationToken));
                }
                catch (InvalidDataException)
                {
                    // an older (Berkeley DB / ndb) or damaged database: not read
                }

                continue;
            }

            if (IsOsFile(path))
            {
                if (entry.Length <= MaxTextFileBytes)
                {
                    osFiles[path] = await ReadTextAsync(data, cancellationToken);
                }

                continue;
            }

            packages.AddRange(await LanguagePackagesOfAsync(path, entry, data, cancellationToken));
        }

        return new LayerInventory { Digest = digest, Packages = packages, OsFiles = osFiles, Paths = paths, Whiteouts = whiteouts, OpaqueDirectories = opaque };
    }

    private static async Task<IReadOnlyList<InstalledPackage>> LanguagePackagesOfAsync(string path, TarEntry entry, Stream data, CancellationToken cancellationToken)
    {
        var name = path[(path.LastIndexOf('/') + 1)..];
        try
        {
            if (name.EndsWith(".deps.json", StringComparison.Ordinal) && entry.Length <= MaxTextFileBytes)
            {
                return LanguagePackages.ParseDepsJson(await ReadBytesAsync(data, cancellationToken), path);
            }

            if (name == "package.json" && IsNodeModulesPackageRoot(path) && entry.Length <= MaxTextFileBytes)
            {
                return LanguagePackages.ParseNpmPackageJson(await ReadBytesAsync(data, cancellationToken), path) is { } package ? [package] : [];
            }

            if (name == "package-lock.json" && !path.Contains("/node_modules/", StringComparison.Ordinal) && entry.Length <= MaxTextFileBytes)
            {
                return LanguagePackages.ParseNpmPackageLock(await ReadBytesAsync(data, cancellationToken), path);
            }

            if (((name == "METADATA" && path.EndsWith(".dist-info/METADATA", StringComparison.Ordinal))
                 || (name == "PKG-INFO" && path.EndsWith(".egg-info/PKG-INFO", StringComparison.Ordinal))
                 || name.EndsWith(".egg-info", StringComparison.Ordinal))
                && entry.Length <= MaxTextFileBytes)
            {
                return LanguagePackages.ParsePythonMetadata(await ReadTextAsync(data, cancellationToken), path) is { } package ? [package] : [];
            }

            if ((name.EndsWith(".jar", StringComparison.Ordinal) || name.EndsWith(".war", StringComparison.Ordinal) || name.EndsWith(".ear", StringComparison.Ordinal))
                && entry.Length <= MaxArchiveBytes)
            {
                using var archive = new MemoryStream(await ReadBytesAsync(data, cancellationToken));
                return JavaArchives.Read(archive, path);
            }

            if (IsExecutable(entry) && entry.Length >= MinExecutableBytes && await IsElfAsync(data, cancellationToken) is { } elf)
            {
                return await GoBuildInfo.ReadAsync(elf, path, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidDataException or DecoderFallbackException)
        {
            // A damaged or unusual file is not a package: the rest of the layer still counts.
        }

        return [];
    }

    private static bool IsOsFile(string path) =>
        OsFilePaths.Contains(path, StringComparer.Ordinal)
        || (path.StartsWith("/var/lib/dpkg/status.d/", StringComparison.Ordinal) && path.IndexOf('/', "/var/lib/dpkg/status.d/".Length) < 0);

    /// <summary><c>…/node_modules/name/package.json</c> or <c>…/node_modules/@scope/name/package.json</c>: an installed package's own manifest.</summary>
    private static bool IsNodeModulesPackageRoot(string path)
    {
        var parts = path.Split('/');
        var n = parts.Length;
        return (n >= 3 && parts[n - 3] == "node_modules" && !parts[n - 2].StartsWith('@'))
            || (n >= 4 && parts[n - 4] == "node_modules" && parts[n - 3].StartsWith('@'));
    }

    private static bool IsExecutable(TarEntry entry) =>
        (entry.Mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    /// <summary>The stream again from its start when it begins with the ELF magic; null otherwise.</summary>
    private static async Task<Stream?> IsElfAsync(Stream data, CancellationToken cancellationToken)
    {
        var magic = new byte[4];
        var read = await data.ReadAtLeastAsync(magic, 4, throwOnEndOfStream: false, cancellationToken);
        return read == 4 && magic is [0x7f, (byte)'E', (byte)'L', (byte)'F'] ? new PrefixedStream(magic, data) : null;
    }

    /// <summary>Layer media types say <c>+gzip</c> or <c>+zstd</c>, but docker's and OCI's both exist with either: the bytes decide.</summary>
    private static async Task<Stream> DecompressAsync(Stream blob, CancellationToken cancellationToken)
    {
        var head = new byte[4];
        var read = await blob.ReadAtLeastAsync(head, 4, throwOnEndOfStream: false, cancellationToken);
        var whole = new PrefixedStream(head.AsMemory(0, read).ToArray(), blob);
        return head switch
        {
            [0x1f, 0x8b, ..] when read >= 2 => new GZipStream(whole, CompressionMode.Decompress),
            [0x28, 0xb5, 0x2f, 0xfd] when read == 4 => new ZstdSharp.DecompressionStream(whole),
            _ => whole,
        };
    }

    private static string Normalize(string name)
    {
        var path = name.Replace('\\', '/');
        while (path.StartsWith("./", StringComparison.Ordinal))
        {
            path = path[2..];
        }

        return "/" + path.Trim('/');
    }

    private static async Task<byte[]> ReadBytesAsync(Stream data, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await data.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    private static async Task<string> ReadTextAsync(Stream data, CancellationToken cancellationToken) =>
        Encoding.UTF8.GetString(await ReadBytesAsync(data, cancellationToken));
}
