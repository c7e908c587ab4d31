using System.IO.Compression;
using System.Text.Json;

namespace Registry.Scanner.Tests;

/// <summary>
/// The real vulnerability data beside the repository (<c>&lt;repo&gt;/../shared/testdata/vuln</c>, where CI lays
/// <c>shared</c> next to the checkout) and independent oracles over it: which files are OSV records, what an advisory says.
/// </summary>
public static class TestData
{
    /// <summary>npm <c>ws</c>: affected from 8.0.0 below 8.17.1 (and older branches), CVSS v3 base 7.5 (HIGH).</summary>
    public const string WsAdvisory = "GHSA-3h5v-q93c-6h6q";

    /// <summary>NuGet <c>Newtonsoft.Json</c>: affected below 13.0.1, no CVSS vector, GitHub's own rating LOW.</summary>
    public const string NewtonsoftAdvisory = "GHSA-5crp-9r3c-p9vr";

    /// <summary>npm <c>braces</c>: affected below 3.0.3, CVSS v3 (HIGH).</summary>
    public const string BracesAdvisory = "GHSA-grv7-fg5c-xmjg";

    /// <summary>Debian 7 (wheezy) <c>nginx</c> below 1.2.1-2.2+wheezy3: must not apply to any other Debian release.</summary>
    public const string WheezyNginxAdvisory = "DSA-3029-1";

    public static string VulnRoot
    {
        get
        {
            var root = Path.GetFullPath(Path.Combine(RepositoryPaths.Root, "..", "shared", "testdata", "vuln"));
            Assert.True(Directory.Exists(root), $"the vulnerability test data '{root}' is missing (shared/ is laid beside the repository)");
            return root;
        }
    }

    public static string Osv(params string[] parts) => Path.Combine([VulnRoot, "osv", .. parts]);

    /// <summary>Every JSON file under <c>osv/</c>: the GitHub, AlmaLinux, Rocky, Bitnami advisories and osv.dev's test data (some of which are converter inputs, not OSV).</summary>
    public static IReadOnlyList<string> AllOsvFiles() =>
        Directory.GetFiles(Path.Combine(VulnRoot, "osv"), "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();

    /// <summary>
    /// The OSV records a file holds, by the schema's own shape: a JSON object with a string <c>id</c> and a
    /// <c>modified</c> time is one record; an array is a record per element when every element is one; anything else holds none.
    /// </summary>
    public static IReadOnlyList<string> OsvIdsOf(string file) => OsvIdsOf(File.ReadAllBytes(file));

    /// <inheritdoc cref="OsvIdsOf(string)"/>
    public static IReadOnlyList<string> OsvIdsOf(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        static bool IsRecord(JsonElement e) =>
            e.ValueKind == JsonValueKind.Object
            && e.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
            && e.TryGetProperty("modified", out var modified) && modified.ValueKind == JsonValueKind.String;
        return root.ValueKind switch
        {
            JsonValueKind.Object when IsRecord(root) => [root.GetProperty("id").GetString()!],
            JsonValueKind.Array when root.EnumerateArray().All(IsRecord) => root.EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToList(),
            _ => [],
        };
    }

    /// <summary>A zip archive of the files by their paths relative to <c>osv/</c> (as osv.dev lays out its exports: one JSON per record).</summary>
    public static byte[] Zip(IEnumerable<string> files)
    {
        var osv = Path.Combine(VulnRoot, "osv");
        return Zip(files.Select(file => (Path.GetRelativePath(osv, file).Replace('\\', '/'), File.ReadAllBytes(file))));
    }

    /// <summary>A zip archive of the entries given.</summary>
    public static byte[] Zip(IEnumerable<(string Name, byte[] Content)> entries)
    {
        using var output = new MemoryStream();
        using (var archive = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var stream = archive.CreateEntry(name).Open();
                stream.Write(content);
            }
        }

        return output.ToArray();
    }

    /// <summary>The advisory's CVSS v3 vector as the file has it.</summary>
    public static string CvssV3Vector(string advisoryFile)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(advisoryFile));
        return document.RootElement.GetProperty("severity").EnumerateArray()
            .Single(s => s.GetProperty("type").GetString() == "CVSS_V3").GetProperty("score").GetString()!;
    }

    /// <summary>
    /// The packages dpkg itself considers installed in the admin directory that holds <paramref name="statusFile"/>:
    /// <c>dpkg-query --admindir</c> over the very file put in the image.
    /// </summary>
    public static async Task<IReadOnlyList<string>> InstalledDpkgPackagesAsync(string statusFile)
    {
        var admin = Path.Combine(Path.GetTempPath(), "registry-scanner-dpkg-" + Guid.NewGuid().ToString("N")[..10]);
        try
        {
            Directory.CreateDirectory(Path.Combine(admin, "info"));
            Directory.CreateDirectory(Path.Combine(admin, "updates"));
            File.Copy(statusFile, Path.Combine(admin, "status"));
            var query = await Cli.RunCheckedAsync("dpkg-query", ["--admindir", admin, "-W", "-f", "${db:Status-Status} ${Package}\n"]);
            return query.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(line => line.StartsWith("installed ", StringComparison.Ordinal))
                .Select(line => line["installed ".Length..])
                .ToList();
        }
        finally
        {
            TestDirectories.TryDelete(admin);
        }
    }
}
