using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Registry.Scanner.Tests;

/// <summary>A root filesystem (or one layer's worth of changes) written into a temporary directory.</summary>
public sealed class RootFs
{
    public RootFs(string directory)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);

        // Every layer is new: its digest is seen by no other test (the registry caches inventories per layer digest).
        File("etc/registry-scanner-test-marker", Guid.NewGuid().ToString("N") + "\n");
    }

    public string Directory { get; }

    public string PathOf(string relative) => Path.Combine(Directory, relative);

    public RootFs File(string relative, string content)
    {
        var path = PathOf(relative);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, content);
        return this;
    }

    /// <summary>This machine's <c>/etc/os-release</c> (Debian 12) and dpkg database (<c>/var/lib/dpkg/status</c>).</summary>
    public RootFs DebianBase()
    {
        File("etc/os-release", System.IO.File.ReadAllText("/etc/os-release"));
        return File("var/lib/dpkg/status", System.IO.File.ReadAllText("/var/lib/dpkg/status"));
    }

    /// <summary>An installed npm package: <c>app/node_modules/&lt;name&gt;/package.json</c>.</summary>
    public RootFs Npm(string name, string version) =>
        File($"app/node_modules/{name}/package.json", JsonSerializer.Serialize(new { name, version, license = "MIT", main = "index.js" }));

    /// <summary>A .NET application's <c>app/App.deps.json</c> naming the NuGet packages given (and the application itself, a project).</summary>
    public RootFs DepsJson(params (string Name, string Version)[] packages)
    {
        var libraries = new JsonObject { ["App/1.0.0"] = new JsonObject { ["type"] = "project", ["serviceable"] = false, ["sha512"] = "" } };
        var dependencies = new JsonObject();
        foreach (var (name, version) in packages)
        {
            libraries[$"{name}/{version}"] = new JsonObject { ["type"] = "package", ["serviceable"] = true, ["sha512"] = "sha512-x", ["path"] = $"{name.ToLowerInvariant()}/{version}" };
            dependencies[name] = version;
        }

        var deps = new JsonObject
        {
            ["runtimeTarget"] = new JsonObject { ["name"] = ".NETCoreApp,Version=v8.0", ["signature"] = "" },
            ["compilationOptions"] = new JsonObject(),
            ["targets"] = new JsonObject { [".NETCoreApp,Version=v8.0"] = new JsonObject { ["App/1.0.0"] = new JsonObject { ["dependencies"] = dependencies } } },
            ["libraries"] = libraries,
        };
        return File("app/App.deps.json", deps.ToJsonString());
    }

    /// <summary>An OCI whiteout: the layer deletes <paramref name="relative"/> from the layers below.</summary>
    public RootFs Whiteout(string relative)
    {
        var directory = Path.GetDirectoryName(relative) ?? string.Empty;
        return File(Path.Combine(directory, ".wh." + Path.GetFileName(relative)), string.Empty);
    }

    /// <summary>A plain tar of the directory made by GNU tar (stable order and owners), entries named <c>./…</c>.</summary>
    public async Task<string> TarAsync(string archive)
    {
        await Cli.RunCheckedAsync("tar", ["--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--mtime=@0", "-C", Directory, "-cf", archive, "."]);
        return archive;
    }
}

public enum Compression
{
    Gzip,
    Zstd,

    /// <summary>A plain tar layer (<c>application/vnd.oci.image.layer.v1.tar</c>).</summary>
    None,
}

/// <summary>A content descriptor as OCI writes it.</summary>
public sealed record Descriptor(string MediaType, string Digest, long Size)
{
    public JsonObject ToJson(JsonObject? platform = null)
    {
        var json = new JsonObject { ["mediaType"] = MediaType, ["digest"] = Digest, ["size"] = Size };
        if (platform is not null)
        {
            json["platform"] = platform;
        }

        return json;
    }
}

/// <summary>One layer: its blob's descriptor and the digest of the uncompressed tar (the config's <c>diff_id</c>).</summary>
public sealed record Layer(Descriptor Blob, string DiffId);

/// <summary>
/// An OCI image layout written by hand (<c>oci-layout</c>, <c>index.json</c>, <c>blobs/sha256/…</c>): layers made by
/// <c>tar</c> and compressed with gzip or the <c>zstd</c> tool, image manifests, indexes, and tags for <c>skopeo copy oci:…</c>.
/// </summary>
public sealed class OciLayout
{
    public const string ManifestType = "application/vnd.oci.image.manifest.v1+json";
    public const string IndexType = "application/vnd.oci.image.index.v1+json";
    public const string ConfigType = "application/vnd.oci.image.config.v1+json";

    private readonly JsonArray _tags = [];

    public OciLayout(string directory)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "blobs", "sha256"));
        File.WriteAllText(Path.Combine(directory, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        WriteIndex();
    }

    public string Directory { get; }

    public static string Sha256(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    public string BlobPath(string digest) => Path.Combine(Directory, "blobs", "sha256", digest["sha256:".Length..]);

    public Descriptor AddBlob(string mediaType, byte[] content)
    {
        var digest = Sha256(content);
        File.WriteAllBytes(Path.Combine(Directory, "blobs", "sha256", digest["sha256:".Length..]), content);
        return new Descriptor(mediaType, digest, content.LongLength);
    }

    /// <summary>The root filesystem as one layer: tarred, then compressed with .NET's gzip or the zstd command.</summary>
    public async Task<Layer> AddLayerAsync(RootFs root, Compression compression)
    {
        var tar = await root.TarAsync(root.Directory.TrimEnd('/') + ".tar");
        var plain = await File.ReadAllBytesAsync(tar);
        byte[] compressed;
        if (compression == Compression.Gzip)
        {
            using var buffer = new MemoryStream();
            using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
            {
                gzip.Write(plain);
            }

            compressed = buffer.ToArray();
        }
        else if (compression == Compression.None)
        {
            compressed = plain;
        }
        else
        {
            await Cli.RunCheckedAsync("zstd", ["-q", "-f", "-3", tar, "-o", tar + ".zst"]);
            compressed = await File.ReadAllBytesAsync(tar + ".zst");
            Assert.True(compressed is [0x28, 0xb5, 0x2f, 0xfd, ..], "zstd wrote no zstd frame");
        }

        var mediaType = compression switch
        {
            Compression.Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
            Compression.Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
            _ => "application/vnd.oci.image.layer.v1.tar",
        };
        return new Layer(AddBlob(mediaType, compressed), Sha256(plain));
    }

    /// <summary>An image manifest over the layers (bottom first) with a config naming their diff_ids.</summary>
    public Descriptor AddImage(IReadOnlyList<Layer> layers, string architecture = "amd64", string os = "linux")
    {
        var config = new JsonObject
        {
            ["architecture"] = architecture,
            ["os"] = os,
            ["config"] = new JsonObject { ["Cmd"] = new JsonArray("/bin/sh") },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(layers.Select(l => (JsonNode)l.DiffId).ToArray()) },
            ["history"] = new JsonArray(layers.Select(_ => (JsonNode)new JsonObject { ["created_by"] = "registry scanner tests" }).ToArray()),
        };
        var configBlob = AddBlob(ConfigType, Encoding.UTF8.GetBytes(config.ToJsonString()));
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestType,
            ["config"] = configBlob.ToJson(),
            ["layers"] = new JsonArray(layers.Select(l => (JsonNode)l.Blob.ToJson()).ToArray()),
        };
        return AddBlob(ManifestType, Encoding.UTF8.GetBytes(manifest.ToJsonString()));
    }

    /// <summary>An image index of the given image manifests with their platforms.</summary>
    public Descriptor AddIndex(params (Descriptor Manifest, string Architecture)[] manifests)
    {
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = IndexType,
            ["manifests"] = new JsonArray(manifests.Select(m => (JsonNode)m.Manifest.ToJson(new JsonObject { ["architecture"] = m.Architecture, ["os"] = "linux" })).ToArray()),
        };
        return AddBlob(IndexType, Encoding.UTF8.GetBytes(index.ToJsonString()));
    }

    /// <summary>Names <paramref name="target"/> <paramref name="tag"/> in the layout's <c>index.json</c> (what <c>oci:dir:tag</c> picks).</summary>
    public void Tag(string tag, Descriptor target)
    {
        var entry = target.ToJson();
        entry["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = tag };
        _tags.Add(entry);
        WriteIndex();
    }

    private void WriteIndex() => File.WriteAllText(
        Path.Combine(Directory, "index.json"),
        new JsonObject { ["schemaVersion"] = 2, ["manifests"] = _tags.DeepClone() }.ToJsonString());
}
