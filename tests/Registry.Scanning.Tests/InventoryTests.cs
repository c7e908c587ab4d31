using System.Text;
using Registry.Vulnerabilities.Inventory;

namespace Registry.Scanning.Tests;

/// <summary>Package detection and layer combination against this machine's real package databases and tools.</summary>
public sealed class InventoryTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("registry-inventory-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public void Dpkg_packages_and_their_source_packages_are_what_dpkg_query_reports()
    {
        var expected = Oracle.Run("dpkg-query", "-W -f=${db:Status-Abbrev}\\t${Package}\\t${Version}\\t${source:Package}\\t${source:Version}\\n")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .Where(f => f[0].StartsWith("ii", StringComparison.Ordinal))
            .Select(f => $"{f[1]} {f[2]} {f[3]} {f[4]}")
            .Order(StringComparer.Ordinal)
            .ToList();

        var os = Registry.Vulnerabilities.Inventory.OperatingSystem.ParseOsRelease(File.ReadAllText("/etc/os-release"))!;
        var found = OsPackages.ParseDpkgStatus(File.ReadAllText("/var/lib/dpkg/status"), os, "/var/lib/dpkg/status");

        Assert.Equal(expected, found.Select(p => $"{p.Name} {p.Version} {p.SourceName} {p.SourceVersion}").Order(StringComparer.Ordinal));
        Assert.All(found, p => Assert.StartsWith($"pkg:deb/{os.Id}/", p.Purl, StringComparison.Ordinal));
        Assert.Contains($"distro={os.Id}-{os.VersionId}", found[0].Purl, StringComparison.Ordinal);
    }

    [Fact]
    public void A_distroless_status_d_stanza_without_a_status_line_is_an_installed_package()
    {
        var text = File.ReadAllText(Oracle.VulnData("inputs", "dpkg-distroless", "libsqlite3-0"));
        var package = Assert.Single(OsPackages.ParseDpkgStatus(text, null, "/var/lib/dpkg/status.d/libsqlite3-0"));
        Assert.Equal("libsqlite3-0", package.Name);
        Assert.Equal(Field(text, "Version"), package.Version);
    }

    [Fact]
    public void Apk_installed_records_are_every_package_with_its_origin()
    {
        var text = File.ReadAllText(Oracle.VulnData("inputs", "apk", "installed"));
        var expected = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(record => record.Split('\n').Where(line => line.Length > 1 && line[1] == ':').GroupBy(line => line[..1], StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First()[2..], StringComparer.Ordinal))
            .Where(record => record.ContainsKey("P"))
            .Select(record => $"{record["P"]} {record["V"]} {record.GetValueOrDefault("o") ?? record["P"]}")
            .Order(StringComparer.Ordinal)
            .ToList();

        var found = OsPackages.ParseApkInstalled(text, null, "/lib/apk/db/installed");
        Assert.NotEmpty(expected);
        Assert.Equal(expected, found.Select(p => $"{p.Name} {p.Version} {p.SourceName}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Rpm_sqlite_databases_list_what_rpm_itself_lists()
    {
        Assert.True(File.Exists("/usr/bin/rpmbuild"), "eng/setup.sh installs rpm");
        var top = Path.Combine(_work, "rpmbuild");
        var database = Path.Combine(_work, "rpmdb");
        Directory.CreateDirectory(Path.Combine(top, "SPECS"));
        Directory.CreateDirectory(database);
        var packages = new[] { ("python3-requests", "0", "2.20.0", "2.el8"), ("openssl-libs", "1", "1.1.1k", "7.el8_6") };
        foreach (var (name, epoch, version, release) in packages)
        {
            var spec = Path.Combine(top, "SPECS", $"{name}.spec");
            await File.WriteAllTextAsync(spec, $"Name: {name}\nEpoch: {epoch}\nVersion: {version}\nRelease: {release}\nSummary: test\nLicense: MIT\nBuildArch: noarch\n%description\ntest\n%files\n");
            Oracle.Run("rpmbuild", $"--define \"_topdir {top}\" --quiet -bb {spec}");
        }

        Oracle.Run("rpm", $"--dbpath {database} --initdb");
        Oracle.Run("bash", $"-c \"rpm --dbpath {database} -i --justdb --nodeps {top}/RPMS/noarch/*.rpm 2>/dev/null\"");
        var expected = Oracle.Run("rpm", $"--dbpath {database} -qa --qf %{{NAME}}\\t%{{EPOCHNUM}}\\t%{{VERSION}}\\t%{{RELEASE}}\\t%{{SOURCERPM}}\\n")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();

        await using var file = File.OpenRead(Path.Combine(database, "rpmdb.sqlite"));
        var headers = await RpmDatabase.ReadAsync(file);
        Assert.Equal(expected, headers.Select(h => $"{h.Name}\t{h.Epoch ?? 0}\t{h.Version}\t{h.Release}\t{h.SourceRpm}").Order(StringComparer.Ordinal));
        Assert.Equal("1:1.1.1k-7.el8_6", headers.Single(h => h.Name == "openssl-libs").Evr);
        Assert.Equal("openssl-libs", headers.Single(h => h.Name == "openssl-libs").SourceName);
    }

    [Fact]
    public async Task A_Go_binary_yields_the_toolchain_its_strings_name_and_its_modules()
    {
        var binary = new[] { "/usr/bin/skopeo", "/usr/sbin/runc", "/usr/bin/containerd", "/usr/bin/podman" }.First(File.Exists);
        var strings = Oracle.Run("bash", $"-c \"strings -a {binary} | grep -m1 -oE '^go1\\.[0-9]+(\\.[0-9]+)?' || true\"").Trim();
        var modules = Oracle.Run("bash", $"-c \"strings -a {binary} | grep -cE '^(mod|dep)\\s' || true\"").Trim();

        await using var stream = new TrickleStream(File.OpenRead(binary), 7);
        var found = await GoBuildInfo.ReadAsync(stream, binary);

        if (strings.Length > 0)
        {
            Assert.Contains(found, p => p.Name == "stdlib" && p.Version == "v" + strings[2..]);
        }

        Assert.Equal(int.Parse(modules, System.Globalization.CultureInfo.InvariantCulture), found.Count(p => p.Name != "stdlib"));
        await using var notGo = File.OpenRead("/bin/ls");
        Assert.Empty(await GoBuildInfo.ReadAsync(notGo, "/bin/ls"));
    }

    [Fact]
    public async Task Layers_combine_bottom_to_top_with_whiteouts_opaque_directories_and_upgrades_in_gzip_and_zstd()
    {
        var os = await File.ReadAllTextAsync("/etc/os-release");
        var bottom = await LayerAsync("bottom", "-czf", ("etc/os-release", os),
            ("app/node_modules/ws/package.json", """{"name":"ws","version":"8.17.0"}"""),
            ("app/node_modules/left-pad/package.json", """{"name":"left-pad","version":"1.0.0"}"""),
            ("opt/old/node_modules/lodash/package.json", """{"name":"lodash","version":"4.17.0"}"""),
            ("srv/site-packages/Requests-2.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: Requests\nVersion: 2.0.0\n\nbody"));
        var top = await LayerAsync("top", "--zstd -cf", ("app/node_modules/ws/package.json", """{"name":"ws","version":"8.17.1"}"""),
            ("app/node_modules/.wh.left-pad", ""), ("opt/old/.wh..wh..opq", ""));

        var image = ImageInventory.Combine([bottom, top]);

        Assert.Equal(["npm ws 8.17.1", "pypi requests 2.0.0"], image.Packages.Select(p => $"{p.Type} {p.Name} {p.Version}").Order(StringComparer.Ordinal));
        Assert.Equal("sha256:top", image.Packages.Single(p => p.Name == "ws").Layer);
        Assert.Equal(Registry.Vulnerabilities.Inventory.OperatingSystem.ParseOsRelease(os)!.OsvEcosystem, image.OperatingSystem?.OsvEcosystem);
    }

    private async Task<LayerInventory> LayerAsync(string name, string tarFlags, params (string Path, string Content)[] files)
    {
        var root = Path.Combine(_work, name);
        foreach (var (path, content) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, path))!);
            await File.WriteAllTextAsync(Path.Combine(root, path), content);
        }

        var archive = Path.Combine(_work, $"{name}.tar");
        Oracle.Run("tar", $"-C {root} {tarFlags} {archive} .");
        await using var stream = File.OpenRead(archive);
        return await LayerAnalyzer.AnalyzeAsync(stream, $"sha256:{name}");
    }

    private static string Field(string stanza, string name) =>
        stanza.Split('\n').First(line => line.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim();

    /// <summary>Hands out a few bytes per read, as a slow network would.</summary>
    private sealed class TrickleStream(Stream inner, int size) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, size));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(buffer[..Math.Min(buffer.Length, size)], cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
