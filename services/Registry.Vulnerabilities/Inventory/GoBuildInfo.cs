using System.Text;

namespace Registry.Vulnerabilities.Inventory;

/// <summary>
/// The module list Go (1.18 and later) embeds in every binary it builds: after the 16-byte-aligned magic
/// <c>"\xff Go buildinf:"</c>, a 32-byte header whose flags say the strings follow inline (varint length, bytes):
/// the toolchain version, then the module info (<c>path</c>, <c>mod</c>, <c>dep</c> and <c>=&gt;</c> replacement lines).
/// Found by scanning the file in chunks, never holding the whole binary. Older binaries (pointer-based header) yield nothing.
/// </summary>
public static class GoBuildInfo
{
    private const int HeaderSize = 32;
    private const int ChunkSize = 1 << 20;
    private const int MaxInfoBytes = 1 << 20;
    private static readonly byte[] Magic = [0xff, .. " Go buildinf:"u8];

    /// <summary>The modules (main and dependencies) and the standard library (<c>stdlib</c> at the toolchain's version); empty for a file that is not a Go binary.</summary>
    public static async Task<IReadOnlyList<InstalledPackage>> ReadAsync(Stream binary, string location, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(binary);
        var buffer = new byte[ChunkSize + MaxInfoBytes];
        var filled = 0;
        var ended = false;
        while (true)
        {
            while (!ended && filled < buffer.Length)
            {
                var read = await binary.ReadAsync(buffer.AsMemory(filled), cancellationToken);
                ended = read == 0;
                filled += read;
            }

            var at = buffer.AsSpan(0, filled).IndexOf(Magic);
            if (at >= 0)
            {
                if (at > 0 && !ended)
                {
                    // Move the find to the front so the whole header and strings fit, then parse.
                    Buffer.BlockCopy(buffer, at, buffer, 0, filled - at);
                    filled -= at;
                    at = 0;
                    continue;
                }

                return Parse(buffer.AsSpan(at, filled - at), location);
            }

            if (ended)
            {
                return [];
            }

            var keep = Magic.Length - 1;
            Buffer.BlockCopy(buffer, filled - keep, buffer, 0, keep);
            filled = keep;
        }
    }

    internal static IReadOnlyList<InstalledPackage> Parse(ReadOnlySpan<byte> data, string location)
    {
        if (data.Length < HeaderSize || (data[15] & 0x2) == 0)
        {
            return []; // before Go 1.18: pointers into the binary's data, not inline strings
        }

        var rest = data[HeaderSize..];
        if (!TryReadString(ref rest, out var goVersion) || !TryReadString(ref rest, out var modInfo))
        {
            return [];
        }

        // Go 1.18+ wraps the module info in 16-byte sentinels.
        if (modInfo.Length >= 33 && modInfo[^17] == '\n')
        {
            modInfo = modInfo[16..^16];
        }

        var packages = new List<InstalledPackage>();
        foreach (var line in modInfo.Split('\n'))
        {
            var fields = line.Split('\t');
            switch (fields[0])
            {
                case "mod" or "dep" when fields.Length >= 3 && fields[2] != "(devel)":
                    packages.Add(Module(fields[1], fields[2], location));
                    break;
                case "=>" when fields.Length >= 3 && packages.Count > 0:
                    // The line before is replaced: what is built is the replacement.
                    packages[^1] = Module(fields[1], fields[2], location);
                    break;
            }
        }

        if (goVersion.StartsWith("go", StringComparison.Ordinal))
        {
            var version = "v" + goVersion[2..].Split(' ')[0];
            packages.Add(LanguagePackages.Package(PackageTypes.Golang, null, "stdlib", version, location));
        }

        return packages;
    }

    private static InstalledPackage Module(string path, string version, string location)
    {
        var slash = path.LastIndexOf('/');
        return LanguagePackages.Package(PackageTypes.Golang, slash > 0 ? path[..slash] : null, slash > 0 ? path[(slash + 1)..] : path, version, location) with { Name = path };
    }

    private static bool TryReadString(ref ReadOnlySpan<byte> data, out string value)
    {
        value = string.Empty;
        ulong length = 0;
        var shift = 0;
        var index = 0;
        while (true)
        {
            if (index >= data.Length || shift > 63)
            {
                return false;
            }

            var b = data[index++];
            length |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                break;
            }

            shift += 7;
        }

        if (length > (ulong)(data.Length - index))
        {
            return false;
        }

        value = Encoding.UTF8.GetString(data.Slice(index, (int)length));
        data = data[(index + (int)length)..];
        return true;
    }
}
