using System.Buffers.Binary;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Registry.Vulnerabilities.Inventory;

/// <summary>One installed RPM as its header records it.</summary>
public sealed record RpmHeader(string Name, int? Epoch, string Version, string Release, string? Architecture, string? SourceRpm, string? License)
{
    /// <summary><c>[epoch:]version-release</c>, the form advisories use (no epoch when it is zero or absent).</summary>
    public string Evr => Epoch is > 0 ? $"{Epoch}:{Version}-{Release}" : $"{Version}-{Release}";

    /// <summary>The source package's name, from <c>name-version-release.src.rpm</c>.</summary>
    public string? SourceName
    {
        get
        {
            if (SourceRpm is not { } rpm)
            {
                return null;
            }

            var stem = rpm.EndsWith(".src.rpm", StringComparison.Ordinal) ? rpm[..^8] : rpm.EndsWith(".nosrc.rpm", StringComparison.Ordinal) ? rpm[..^10] : rpm;
            var release = stem.LastIndexOf('-');
            var version = release > 0 ? stem.LastIndexOf('-', release - 1) : -1;
            return version > 0 ? stem[..version] : stem;
        }
    }
}

/// <summary>
/// RPM's sqlite package database (<c>var/lib/rpm/rpmdb.sqlite</c>, RHEL 9, Alma, Rocky, Fedora): the <c>Packages</c>
/// table holds one header blob per package — an index of (tag, type, offset, count) entries over a data store, all
/// big-endian. Read from a copy on disk (SQLite needs a file), opened read-only.
/// </summary>
public static class RpmDatabase
{
    private const int TagName = 1000;
    private const int TagVersion = 1001;
    private const int TagRelease = 1002;
    private const int TagEpoch = 1003;
    private const int TagLicense = 1014;
    private const int TagArch = 1022;
    private const int TagSourceRpm = 1044;
    private const int TypeInt32 = 4;
    private const int TypeString = 6;
    private const int TypeI18nString = 9;

    public static async Task<IReadOnlyList<RpmHeader>> ReadAsync(Stream database, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        var file = Path.Combine(Path.GetTempPath(), $"rpmdb-{Guid.NewGuid():N}.sqlite");
        try
        {
            await using (var copy = File.Create(file))
            {
                await database.CopyToAsync(copy, cancellationToken);
            }

            var headers = new List<RpmHeader>();
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT blob FROM Packages";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (ParseHeader((byte[])reader[0]) is { } header)
                {
                    headers.Add(header);
                }
            }

            return headers;
        }
        catch (SqliteException ex)
        {
            throw new InvalidDataException($"not an RPM sqlite database: {ex.Message}", ex);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(file);
        }
    }

    /// <summary>A header blob (no lead, no magic): <c>il</c>, <c>dl</c>, <c>il</c> index entries, <c>dl</c> bytes of data; null when malformed.</summary>
    public static RpmHeader? ParseHeader(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < 8)
        {
            return null;
        }

        var count = BinaryPrimitives.ReadInt32BigEndian(blob);
        var dataLength = BinaryPrimitives.ReadInt32BigEndian(blob[4..]);
        var dataStart = 8 + (16L * count);
        if (count < 0 || dataLength < 0 || dataStart + dataLength > blob.Length)
        {
            return null;
        }

        var data = blob.Slice((int)dataStart, dataLength);
        string? name = null, version = null, release = null, arch = null, source = null, license = null;
        int? epoch = null;
        for (var i = 0; i < count; i++)
        {
            var entry = blob.Slice(8 + (16 * i), 16);
            var tag = BinaryPrimitives.ReadInt32BigEndian(entry);
            var type = BinaryPrimitives.ReadInt32BigEndian(entry[4..]);
            var offset = BinaryPrimitives.ReadInt32BigEndian(entry[8..]);
            if (offset < 0 || offset >= data.Length)
            {
                continue;
            }

            switch (tag)
            {
                case TagName: name = String(data, offset, type); break;
                case TagVersion: version = String(data, offset, type); break;
                case TagRelease: release = String(data, offset, type); break;
                case TagArch: arch = String(data, offset, type); break;
                case TagSourceRpm: source = String(data, offset, type); break;
                case TagLicense: license = String(data, offset, type); break;
                case TagEpoch when type == TypeInt32 && offset + 4 <= data.Length: epoch = BinaryPrimitives.ReadInt32BigEndian(data[offset..]); break;
            }
        }

        return name is null || version is null || release is null ? null : new RpmHeader(name, epoch, version, release, arch, source, license);
    }

    /// <summary>The headers as tab-separated lines (how a layer keeps them until the image's distribution is known).</summary>
    public static string ToText(IEnumerable<RpmHeader> headers) =>
        string.Join('\n', headers.Select(h => string.Join('\t', h.Name, h.Epoch?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "", h.Version, h.Release, h.Architecture ?? "", h.SourceRpm ?? "", (h.License ?? "").Replace('\t', ' ').Replace('\n', ' '))));

    public static IEnumerable<RpmHeader> FromText(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\t')).Where(f => f.Length >= 7).Select(f => new RpmHeader(
            f[0],
            int.TryParse(f[1], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var epoch) ? epoch : null,
            f[2],
            f[3],
            f[4].Length > 0 ? f[4] : null,
            f[5].Length > 0 ? f[5] : null,
            f[6].Length > 0 ? f[6] : null));

    private static string? String(ReadOnlySpan<byte> data, int offset, int type)
    {
        if (type is not (TypeString or TypeI18nString or 8))
        {
            return null;
        }

        var end = data[offset..].IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? data[offset..] : data.Slice(offset, end));
    }
}
