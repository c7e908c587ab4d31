using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Registry.Inventory.Tests.Support;
using Registry.Vulnerabilities.Inventory;

namespace Registry.Inventory.Tests;

/// <summary>
/// npm lockfiles written by npm itself: a tiny project is installed with this machine's npm from a registry served on
/// loopback by the test (packuments and tarballs made here), giving a real <c>package-lock.json</c> (v3, and v2 whose
/// legacy <c>dependencies</c> section is the v1 format) and a real <c>node_modules</c> tree. The oracle is that tree on
/// disk: every installed package directory (symlinked ones are links, not packages) with the name and version its
/// <c>package.json</c> gives.
/// </summary>
public sealed class NpmTests : IClassFixture<NpmTests.Project>
{
    private readonly Project project;

    public NpmTests(Project project) => this.project = project;

    [FactRequiring("npm")]
    public void A_v3_lockfile_lists_every_installed_package()
    {
        var lockfile = File.ReadAllBytes(Path.Combine(project.V3, "package-lock.json"));
        using (var document = JsonDocument.Parse(lockfile))
        {
            var root = document.RootElement;
            Assert.Equal(3, root.GetProperty("lockfileVersion").GetInt32());
            var keys = root.GetProperty("packages").EnumerateObject().Select(p => p.Name).ToList();
            Assert.Contains("", keys);                                            // the project itself
            Assert.Contains(keys, k => k.Count(c => c == '/') >= 3 && k.Contains("/node_modules/", StringComparison.Ordinal)); // nested
            Assert.Contains(root.GetProperty("packages").EnumerateObject(), p => p.Value.TryGetProperty("link", out var link) && link.GetBoolean());
        }

        var packages = LanguagePackages.ParseNpmPackageLock(lockfile, "/app/package-lock.json");

        AssertSameMultiset(project.Installed(project.V3), packages.Select(p => (p.Name, p.Version)));
        Assert.All(packages, AssertNpmPurl);
    }

    [FactRequiring("npm")]
    public void The_v1_dependencies_section_lists_every_installed_package()
    {
        var lockfile = JsonNode.Parse(File.ReadAllText(Path.Combine(project.V2, "package-lock.json")))!.AsObject();
        Assert.Equal(2, (int)lockfile["lockfileVersion"]!);
        lockfile.Remove("packages"); // what remains is the v1 format npm 6 wrote (npm docs: v2 is "backwards compatible to v1")
        lockfile["lockfileVersion"] = 1;

        var packages = LanguagePackages.ParseNpmPackageLock(Encoding.UTF8.GetBytes(lockfile.ToJsonString()), "/app/package-lock.json");

        AssertSameMultiset(project.Installed(project.V2), packages.Select(p => (p.Name, p.Version)));
        Assert.All(packages, AssertNpmPurl);
    }

    [FactRequiring("npm")]
    public void A_v2_lockfile_is_read_from_its_packages_section()
    {
        var packages = LanguagePackages.ParseNpmPackageLock(File.ReadAllBytes(Path.Combine(project.V2, "package-lock.json")), "/app/package-lock.json");

        AssertSameMultiset(project.Installed(project.V2), packages.Select(p => (p.Name, p.Version)));
    }

    [FactRequiring("npm")]
    public void Every_installed_package_json_is_its_package()
    {
        var files = Directory.EnumerateFiles(Path.Combine(project.V3, "node_modules"), "package.json", SearchOption.AllDirectories).ToList();
        Assert.True(files.Count >= 5);

        foreach (var file in files)
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            var name = document.RootElement.GetProperty("name").GetString()!;
            var version = document.RootElement.GetProperty("version").GetString()!;
            var license = document.RootElement.TryGetProperty("license", out var l) ? l.GetString() : null;

            var package = LanguagePackages.ParseNpmPackageJson(File.ReadAllBytes(file), file);

            Assert.NotNull(package);
            Assert.Equal((name, version, license, file), (package.Name, package.Version, package.License, package.Location));
            AssertNpmPurl(package);
        }
    }

    [Fact]
    public void A_scoped_package_json_has_its_scope_as_namespace()
    {
        var package = LanguagePackages.ParseNpmPackageJson("""{"name":"@scope/name","version":"1.2.3","license":"ISC"}"""u8, "/app/node_modules/@scope/name/package.json");

        Assert.NotNull(package);
        Assert.Equal(("@scope/name", "@scope", "1.2.3", "ISC"), (package.Name, package.Namespace, package.Version, package.License));
        Assert.Equal("pkg:npm/%40scope/name@1.2.3", package.Purl);
    }

    [Theory]
    [InlineData("""{"name":"no-version"}""")]
    [InlineData("""{"version":"1.0.0"}""")]
    [InlineData("""{"name":"x","version":1}""")]
    [InlineData("""[]""")]
    public void A_package_json_without_name_and_version_is_no_package(string json)
    {
        Assert.Null(LanguagePackages.ParseNpmPackageJson(Encoding.UTF8.GetBytes(json), "/app/package.json"));
    }

    [Fact]
    public void A_legacy_license_object_is_no_license_string()
    {
        var package = LanguagePackages.ParseNpmPackageJson("""{"name":"old","version":"0.1.0","license":{"type":"MIT","url":"https://x"}}"""u8, "/p/package.json");

        Assert.NotNull(package);
        Assert.Null(package.License);
        Assert.Equal("pkg:npm/old@0.1.0", package.Purl);
    }

    /// <summary>The v1 shape npm's documentation gives (nested <c>dependencies</c>, <c>requires</c>, <c>dev</c>, <c>bundled</c>).</summary>
    [Fact]
    public void A_hand_written_v1_lockfile_lists_nested_dependencies()
    {
        const string lockfile = """
            {
              "name": "app",
              "version": "1.0.0",
              "lockfileVersion": 1,
              "requires": true,
              "dependencies": {
                "debug": {
                  "version": "2.6.9",
                  "resolved": "https://registry.npmjs.org/debug/-/debug-2.6.9.tgz",
                  "integrity": "sha512-bC7ElrdJaJnPbAP+1EotYvqZsb3ecl5wi6Bfi6BJTUcNowp6cvspg0jXznRTKDjm/E7AdgFBVeAPVMNcKGsHMA==",
                  "requires": { "ms": "2.0.0" },
                  "dependencies": {
                    "ms": { "version": "2.0.0", "resolved": "https://registry.npmjs.org/ms/-/ms-2.0.0.tgz" }
                  }
                },
                "ms": { "version": "2.1.3", "dev": true },
                "@types/node": { "version": "20.11.5", "dev": true },
                "local-thing": { "version": "file:../local-thing" }
              }
            }
            """;

        var packages = LanguagePackages.ParseNpmPackageLock(Encoding.UTF8.GetBytes(lockfile), "/app/package-lock.json");

        Assert.Equal([("@types/node", "20.11.5"), ("debug", "2.6.9"), ("ms", "2.0.0"), ("ms", "2.1.3")], packages.Select(p => (p.Name, p.Version)).Order());
        Assert.Contains(packages, p => p.Purl == "pkg:npm/%40types/node@20.11.5");
    }

    private static void AssertNpmPurl(InstalledPackage package)
    {
        Assert.Equal(PackageTypes.Npm, package.Type);
        var slash = package.Name.IndexOf('/', StringComparison.Ordinal);
        var expected = package.Name.StartsWith('@')
            ? PurlSpec.Build("npm", package.Name[..slash], package.Name[(slash + 1)..], package.Version)
            : PurlSpec.Build("npm", null, package.Name, package.Version);
        Assert.Equal(expected, package.Purl);
    }

    private static void AssertSameMultiset(IEnumerable<(string, string)> expected, IEnumerable<(string, string)> actual)
    {
        var e = expected.Order().ToList();
        var a = actual.Order().ToList();
        Assert.True(e.SequenceEqual(a), $"expected (from node_modules) {string.Join(", ", e)}\nactual {string.Join(", ", a)}");
    }

    /// <summary>The registry, the tarballs and the two installs (lockfile v3 and v2).</summary>
    public sealed class Project : IDisposable
    {
        private readonly HttpListener listener = new();
        private readonly Dictionary<string, byte[]> files = new(StringComparer.Ordinal);
        private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("npm-project-");

        public Project()
        {
            V3 = Path.Combine(root.FullName, "v3");
            V2 = Path.Combine(root.FullName, "v2");
            if (Tool.Find("npm") is null)
            {
                return;
            }

            var port = FreePort();
            var registry = $"http://127.0.0.1:{port}/";
            Publish(registry, "c", [("1.0.0", null), ("2.0.0", null)]);
            Publish(registry, "@acme/util", [("3.1.4", new() { ["c"] = "^1.0.0" })]);
            Publish(registry, "a", [("1.0.0", new() { ["c"] = "^1.0.0", ["@acme/util"] = "^3.0.0" })]);
            listener.Prefixes.Add(registry);
            listener.Start();
            _ = Task.Run(Serve);

            var linked = Directory.CreateDirectory(Path.Combine(root.FullName, "linked"));
            File.WriteAllText(Path.Combine(linked.FullName, "package.json"), """{"name":"linked","version":"0.0.1"}""");
            File.WriteAllText(Path.Combine(root.FullName, "npmrc"), "");
            const string manifest = """
                {
                  "name": "app",
                  "version": "1.0.0",
                  "private": true,
                  "dependencies": {
                    "a": "^1.0.0",
                    "c": "^2.0.0",
                    "@acme/util": "^3.1.0",
                    "foo": "npm:c@1.0.0",
                    "linked": "file:../linked"
                  }
                }
                """;
            foreach (var (directory, lockfileVersion) in new[] { (V3, "3"), (V2, "2") })
            {
                Directory.CreateDirectory(directory);
                File.WriteAllText(Path.Combine(directory, "package.json"), manifest);
                Tool.Run("npm", [
                    "install", "--registry", registry, "--userconfig", Path.Combine(root.FullName, "npmrc"),
                    "--cache", Path.Combine(root.FullName, "cache"), "--lockfile-version", lockfileVersion,
                    "--no-audit", "--no-fund", "--ignore-scripts", "--no-update-notifier", "--loglevel", "error",
                ], workingDirectory: directory);
            }
        }

        public string V3 { get; }

        public string V2 { get; }

        /// <summary>What npm put on disk: every package directory under node_modules, recursively; symlinks (links) are not packages.</summary>
        public List<(string Name, string Version)> Installed(string project)
        {
            var found = new List<(string, string)>();
            void Walk(string directory)
            {
                var modules = Path.Combine(directory, "node_modules");
                if (!Directory.Exists(modules))
                {
                    return;
                }

                foreach (var child in Directory.EnumerateDirectories(modules))
                {
                    var name = Path.GetFileName(child);
                    if (name.StartsWith('.'))
                    {
                        continue;
                    }

                    foreach (var package in name.StartsWith('@') ? Directory.EnumerateDirectories(child) : [child])
                    {
                        if (new DirectoryInfo(package).LinkTarget is not null)
                        {
                            continue;
                        }

                        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(package, "package.json")));
                        found.Add((json.RootElement.GetProperty("name").GetString()!, json.RootElement.GetProperty("version").GetString()!));
                        Walk(package);
                    }
                }
            }

            Walk(project);
            return found;
        }

        public void Dispose()
        {
            if (listener.IsListening)
            {
                listener.Stop();
            }

            listener.Close();
            root.Delete(recursive: true);
        }

        private void Publish(string registry, string name, (string Version, Dictionary<string, string>? Dependencies)[] versions)
        {
            var bare = name.Contains('/', StringComparison.Ordinal) ? name[(name.IndexOf('/', StringComparison.Ordinal) + 1)..] : name;
            var packument = new JsonObject { ["name"] = name, ["dist-tags"] = new JsonObject { ["latest"] = versions[^1].Version } };
            var all = new JsonObject();
            foreach (var (version, dependencies) in versions)
            {
                var manifest = new JsonObject { ["name"] = name, ["version"] = version, ["license"] = "MIT" };
                if (dependencies is not null)
                {
                    manifest["dependencies"] = new JsonObject(dependencies.Select(d => KeyValuePair.Create(d.Key, (JsonNode?)JsonValue.Create(d.Value))));
                }

                var tarball = Tarball(manifest.ToJsonString());
                var path = $"{name}/-/{bare}-{version}.tgz";
                files[path] = tarball;
                var entry = manifest.DeepClone().AsObject();
                entry["dist"] = new JsonObject
                {
                    ["tarball"] = registry + path,
                    ["integrity"] = "sha512-" + Convert.ToBase64String(SHA512.HashData(tarball)),
                };
                all[version] = entry;
            }

            packument["versions"] = all;
            files[name] = Encoding.UTF8.GetBytes(packument.ToJsonString());
        }

        private static byte[] Tarball(string packageJson)
        {
            using var output = new MemoryStream();
            using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            using (var tar = new TarWriter(gzip, TarEntryFormat.Ustar, leaveOpen: true))
            {
                var entry = new UstarTarEntry(TarEntryType.RegularFile, "package/package.json")
                {
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(packageJson)),
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                    ModificationTime = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero),
                };
                tar.WriteEntry(entry);
            }

            return output.ToArray();
        }

        private async Task Serve()
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception) when (!listener.IsListening)
                {
                    return;
                }
                catch (HttpListenerException)
                {
                    return;
                }
                catch (ObjectDisposedException)
                {
                    return;
                }

                var path = Uri.UnescapeDataString(context.Request.RawUrl!.Split('?')[0].TrimStart('/'));
                if (files.TryGetValue(path, out var body))
                {
                    context.Response.StatusCode = 200;
                    context.Response.ContentType = path.EndsWith(".tgz", StringComparison.Ordinal) ? "application/octet-stream" : "application/json";
                    context.Response.ContentLength64 = body.Length;
                    await context.Response.OutputStream.WriteAsync(body);
                }
                else
                {
                    context.Response.StatusCode = 404;
                }

                context.Response.Close();
            }
        }

        private static int FreePort()
        {
            using var socket = new TcpListener(IPAddress.Loopback, 0);
            socket.Start();
            return ((IPEndPoint)socket.LocalEndpoint).Port;
        }
    }
}
