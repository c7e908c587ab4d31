using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Registry.Vulnerabilities.Inventory;

namespace Registry.Vulnerabilities;

/// <summary>What an SBOM describes: the image (repository and manifest digest) and when it was made.</summary>
public sealed record SbomSubject(string Name, string Digest, DateTimeOffset Timestamp, string ToolVersion = "1.0.0");

/// <summary>
/// CycloneDX 1.5 JSON (https://cyclonedx.org/docs/1.5/json/): the image as the metadata component, its distribution
/// as an <c>operating-system</c> component, every package as a <c>library</c> with its purl (and where it was found as
/// properties), and — when findings are given — the vulnerabilities with ratings and what they affect. The serial number
/// is derived from the subject's digest, so the same inputs give the same document.
/// </summary>
public static class CycloneDx
{
    public const string MediaType = "application/vnd.cyclonedx+json";
    public const string SpecVersion = "1.5";

    public static byte[] Write(SbomSubject subject, ImageInventory inventory, IReadOnlyList<Finding>? findings = null)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(inventory);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("$schema", "http://cyclonedx.org/schema/bom-1.5.schema.json");
            json.WriteString("bomFormat", "CycloneDX");
            json.WriteString("specVersion", SpecVersion);
            json.WriteString("serialNumber", $"urn:uuid:{SerialOf(subject, findings is not null)}");
            json.WriteNumber("version", 1);

            json.WriteStartObject("metadata");
            json.WriteString("timestamp", subject.Timestamp.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteStartObject("tools");
            json.WriteStartArray("components");
            json.WriteStartObject();
            json.WriteString("type", "application");
            json.WriteString("name", "registry-scanner");
            json.WriteString("version", subject.ToolVersion);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteStartObject("component");
            json.WriteString("bom-ref", subject.Digest);
            json.WriteString("type", "container");
            json.WriteString("name", subject.Name);
            json.WriteString("version", subject.Digest);
            json.WriteEndObject();
            json.WriteEndObject();

            var references = new List<string>();
            var referenceOfPackage = new Dictionary<InstalledPackage, string>(ReferenceEqualityComparer.Instance);
            json.WriteStartArray("components");
            if (inventory.OperatingSystem is { } os)
            {
                var osRef = $"os:{os.Distro}";
                references.Add(osRef);
                json.WriteStartObject();
                json.WriteString("bom-ref", osRef);
                json.WriteString("type", "operating-system");
                json.WriteString("name", os.Id);
                WriteIfSet(json, "version", os.VersionId);
                WriteIfSet(json, "description", os.PrettyName);
                json.WriteEndObject();
            }

            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (var package in inventory.Packages)
            {
                var reference = package.Purl;
                for (var n = 2; !used.Add(reference); n++)
                {
                    reference = $"{package.Purl}#{n}";
                }

                referenceOfPackage[package] = reference;
                references.Add(reference);
                WritePackage(json, package, reference);
            }

            json.WriteEndArray();

            json.WriteStartArray("dependencies");
            json.WriteStartObject();
            json.WriteString("ref", subject.Digest);
            json.WriteStartArray("dependsOn");
            foreach (var reference in references)
            {
                json.WriteStringValue(reference);
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();

            if (findings is not null)
            {
                WriteVulnerabilities(json, findings, referenceOfPackage);
            }

            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WritePackage(Utf8JsonWriter json, InstalledPackage package, string reference)
    {
        json.WriteStartObject();
        json.WriteString("bom-ref", reference);
        json.WriteString("type", "library");
        WriteIfSet(json, "group", package.Namespace);
        json.WriteString("name", package.Namespace is { } ns && package.Name.StartsWith(ns + "/", StringComparison.Ordinal) ? package.Name[(ns.Length + 1)..] : package.Name);
        json.WriteString("version", package.Version);
        json.WriteString("purl", package.Purl);
        if (!string.IsNullOrEmpty(package.License))
        {
            json.WriteStartArray("licenses");
            json.WriteStartObject();
            json.WriteStartObject("license");
            json.WriteString("name", package.License);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();
        }

        json.WriteStartArray("properties");
        WriteProperty(json, "registry:package:type", package.Type);
        WriteProperty(json, "registry:package:source-name", package.SourceName);
        WriteProperty(json, "registry:package:source-version", package.SourceVersion);
        WriteProperty(json, "registry:package:location", package.Location);
        WriteProperty(json, "registry:layer:digest", package.Layer);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteVulnerabilities(Utf8JsonWriter json, IReadOnlyList<Finding> findings, Dictionary<InstalledPackage, string> referenceOfPackage)
    {
        var referenceOfFinding = new Dictionary<(string Purl, string? Location), string>();
        foreach (var (package, reference) in referenceOfPackage)
        {
            referenceOfFinding.TryAdd((package.Purl, package.Location), reference);
        }

        json.WriteStartArray("vulnerabilities");
        foreach (var group in findings.GroupBy(f => f.Id, StringComparer.Ordinal))
        {
            var first = group.First();
            json.WriteStartObject();
            json.WriteString("bom-ref", first.Id);
            json.WriteString("id", first.Id);
            json.WriteStartObject("source");
            json.WriteString("name", "OSV");
            json.WriteString("url", $"https://osv.dev/vulnerability/{first.Id}");
            json.WriteEndObject();
            json.WriteStartArray("ratings");
            json.WriteStartObject();
            if (first.CvssScore is { } score)
            {
                json.WriteNumber("score", score);
                json.WriteString("method", first.CvssVector!.StartsWith("CVSS:3.0", StringComparison.Ordinal) ? "CVSSv3" : "CVSSv31");
                json.WriteString("vector", first.CvssVector);
            }

            json.WriteString("severity", first.Severity == "UNKNOWN" ? "unknown" : first.Severity.ToLowerInvariant());
            json.WriteEndObject();
            json.WriteEndArray();
            WriteIfSet(json, "description", first.Summary);
            var fixes = group.Select(f => f.FixedVersion).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
            if (fixes.Count > 0)
            {
                json.WriteString("recommendation", $"Upgrade {first.AdvisoryPackage} to {string.Join(" or ", fixes)}");
            }

            json.WriteStartArray("advisories");
            foreach (var link in first.Links)
            {
                json.WriteStartObject();
                json.WriteString("url", link);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("affects");
            foreach (var finding in group)
            {
                json.WriteStartObject();
                json.WriteString("ref", referenceOfFinding.GetValueOrDefault((finding.Purl, finding.Location), finding.Purl));
                json.WriteStartArray("versions");
                json.WriteStartObject();
                json.WriteString("version", finding.InstalledVersion);
                json.WriteString("status", "affected");
                json.WriteEndObject();
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (first.Aliases.Count > 0)
            {
                json.WriteStartArray("references");
                foreach (var alias in first.Aliases)
                {
                    json.WriteStartObject();
                    json.WriteString("id", alias);
                    json.WriteStartObject("source");
                    json.WriteString("name", alias.StartsWith("CVE-", StringComparison.Ordinal) ? "NVD" : "OSV");
                    json.WriteString("url", alias.StartsWith("CVE-", StringComparison.Ordinal) ? $"https://nvd.nist.gov/vuln/detail/{alias}" : $"https://osv.dev/vulnerability/{alias}");
                    json.WriteEndObject();
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WriteProperty(Utf8JsonWriter json, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            json.WriteStartObject();
            json.WriteString("name", name);
            json.WriteString("value", value);
            json.WriteEndObject();
        }
    }

    private static void WriteIfSet(Utf8JsonWriter json, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            json.WriteString(name, value);
        }
    }

    private static Guid SerialOf(SbomSubject subject, bool withVulnerabilities)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{subject.Digest}|{subject.Timestamp.UtcTicks}|{withVulnerabilities}"));
        hash[6] = (byte)((hash[6] & 0x0f) | 0x50); // version 5-style (name-based)
        hash[8] = (byte)((hash[8] & 0x3f) | 0x80); // RFC 4122 variant
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}
