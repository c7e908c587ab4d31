using System.IO.Compression;
using System.Text;

namespace Registry.Vulnerabilities.Inventory;

/// <summary>
/// Java archives (jar, war, ear): every <c>META-INF/maven/…/pom.properties</c> is a package; without any, the archive's
/// <c>META-INF/MANIFEST.MF</c> names it. Archives nested one level deep (Spring Boot's <c>BOOT-INF/lib/*.jar</c>,
/// <c>WEB-INF/lib/*.jar</c>) are read too, with locations <c>outer.jar!/inner.jar</c>.
/// </summary>
internal static class JavaArchives
{
    private const long MaxNestedBytes = 64 * 1024 * 1024;

    public static IReadOnlyList<InstalledPackage> Read(Stream archive, string location, bool nested = false)
    {
        var packages = new List<InstalledPackage>();
        using var zip = new ZipArchive(archive, ZipArchiveMode.Read, leaveOpen: true);
        string? manifest = null;
        foreach (var entry in zip.Entries)
        {
            var name = entry.FullName;
            if (name.StartsWith("META-INF/maven/", StringComparison.Ordinal) && name.EndsWith("/pom.properties", StringComparison.Ordinal))
            {
                if (LanguagePackages.ParsePomProperties(Text(entry), location) is { } package)
                {
                    packages.Add(package);
                }
            }
            else if (name == "META-INF/MANIFEST.MF")
            {
                manifest = Text(entry);
            }
            else if (!nested && name.EndsWith(".jar", StringComparison.Ordinal) && entry.Length <= MaxNestedBytes)
            {
                using var inner = new MemoryStream();
                using (var stream = entry.Open())
                {
                    stream.CopyTo(inner);
                }

                inner.Position = 0;
                try
                {
                    packages.AddRange(Read(inner, $"{location}!/{name}", nested: true));
                }
                catch (InvalidDataException)
                {
                    // not a zip after all
                }
            }
        }

        var own = packages.Count(p => p.Location == location);
        if (own == 0 && manifest is not null && LanguagePackages.ParseJavaManifest(manifest, location) is { } described)
        {
            packages.Add(described);
        }

        return packages;
    }

    private static string Text(ZipArchiveEntry entry)
    {
        using var reader = new StreamReader(entry.Open(), Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
