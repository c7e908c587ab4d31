using System.IO.Compression;
using System.Text;
using Registry.Inventory.Tests.Support;
using Registry.Vulnerabilities.Inventory;

namespace Registry.Inventory.Tests;

/// <summary>
/// Java archives' <c>pom.properties</c> and <c>MANIFEST.MF</c> against Java itself: Oracles/JarOracle.java reads every
/// archive with <c>java.util.Properties.load</c> and <c>java.util.jar.Manifest</c> (main attributes). The jars are this
/// machine's (<c>/usr/share/java</c>, <c>/usr/share/maven-repo</c>) plus a few written here.
/// The manifest rule is the library's documented one: name = Implementation-Title, else Bundle-SymbolicName (without its
/// <c>;directives</c>), else Specification-Title; version = Implementation-Version, else Bundle-Version, else
/// Specification-Version; group = Implementation-Vendor-Id, else the symbolic name up to its last dot.
/// </summary>
public sealed class JavaTests : IClassFixture<JavaTests.Jars>
{
    private readonly Jars jars;

    public JavaTests(Jars jars) => this.jars = jars;

    [FactRequiring("java")]
    public void Every_pom_properties_reads_as_java_properties_reads_it()
    {
        Assert.True(jars.Poms.Count > 1, "no pom.properties found");
        var wrong = new List<string>();
        foreach (var pom in jars.Poms)
        {
            var text = Entry(pom.Jar, pom.Entry);
            var package = LanguagePackages.ParsePomProperties(text, pom.Jar);
            (string?, string, string, string)? expected = pom.GroupId is null || pom.ArtifactId is null || pom.Version is null
                ? null
                : (pom.GroupId, pom.ArtifactId, pom.Version, PurlSpec.Build("maven", pom.GroupId, pom.ArtifactId, pom.Version));
            (string?, string, string, string)? actual = package is null ? null : (package.Namespace, package.Name, package.Version, package.Purl);
            if (expected != actual)
            {
                wrong.Add($"{pom.Jar}!/{pom.Entry}: expected {expected}, got {actual}");
            }
        }

        Assert.True(wrong.Count == 0, $"{wrong.Count} of {jars.Poms.Count} differ:\n{string.Join('\n', wrong.Take(10))}");
    }

    [FactRequiring("java")]
    public void Every_manifest_names_the_archive_as_java_reads_its_main_attributes()
    {
        var machine = jars.Manifests.Where(m => !m.Jar.StartsWith(jars.Scratch, StringComparison.Ordinal)).ToList();
        Assert.True(machine.Count > 0, "no MANIFEST.MF found");
        var wrong = new List<string>();
        foreach (var manifest in machine)
        {
            var package = LanguagePackages.ParseJavaManifest(Entry(manifest.Jar, "META-INF/MANIFEST.MF"), manifest.Jar);
            var expected = manifest.Expected();
            (string?, string, string)? actual = package is null ? null : (package.Namespace, package.Name, package.Version);
            if (expected != actual)
            {
                wrong.Add($"{manifest.Jar}: expected {expected}, got {actual}");
            }
        }

        Assert.True(wrong.Count == 0, $"{wrong.Count} of {machine.Count} differ:\n{string.Join('\n', wrong.Take(10))}");
    }

    public static TheoryData<string> WrittenJars() => new(Jars.Written.Select(w => w.Jar));

    /// <summary>
    /// Manifests written here as jar(1) writes them. The JAR File Specification: "No line may be longer than 72 bytes …
    /// any line that begins with a single SPACE is a continuation of the value of the previous line", and attributes
    /// after a <c>Name:</c> line belong to that entry's section, not to the main section that describes the archive.
    /// </summary>
    [TheoryRequiring("java")]
    [MemberData(nameof(WrittenJars))]
    public void Written_manifests_read_as_java_reads_them(string jar)
    {
        var path = Path.Combine(jars.Scratch, jar);
        var manifest = Assert.Single(jars.Manifests, m => m.Jar == path);

        var package = LanguagePackages.ParseJavaManifest(Entry(path, "META-INF/MANIFEST.MF"), path);

        (string?, string, string)? actual = package is null ? null : (package.Namespace, package.Name, package.Version);
        Assert.Equal(manifest.Expected(), actual);
    }

    [FactRequiring("java")]
    public void A_commented_pom_properties_reads_as_java_reads_it()
    {
        var pom = Assert.Single(jars.Poms, p => p.Jar == Path.Combine(jars.Scratch, "commented-pom.jar"));

        var package = LanguagePackages.ParsePomProperties(Entry(pom.Jar, pom.Entry), pom.Jar);

        Assert.NotNull(package);
        Assert.Equal(("org.example", "commented", "1.4.0"), (pom.GroupId, pom.ArtifactId, pom.Version));
        Assert.Equal((pom.GroupId, pom.ArtifactId, pom.Version), (package.Namespace, package.Name, package.Version));
        Assert.Equal("pkg:maven/org.example/commented@1.4.0", package.Purl);
    }

    /// <summary>The manifest rules spelled out (values as Java reads them, see <see cref="Written_archives_read_as_java_reads_them"/>).</summary>
    [Fact]
    public void Bundle_symbolic_name_directives_are_dropped_and_its_prefix_is_the_group()
    {
        var path = Path.Combine(jars.Scratch, "bundle.jar");
        var package = LanguagePackages.ParseJavaManifest(Entry(path, "META-INF/MANIFEST.MF"), path);

        Assert.NotNull(package);
        Assert.Equal(PackageTypes.Maven, package.Type);
        Assert.Equal(("org.example.tools", "org.example.tools.bundle", "2.4.1.v20230102"), (package.Namespace, package.Name, package.Version));
        Assert.Equal(PurlSpec.Build("maven", "org.example.tools", "org.example.tools.bundle", "2.4.1.v20230102"), package.Purl);
    }

    [Fact]
    public void A_manifest_without_name_or_version_names_nothing()
    {
        Assert.Null(LanguagePackages.ParseJavaManifest("Manifest-Version: 1.0\r\nCreated-By: 17 (Debian)\r\n\r\n", "/app/x.jar"));
        Assert.Null(LanguagePackages.ParseJavaManifest("Manifest-Version: 1.0\r\nImplementation-Title: only-a-title\r\n\r\n", "/app/x.jar"));
        Assert.Null(LanguagePackages.ParsePomProperties("#Generated by Maven\ngroupId=org.example\nversion=1.0\n", "/app/x.jar"));
    }

    private static string Entry(string jar, string name)
    {
        using var zip = ZipFile.OpenRead(jar);
        var entry = zip.GetEntry(name) ?? throw new FileNotFoundException(name, jar);
        using var reader = new StreamReader(entry.Open(), Encoding.UTF8);
        return reader.ReadToEnd();
    }

    public sealed record Pom(string Jar, string Entry, string? GroupId, string? ArtifactId, string? Version);

    public sealed record Manifest(string Jar, string? ImplementationTitle, string? ImplementationVersion, string? ImplementationVendorId,
        string? BundleSymbolicName, string? BundleVersion, string? SpecificationTitle, string? SpecificationVersion)
    {
        public (string? Group, string Name, string Version)? Expected()
        {
            var symbolicName = BundleSymbolicName?.Split(';')[0].Trim();
            var name = ImplementationTitle ?? symbolicName ?? SpecificationTitle;
            var version = ImplementationVersion ?? BundleVersion ?? SpecificationVersion;
            if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(version))
            {
                return null;
            }

            var group = ImplementationVendorId ?? (symbolicName is { } id && id.LastIndexOf('.') > 0 ? id[..id.LastIndexOf('.')] : null);
            return (group, name, version);
        }
    }

    /// <summary>This machine's jars and a few written here, read once by Java.</summary>
    public sealed class Jars : IDisposable
    {
        /// <summary>Manifests as jar(1) writes them: CRLF, lines of at most 72 bytes, longer values continued after a single space.</summary>
        public static readonly (string Jar, string Manifest)[] Written =
        [
            ("implementation.jar", "Manifest-Version: 1.0\r\nImplementation-Title: demo-service\r\nImplementation-Version: 3.2.1\r\nImplementation-Vendor-Id: com.example\r\nCreated-By: Maven JAR Plugin 3.3.0\r\n\r\n"),
            ("bundle.jar", "Manifest-Version: 1.0\r\nBundle-ManifestVersion: 2\r\nBundle-SymbolicName: org.example.tools.bundle;singleton:=true\r\nBundle-Version: 2.4.1.v20230102\r\nBundle-Name: Example Tools\r\n\r\n"),
            ("specification.jar", "Manifest-Version: 1.0\r\nSpecification-Title: Java Servlet API\r\nSpecification-Version: 4.0\r\n\r\n"),
            ("wrapped.jar", "Manifest-Version: 1.0\r\nImplementation-Title: com.example.a-rather-long-artifact-name-that-does-not-f\r\n it-on-one-line\r\nImplementation-Version: 1.0.0-SNAPSHOT-with-an-unusually-long-qualifier-b\r\n uild-20240101\r\nImplementation-Vendor-Id: com.example\r\n\r\n"),
            ("sections.jar", "Manifest-Version: 1.0\r\nSpecification-Title: main\r\nSpecification-Version: 1\r\n\r\nName: org/example/inner/\r\nImplementation-Title: per-entry-title\r\nImplementation-Version: 9.9.9\r\n\r\n"),
        ];

        public Jars()
        {
            Scratch = Directory.CreateTempSubdirectory("jars-").FullName;
            foreach (var (jar, manifest) in Written)
            {
                WriteJar(Path.Combine(Scratch, jar), ("META-INF/MANIFEST.MF", manifest));
            }

            WriteJar(Path.Combine(Scratch, "commented-pom.jar"),
                ("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n"),
                ("META-INF/maven/org.example/commented/pom.properties",
                    "#Generated by Maven\n#Tue Jan 02 10:00:00 UTC 2024\n! another comment style\n\n  groupId = org.example\nartifactId=commented\r\nversion=1.4.0\n"));

            if (Tool.Find("java") is null)
            {
                return;
            }

            var machine = new[] { "/usr/share/java", "/usr/share/maven-repo" }
                .Where(Directory.Exists)
                .SelectMany(d => Directory.EnumerateFiles(d, "*.jar", SearchOption.AllDirectories))
                .Where(f => new FileInfo(f).LinkTarget is null)
                .Order(StringComparer.Ordinal)
                .Take(400);
            var all = machine.Concat(Directory.EnumerateFiles(Scratch, "*.jar")).ToList();
            var output = Tool.Run("java", [TestData.Oracle("JarOracle.java"), .. all]);
            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var f = line.Split('\t').Select(Unescape).ToArray();
                if (f[0] == "M")
                {
                    Manifests.Add(new Manifest(f[1]!, f[2], f[3], f[4], f[5], f[6], f[7], f[8]));
                }
                else
                {
                    Poms.Add(new Pom(f[1]!, f[2]!, f[3], f[4], f[5]));
                }
            }
        }

        public string Scratch { get; }

        public List<Manifest> Manifests { get; } = [];

        public List<Pom> Poms { get; } = [];

        public void Dispose() => Directory.Delete(Scratch, recursive: true);

        /// <summary>Undoes JarOracle's escaping: NUL alone is "absent", <c>\\</c>, <c>\t</c> and <c>\n</c> stand for themselves.</summary>
        private static string? Unescape(string field)
        {
            if (field == "\0")
            {
                return null;
            }

            var text = new StringBuilder(field.Length);
            for (var i = 0; i < field.Length; i++)
            {
                if (field[i] == '\\' && i + 1 < field.Length)
                {
                    i++;
                    text.Append(field[i] switch { 't' => '\t', 'n' => '\n', var c => c });
                }
                else
                {
                    text.Append(field[i]);
                }
            }

            return text.ToString();
        }

        private static void WriteJar(string path, params (string Name, string Text)[] entries)
        {
            using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
            foreach (var (name, text) in entries)
            {
                using var stream = zip.CreateEntry(name).Open();
                stream.Write(Encoding.UTF8.GetBytes(text));
            }
        }
    }
}
