using System.Text.Json;

namespace Registry.Vulnerabilities.Tests.Support;

/// <summary>The shared, published test data beside the repository (<c>../shared/testdata/vuln</c>) and this project's vectors.</summary>
internal static class TestData
{
    private static readonly Lazy<string> RootValue = new(FindRoot);

    /// <summary><c>…/shared/testdata/vuln</c>.</summary>
    public static string Root => RootValue.Value;

    public static string Osv => Path.Combine(Root, "osv");

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>A file of this project's <c>Vectors/</c> folder (copied next to the test assembly).</summary>
    public static string Vector(string name) => Path.Combine(AppContext.BaseDirectory, "Vectors", name);

    /// <summary>Every JSON file under <c>osv/</c>, as (path relative to <c>osv/</c>, full path).</summary>
    public static IReadOnlyList<(string Relative, string Full)> OsvFiles() =>
        [.. Directory.EnumerateFiles(Osv, "*.json", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(full => (Path.GetRelativePath(Osv, full), full))];

    /// <summary>The raw JSON of a file (the independent view the parser's results are checked against).</summary>
    public static JsonElement Json(string fullPath)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(fullPath));
        return document.RootElement.Clone();
    }

    private static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Registry.sln")))
                {
                    var candidate = Path.GetFullPath(Path.Combine(directory.FullName, "..", "shared", "testdata", "vuln"));
                    if (Directory.Exists(candidate))
                    {
                        return candidate;
                    }
                }
            }
        }

        throw new DirectoryNotFoundException("../shared/testdata/vuln beside the repository (the directory holding Registry.sln)");
    }
}
