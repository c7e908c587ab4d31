using System.Text.RegularExpressions;
using Registry.Inventory.Tests.Support;
using Registry.Vulnerabilities.Inventory;
using OperatingSystem = Registry.Vulnerabilities.Inventory.OperatingSystem;

namespace Registry.Inventory.Tests;

/// <summary>
/// dpkg's status database against dpkg itself: <c>dpkg-query --admindir</c> reads the same file and reports, per package,
/// the version, the source package and version (<c>${source:Package}</c>, <c>${source:Version}</c>) and the current
/// state (<c>${db:Status-Status}</c>). Installed means that state is <c>installed</c> — the second letter of
/// <c>${db:Status-Abbrev}</c> is <c>i</c> (<c>ii</c>, but also held <c>hi</c> and marked-for-removal <c>ri</c>, whose files are
/// all on disk), never <c>rc</c> (config files only), <c>iU</c>, <c>iH</c>, …
/// </summary>
public sealed class DpkgTests
{
    private const string Format = "${Package}\t${Version}\t${source:Package}\t${source:Version}\t${Architecture}\t${db:Status-Status}\t${db:Status-Abbrev}\n";

    private static readonly OperatingSystem Debian12 = new("debian", "12", "Debian GNU/Linux 12 (bookworm)");

    [FactRequiring("dpkg-query")]
    public void This_machines_status_file_gives_what_dpkg_query_lists_as_installed()
    {
        if (!File.Exists("/var/lib/dpkg/status"))
        {
            return; // not a dpkg-based machine
        }

        var expected = DpkgQuery(null).Where(p => p.Installed).Select(p => p.Key).ToList();
        Assert.True(expected.Count > 100, $"dpkg-query listed {expected.Count} installed packages");

        var packages = OsPackages.ParseDpkgStatus(File.ReadAllText("/var/lib/dpkg/status"), Debian12, "/var/lib/dpkg/status");

        AssertSameMultiset(expected, packages.Select(Key));
        Assert.All(packages, p =>
        {
            Assert.Equal(PackageTypes.Deb, p.Type);
            Assert.Equal("/var/lib/dpkg/status", p.Location);
        });
    }

    /// <summary>The machine's brief form (<c>${db:Status-Abbrev}</c> = <c>ii</c>) agrees when every package is fully installed.</summary>
    [FactRequiring("dpkg-query")]
    public void This_machines_ii_packages_are_all_inventoried()
    {
        if (!File.Exists("/var/lib/dpkg/status"))
        {
            return;
        }

        var ii = DpkgQuery(null).Where(p => p.Abbrev.StartsWith("ii", StringComparison.Ordinal)).Select(p => p.Key).ToHashSet();
        var packages = OsPackages.ParseDpkgStatus(File.ReadAllText("/var/lib/dpkg/status"), Debian12, "/var/lib/dpkg/status").Select(Key).ToHashSet();

        Assert.Subset(packages, ii);
    }

    /// <summary>
    /// Every package of this machine gets the purl purl-spec defines for it (docs/standard/characters-and-encoding.md:
    /// the colon MUST NOT be percent-encoded, '+' and '~'… as the allowed set says; qualifiers sorted by key):
    /// <c>pkg:deb/debian/&lt;name&gt;@&lt;version&gt;?arch=…&amp;distro=debian-12</c>.
    /// </summary>
    [FactRequiring("dpkg-query")]
    public void This_machines_packages_get_canonical_purls()
    {
        if (!File.Exists("/var/lib/dpkg/status"))
        {
            return;
        }

        var os = OperatingSystem.ParseOsRelease(File.ReadAllText("/etc/os-release"))!;
        var packages = OsPackages.ParseDpkgStatus(File.ReadAllText("/var/lib/dpkg/status"), os, "/var/lib/dpkg/status");

        var wrong = new List<string>();
        foreach (var package in packages)
        {
            var (head, qualifiers) = PurlSpec.Split(package.Purl);
            var keys = qualifiers.Select(q => q.Key).ToList();
            var values = qualifiers.ToDictionary(q => q.Key, q => q.Value);
            var ok = head == PurlSpec.Build("deb", os.Id, package.Name, package.Version)
                && keys.SequenceEqual(keys.Order(StringComparer.Ordinal))
                && values.GetValueOrDefault("arch") == package.Architecture
                && values.GetValueOrDefault("distro") == $"{os.Id}-{os.VersionId}"
                && (!values.TryGetValue("upstream", out var upstream) || upstream == package.SourceName);
            if (!ok)
            {
                wrong.Add($"{package.Name} {package.Version}: {package.Purl} (expected {PurlSpec.Build("deb", os.Id, package.Name, package.Version)}?…)");
            }
        }

        Assert.True(wrong.Count == 0, $"{wrong.Count} of {packages.Count} purls differ from purl-spec, e.g.\n{string.Join('\n', wrong.Take(5))}");
    }

    /// <summary>Stanzas in every state dpkg records, multi-arch duplicates, continuation lines, Source with and without version.</summary>
    [FactRequiring("dpkg-query")]
    public void A_status_file_with_every_state_gives_what_dpkg_query_lists_as_installed()
    {
        const string status = """
            Package: held
            Status: hold ok installed
            Priority: optional
            Version: 1.0-1
            Architecture: amd64
            Maintainer: Someone <someone@example.org>
            Source: heldsrc (1.0-0.1)
            Description: a held package
             with a long description
             .
             Package: not-a-field

            Package: removed
            Status: deinstall ok config-files
            Version: 2.0
            Architecture: amd64
            Maintainer: Someone <someone@example.org>
            Description: only its configuration is left

            Package: half
            Status: install ok half-installed
            Version: 3.0
            Architecture: amd64
            Maintainer: Someone <someone@example.org>
            Description: interrupted while unpacking

            Package: unpacked
            Status: install ok unpacked
            Version: 4.0
            Architecture: amd64
            Maintainer: Someone <someone@example.org>
            Description: unpacked, not configured

            Package: toremove
            Status: deinstall ok installed
            Version: 6.0
            Architecture: amd64
            Maintainer: Someone <someone@example.org>
            Description: selected for removal, still installed

            Package: purged
            Status: purge ok not-installed
            Architecture: amd64
            Maintainer: Someone <someone@example.org>
            Description: gone

            Package: libfoo1
            Status: install ok installed
            Version: 1:2.3-4+deb12u1
            Architecture: amd64
            Multi-Arch: same
            Maintainer: Someone <someone@example.org>
            Source: foo
            Conffiles:
             /etc/foo.conf 0123456789abcdef0123456789abcdef
            Description: a library

            Package: libfoo1
            Status: install ok installed
            Version: 1:2.3-4+deb12u1
            Architecture: i386
            Multi-Arch: same
            Maintainer: Someone <someone@example.org>
            Source: foo
            Description: the same library for i386

            Package: binnmu
            Status: install ok installed
            Version: 1.2-3+b1
            Architecture: amd64
            Maintainer: Someone <someone@example.org>
            Source: binsrc (1.2-3)
            Description: a binary-only rebuild

            Package: tilde
            Status: install ok installed
            Version: 2.0~rc1-1
            Architecture: all
            Maintainer: Someone <someone@example.org>
            Description: a pre-release

            """;
        var expected = DpkgQuery(status).Where(p => p.Installed).Select(p => p.Key).ToList();
        Assert.Equal(6, expected.Count); // held, toremove, libfoo1 ×2, binnmu, tilde, as dpkg says

        var packages = OsPackages.ParseDpkgStatus(status, Debian12, "/var/lib/dpkg/status");

        AssertSameMultiset(expected, packages.Select(Key));
    }

    /// <summary>Trivy's test status file: stanzas are counted independently (blank-line split, <c>Status: install ok installed</c>).</summary>
    [Fact]
    public void The_shared_status_file_gives_its_installed_stanzas()
    {
        var text = File.ReadAllText(TestData.Vuln("inputs", "dpkg", "status"));
        var stanzas = Regex.Split(text.Trim(), @"\n\s*\n");
        var installed = stanzas.Count(s => Regex.IsMatch(s, @"^Package: \S+$", RegexOptions.Multiline)
            && Regex.IsMatch(s, @"^Status: install ok installed$", RegexOptions.Multiline));
        var os = OperatingSystem.ParseOsRelease(File.ReadAllText(TestData.Vuln("inputs", "dpkg", "os-release")));

        var packages = OsPackages.ParseDpkgStatus(text, os, "/var/lib/dpkg/status");

        Assert.Equal(installed, packages.Count);
        var pam = Assert.Single(packages, p => p.Name == "libpam-runtime");
        Assert.Equal(("1.1.8-3.6", "pam", "1.1.8-3.6", "all"), (pam.Version, pam.SourceName, pam.SourceVersion, pam.Architecture));
        var (head, qualifiers) = PurlSpec.Split(pam.Purl);
        Assert.Equal("pkg:deb/debian/libpam-runtime@1.1.8-3.6", head);
        Assert.Equal("all", qualifiers.Single(q => q.Key == "arch").Value);
        Assert.Equal("debian-12", qualifiers.Single(q => q.Key == "distro").Value);
        Assert.Equal(qualifiers.Select(q => q.Key).Order(StringComparer.Ordinal), qualifiers.Select(q => q.Key));
    }

    /// <summary>The same file through dpkg-query (its nameless first stanza removed: dpkg refuses an empty Package field).</summary>
    [FactRequiring("dpkg-query")]
    public void The_shared_status_file_agrees_with_dpkg_query()
    {
        var text = File.ReadAllText(TestData.Vuln("inputs", "dpkg", "status"));
        var valid = string.Join("\n\n", Regex.Split(text.Trim(), @"\n\s*\n").Where(s => Regex.IsMatch(s, @"^Package: \S+$", RegexOptions.Multiline))) + "\n";
        var expected = DpkgQuery(valid).Where(p => p.Installed).Select(p => p.Key).ToList();

        var packages = OsPackages.ParseDpkgStatus(text, Debian12, "/var/lib/dpkg/status");

        AssertSameMultiset(expected, packages.Select(Key));
    }

    /// <summary>A distroless <c>var/lib/dpkg/status.d/&lt;name&gt;</c> file: one stanza, no Status line, still installed.</summary>
    [Fact]
    public void A_distroless_status_d_file_is_one_installed_package()
    {
        var text = File.ReadAllText(TestData.Vuln("inputs", "dpkg-distroless", "libsqlite3-0"));
        string Field(string name) => Regex.Match(text, $@"^{name}: (.+)$", RegexOptions.Multiline).Groups[1].Value.Trim();

        var packages = OsPackages.ParseDpkgStatus(text, Debian12, "/var/lib/dpkg/status.d/libsqlite3-0");

        var package = Assert.Single(packages);
        Assert.DoesNotContain("Status:", text, StringComparison.Ordinal);
        Assert.Equal((Field("Package"), Field("Version"), Field("Source"), Field("Version"), Field("Architecture")),
            (package.Name, package.Version, package.SourceName!, package.SourceVersion!, package.Architecture!));
        Assert.Equal("/var/lib/dpkg/status.d/libsqlite3-0", package.Location);
        var (head, qualifiers) = PurlSpec.Split(package.Purl);
        Assert.Equal(PurlSpec.Build("deb", "debian", Field("Package"), Field("Version")), head);
        Assert.Equal("arm64", qualifiers.Single(q => q.Key == "arch").Value);
        Assert.Equal("debian-12", qualifiers.Single(q => q.Key == "distro").Value);
    }

    /// <summary>The distroless stanza given a Status line, so dpkg-query can be asked for its source version.</summary>
    [FactRequiring("dpkg-query")]
    public void A_distroless_stanza_has_the_source_dpkg_query_derives()
    {
        var text = File.ReadAllText(TestData.Vuln("inputs", "dpkg-distroless", "libsqlite3-0"));
        var withStatus = Regex.Replace(text, @"^(Package: .+)$", "$1\nStatus: install ok installed", RegexOptions.Multiline);
        var expected = DpkgQuery(withStatus).Where(p => p.Installed).Select(p => p.Key).ToList();

        AssertSameMultiset(expected, OsPackages.ParseDpkgStatus(text, Debian12, "/var/lib/dpkg/status.d/libsqlite3-0").Select(Key));
    }

    [Fact]
    public void Without_an_os_the_namespace_is_debian_and_there_is_no_distro()
    {
        const string status = "Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\nSource: zlib\n";

        var package = Assert.Single(OsPackages.ParseDpkgStatus(status, null, "/var/lib/dpkg/status"));

        var (head, qualifiers) = PurlSpec.Split(package.Purl);
        Assert.StartsWith("pkg:deb/debian/zlib1g@", head, StringComparison.Ordinal);
        Assert.DoesNotContain(qualifiers, q => q.Key == "distro");
    }

    [Fact]
    public void Ubuntu_packages_are_in_the_ubuntu_namespace()
    {
        const string status = "Package: bash\nStatus: install ok installed\nVersion: 5.1-6ubuntu1\nArchitecture: amd64\n";

        var package = Assert.Single(OsPackages.ParseDpkgStatus(status, new OperatingSystem("ubuntu", "22.04", null), "/var/lib/dpkg/status"));

        Assert.Equal("pkg:deb/ubuntu/bash@5.1-6ubuntu1?arch=amd64&distro=ubuntu-22.04", package.Purl);
    }

    [Fact]
    public void Crlf_line_ends_are_read_like_lf()
    {
        const string status = "Package: a\r\nStatus: install ok installed\r\nVersion: 1.0\r\nArchitecture: all\r\n\r\nPackage: b\r\nStatus: deinstall ok config-files\r\nVersion: 2.0\r\n";

        var package = Assert.Single(OsPackages.ParseDpkgStatus(status, Debian12, "/var/lib/dpkg/status"));

        Assert.Equal(("a", "1.0", "all"), (package.Name, package.Version, package.Architecture));
    }

    private static (string Name, string Version, string? SourceName, string? SourceVersion, string? Architecture) Key(InstalledPackage p) =>
        (p.Name, p.Version, p.SourceName, p.SourceVersion, p.Architecture);

    private static void AssertSameMultiset<T>(IEnumerable<T> expected, IEnumerable<T> actual)
    {
        var e = expected.Select(x => x!.ToString()!).Order(StringComparer.Ordinal).ToList();
        var a = actual.Select(x => x!.ToString()!).Order(StringComparer.Ordinal).ToList();
        var missing = e.Except(a).ToList();
        var extra = a.Except(e).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0 && e.Count == a.Count,
            $"expected {e.Count}, got {a.Count}\nmissing: {string.Join("; ", missing.Take(10))}\nextra: {string.Join("; ", extra.Take(10))}");
    }

    private sealed record Queried(string Name, string Version, string SourceName, string SourceVersion, string Architecture, string State, string Abbrev)
    {
        public bool Installed => State == "installed";

        public (string Name, string Version, string? SourceName, string? SourceVersion, string? Architecture) Key =>
            (Name, Version, SourceName, SourceVersion, Architecture);
    }

    /// <summary>dpkg-query over this machine's database, or over <paramref name="status"/> as the status file of a scratch admin directory.</summary>
    private static List<Queried> DpkgQuery(string? status)
    {
        string output;
        if (status is null)
        {
            output = Tool.Run("dpkg-query", ["-W", "-f", Format]);
        }
        else
        {
            var admin = Directory.CreateTempSubdirectory("dpkg-admin-");
            try
            {
                File.WriteAllText(Path.Combine(admin.FullName, "status"), status);
                output = Tool.Run("dpkg-query", ["--admindir", admin.FullName, "-W", "-f", Format]);
            }
            finally
            {
                admin.Delete(recursive: true);
            }
        }

        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .Select(f => new Queried(f[0], f[1], f[2], f[3], f[4], f[5], f[6]))
            .ToList();
    }
}
