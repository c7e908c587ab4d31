using System.Text.Json;

namespace Registry.Scanner.Tests;

/// <summary>
/// Scan on push with the real docker client: a Debian 12 root filesystem (this machine's os-release and dpkg database)
/// with a vulnerable npm package and a vulnerable NuGet dependency, <c>docker import</c>ed and <c>docker push</c>ed.
/// </summary>
public sealed class ScanOnPushTests(ScannerFixture fixture) : IClassFixture<ScannerFixture>
{
    [Fact]
    public async Task A_docker_push_is_scanned_with_the_npm_and_NuGet_findings_the_OS_and_every_package_and_announced_by_ScanCompleted()
    {
        var root = fixture.VulnerableDebianApp("docker");
        var installed = await TestData.InstalledDpkgPackagesAsync(root.PathOf("var/lib/dpkg/status"));
        Assert.NotEmpty(installed);
        var repository = ScannerFixture.NewRepository("docker");
        var digest = await fixture.Host.DockerImportAndPushAsync(root, repository, "1");

        var report = await fixture.Host.WaitForReportAsync(digest);
        Assert.Equal(ScannerHost.Registry, report.GetProperty("registry").GetString());
        Assert.Equal(repository, report.GetProperty("repository").GetString());
        Assert.Equal(digest, report.GetProperty("digest").GetString());
        Assert.Equal("application/vnd.docker.distribution.manifest.v2+json", report.GetProperty("mediaType").GetString());

        var findings = report.GetProperty("findings").EnumerateArray().ToList();
        var ws = Assert.Single(findings, f => f.GetProperty("id").GetString() == TestData.WsAdvisory);
        Assert.Equal("npm", ws.GetProperty("packageType").GetString());
        Assert.Equal("ws", ws.GetProperty("packageName").GetString());
        Assert.Equal("8.17.0", ws.GetProperty("installedVersion").GetString());
        Assert.Equal("8.17.1", ws.GetProperty("fixedVersion").GetString());
        Assert.Equal("HIGH", ws.GetProperty("severity").GetString());
        Assert.Equal(TestData.CvssV3Vector(TestData.Osv("github", TestData.WsAdvisory + ".json")), ws.GetProperty("cvssVector").GetString());
        Assert.Equal(7.5, ws.GetProperty("cvssScore").GetDouble());
        Assert.Equal("pkg:npm/ws@8.17.0", ws.GetProperty("purl").GetString());
        Assert.Equal("/app/node_modules/ws/package.json", ws.GetProperty("location").GetString());
        Assert.Contains("CVE-2024-37890", ws.GetProperty("aliases").EnumerateArray().Select(a => a.GetString()));

        var newtonsoft = Assert.Single(findings, f => f.GetProperty("id").GetString() == TestData.NewtonsoftAdvisory);
        Assert.Equal("nuget", newtonsoft.GetProperty("packageType").GetString());
        Assert.Equal("Newtonsoft.Json", newtonsoft.GetProperty("packageName").GetString());
        Assert.Equal("12.0.3", newtonsoft.GetProperty("installedVersion").GetString());
        Assert.Equal("13.0.1", newtonsoft.GetProperty("fixedVersion").GetString());
        Assert.Equal("LOW", newtonsoft.GetProperty("severity").GetString()); // GitHub's own rating: the advisory has no CVSS vector
        Assert.Equal("/app/App.deps.json", newtonsoft.GetProperty("location").GetString());

        var os = report.GetProperty("operatingSystem");
        Assert.Equal("debian", os.GetProperty("id").GetString());
        Assert.Equal("12", os.GetProperty("version").GetString());
        Assert.Equal("Debian:12", os.GetProperty("ecosystem").GetString());
        Assert.True(
            report.GetProperty("packages").GetInt32() >= installed.Count + 2,
            $"{report.GetProperty("packages").GetInt32()} packages, but dpkg lists {installed.Count} installed and the image has ws and Newtonsoft.Json too");

        var summary = report.GetProperty("summary");
        Assert.Equal(findings.Count, summary.GetProperty("total").GetInt32());
        foreach (var severity in new[] { "CRITICAL", "HIGH", "MEDIUM", "LOW" })
        {
            Assert.Equal(findings.Count(f => f.GetProperty("severity").GetString() == severity), summary.GetProperty(severity.ToLowerInvariant()).GetInt32());
        }

        // ScanCompleted went out through the outbox and the bus, with the report's totals and referrers.
        var events = await fixture.Host.Events.WaitForAsync(e => e.Digest == digest);
        var completed = events[^1];
        Assert.Equal(repository, completed.Repository);
        Assert.Equal(ScannerHost.Registry, completed.Registry);
        Assert.Equal(summary.GetProperty("high").GetInt32(), completed.High);
        Assert.Equal(summary.GetProperty("low").GetInt32(), completed.Low);
        Assert.Equal(summary.GetProperty("critical").GetInt32(), completed.Critical);
        Assert.Equal(summary.GetProperty("medium").GetInt32(), completed.Medium);
        Assert.Equal(report.GetProperty("databaseVersion").GetString(), completed.DatabaseVersion);
        Assert.Equal(report.GetProperty("sbom").GetProperty("digest").GetString(), completed.SbomDigest);
        Assert.Equal(report.GetProperty("report").GetProperty("digest").GetString(), completed.ReportDigest);
    }

    [Fact]
    public async Task A_Debian_advisory_applies_to_its_own_release_by_source_package_and_dpkg_version_order()
    {
        const string Fixed = "1.2.1-2.2+wheezy3";
        var installed = new[] { ("nginx-full", "1.2.1-2.2+wheezy2"), ("nginx-common", "1.2.1-2.2+wheezy3~1"), ("nginx-light", Fixed) };
        var status = string.Join("\n", installed.Select(p => $"""
            Package: {p.Item1}
            Status: install ok installed
            Priority: optional
            Section: httpd
            Maintainer: Kartik Mistry <kartik@debian.org>
            Architecture: amd64
            Source: nginx ({p.Item2})
            Version: {p.Item2}
            Description: nginx web/proxy server

            """));
        const string Wheezy = """
            PRETTY_NAME="Debian GNU/Linux 7 (wheezy)"
            NAME="Debian GNU/Linux"
            VERSION_ID="7"
            VERSION="7 (wheezy)"
            ID=debian
            HOME_URL="http://www.debian.org/"
            """;

        // dpkg is the oracle of what is below the fix.
        var vulnerable = new List<string>();
        foreach (var (name, version) in installed)
        {
            if ((await Cli.RunAsync("dpkg", ["--compare-versions", version, "lt", Fixed])).ExitCode == 0)
            {
                vulnerable.Add(name);
            }
        }

        Assert.Equal(["nginx-full", "nginx-common"], vulnerable);

        var wheezyRepository = ScannerFixture.NewRepository("wheezy");
        var wheezy = await fixture.PushImageAsync(wheezyRepository, "7", (fixture.NewRoot("wheezy").File("etc/os-release", Wheezy + "\n").File("var/lib/dpkg/status", status), Compression.Gzip));
        var bookwormRepository = ScannerFixture.NewRepository("bookworm");
        var bookworm = await fixture.PushImageAsync(
            bookwormRepository, "12", (fixture.NewRoot("bookworm").File("etc/os-release", File.ReadAllText("/etc/os-release")).File("var/lib/dpkg/status", status), Compression.Gzip));

        var wheezyReport = await fixture.Host.WaitForReportAsync(wheezy);
        Assert.Equal("Debian:7", wheezyReport.GetProperty("operatingSystem").GetProperty("ecosystem").GetString());
        Assert.Equal(3, wheezyReport.GetProperty("packages").GetInt32());
        var findings = wheezyReport.GetProperty("findings").EnumerateArray().Where(f => f.GetProperty("id").GetString() == TestData.WheezyNginxAdvisory).ToList();
        Assert.Equal(vulnerable.Order(), findings.Select(f => f.GetProperty("packageName").GetString()!).Order());
        Assert.All(findings, f =>
        {
            Assert.Equal("deb", f.GetProperty("packageType").GetString());
            Assert.Equal("nginx", f.GetProperty("advisoryPackage").GetString());
            Assert.Equal(Fixed, f.GetProperty("fixedVersion").GetString());
            Assert.Contains("CVE-2014-3616", f.GetProperty("aliases").EnumerateArray().Select(a => a.GetString()));
        });

        var bookwormReport = await fixture.Host.WaitForReportAsync(bookworm);
        Assert.Equal("Debian:12", bookwormReport.GetProperty("operatingSystem").GetProperty("ecosystem").GetString());
        Assert.Equal(3, bookwormReport.GetProperty("packages").GetInt32());
        Assert.DoesNotContain(bookwormReport.GetProperty("findings").EnumerateArray(), f => f.GetProperty("id").GetString() == TestData.WheezyNginxAdvisory);
    }

    [Fact]
    public async Task The_SBOM_names_every_installed_dpkg_package_of_the_image()
    {
        var root = fixture.NewRoot("dpkg").DebianBase();
        var installed = await TestData.InstalledDpkgPackagesAsync(root.PathOf("var/lib/dpkg/status"));
        var repository = ScannerFixture.NewRepository("dpkg");
        var digest = await fixture.PushImageAsync(repository, "1", (root, Compression.Gzip));
        var report = await fixture.Host.WaitForReportAsync(digest);
        Assert.Equal(installed.Count, report.GetProperty("packages").GetInt32());

        var sbom = await Referrers.SbomAsync(fixture.Host, repository, digest);
        var debs = sbom.GetProperty("components").EnumerateArray()
            .Select(c => c.TryGetProperty("purl", out var purl) ? purl.GetString() : null)
            .OfType<string>()
            .Where(purl => purl.StartsWith("pkg:deb/debian/", StringComparison.Ordinal))
            .Select(purl => Uri.UnescapeDataString(purl["pkg:deb/debian/".Length..purl.IndexOf('@', StringComparison.Ordinal)]))
            .ToHashSet(StringComparer.Ordinal);
        var missing = installed.Select(p => p.Split(':')[0]).Where(p => !debs.Contains(p)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} installed packages are not in the SBOM: {string.Join(", ", missing.Take(20))}");
    }
}
