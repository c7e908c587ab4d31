using System.Text.RegularExpressions;
using Registry.Inventory.Tests.Support;
using Registry.Vulnerabilities.Inventory;

namespace Registry.Inventory.Tests;

/// <summary>
/// Go build information read from this machine's Go programs, against GNU <c>strings -a</c>: after the
/// <c>" Go buildinf:"</c> line it prints the toolchain version (<c>go1.19.8</c>) and then the module lines Go embeds —
/// <c>path</c>, <c>mod</c> (main module), <c>dep</c> (one per dependency), <c>=&gt;</c> (the replacement of the dep before it),
/// <c>build</c>. Expected: one package per dep line (its replacement when there is one), the main module when it has a
/// version (a <c>(devel)</c> main module is the program built from a checkout, without one), and <c>stdlib</c> at the
/// toolchain's version as <c>v1.x.y</c>.
/// </summary>
public sealed class GoBuildInfoTests
{
    /// <summary>Debian 12's Go programs (GOPATH builds: no module lines) and, where present, module-mode builds found on this machine.</summary>
    private static readonly string[] Candidates =
    [
        "/usr/bin/skopeo",
        "/usr/sbin/runc",
        "/usr/bin/containerd",
        "/usr/sbin/dockerd",
        "/usr/bin/podman",
        "/usr/local/bin/terraform",
        "/usr/lib/google-cloud-sdk/bin/cbt",
        "/usr/lib/google-cloud-sdk/platform/google_appengine/go-app-stager",
        .. Glob("/root/.nuget/packages/aspire.hosting.orchestration.linux-x64", "tools/dcp"),
    ];

    public static TheoryData<string> GoBinaries()
    {
        var present = Candidates.Where(File.Exists).Distinct().ToList();
        return new TheoryData<string>(present.Count > 0 ? present : ["(none on this machine)"]);
    }

    [TheoryRequiring("strings")]
    [MemberData(nameof(GoBinaries))]
    public async Task Reads_the_modules_and_toolchain_strings_shows(string binary)
    {
        if (!File.Exists(binary))
        {
            return;
        }

        var expected = StringsOracle(binary);
        Assert.NotNull(expected.Toolchain);

        await using var stream = File.OpenRead(binary);
        var packages = await GoBuildInfo.ReadAsync(stream, binary);

        var stdlib = Assert.Single(packages, p => p.Name == "stdlib");
        Assert.Equal("v" + expected.Toolchain[2..], stdlib.Version);
        Assert.Equal(PurlSpec.Build("golang", null, "stdlib", stdlib.Version), stdlib.Purl);

        var modules = packages.Where(p => p.Name != "stdlib").ToList();
        var main = expected.Main is { Version: not "(devel)" } m ? new[] { m } : [];
        Assert.Equal(expected.Deps.Concat(main).Order(), modules.Select(p => (p.Name, p.Version)).Order());
        Assert.Equal(expected.DepLines, modules.Count - main.Length);
        if (expected.Main is { } declared)
        {
            Assert.All(modules.Where(p => !expected.Deps.Contains((p.Name, p.Version))), p => Assert.Equal(declared.Path, p.Name));
        }

        Assert.All(packages, p =>
        {
            Assert.Equal(PackageTypes.Golang, p.Type);
            Assert.Equal(binary, p.Location);
        });
        Assert.All(modules, p =>
        {
            var slash = p.Name.LastIndexOf('/');
            var expectedPurl = slash > 0
                ? PurlSpec.Build("golang", p.Name[..slash], p.Name[(slash + 1)..], p.Version)
                : PurlSpec.Build("golang", null, p.Name, p.Version);
            Assert.Equal(expectedPurl, p.Purl);
        });
    }

    /// <summary>A stream that hands out at most 7 bytes per read gives what the file gives.</summary>
    [Fact]
    public async Task A_trickling_stream_gives_the_same_packages()
    {
        foreach (var binary in SmallestGoBinaries())
        {
            await using var file = File.OpenRead(binary);
            var whole = await GoBuildInfo.ReadAsync(file, binary);

            await using var trickle = new ChunkedStream(File.OpenRead(binary), 7);
            var trickled = await GoBuildInfo.ReadAsync(trickle, binary);

            Assert.NotEmpty(whole);
            Assert.Equal(whole.Select(p => p.Purl), trickled.Select(p => p.Purl));
        }
    }

    /// <summary>
    /// The build information wherever it falls in the stream: at the start, and on every offset around the 1 MiB and
    /// 2 MiB marks where a reader working in chunks has to carry the magic (or the strings after it) over from one
    /// buffer to the next.
    /// </summary>
    [Fact]
    public async Task The_build_information_is_found_at_any_offset()
    {
        var binary = SmallestGoBinaries().FirstOrDefault();
        if (binary is null)
        {
            return;
        }

        var bytes = await File.ReadAllBytesAsync(binary);
        var magic = bytes.AsSpan().IndexOf(Magic);
        Assert.True(magic >= 0);
        var blob = bytes.AsSpan(magic, Math.Min(bytes.Length - magic, 1 << 20)).ToArray();
        var expected = (await GoBuildInfo.ReadAsync(new MemoryStream(bytes), binary)).Select(p => p.Purl).ToList();
        Assert.NotEmpty(expected);

        const int MiB = 1 << 20;
        var offsets = new List<int> { 0, 1, 7, 13, 14, 4096, MiB - 1, MiB, MiB + 1, 2 * MiB - 40_000, 2 * MiB - 100 };
        offsets.AddRange(Enumerable.Range(2 * MiB - 20, 24));
        offsets.AddRange(Enumerable.Range(4 * MiB - 40, 40));
        foreach (var offset in offsets)
        {
            var stream = new ChunkedStream(new PaddedStream(offset, blob), int.MaxValue);
            var actual = (await GoBuildInfo.ReadAsync(stream, binary)).Select(p => p.Purl).ToList();
            Assert.True(expected.SequenceEqual(actual), $"build information at offset {offset}: {actual.Count} packages instead of {expected.Count}");
        }
    }

    [Theory]
    [InlineData("/bin/ls")]
    [InlineData("/usr/bin/dpkg")]
    [InlineData("/etc/os-release")]
    public async Task A_file_that_is_not_a_go_binary_has_no_packages(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }

        await using var stream = File.OpenRead(path);
        Assert.Empty(await GoBuildInfo.ReadAsync(stream, path));
    }

    [Fact]
    public async Task An_empty_stream_and_a_dotnet_assembly_have_no_packages()
    {
        Assert.Empty(await GoBuildInfo.ReadAsync(new MemoryStream(), "/empty"));
        var assembly = typeof(GoBuildInfoTests).Assembly.Location;
        await using var stream = File.OpenRead(assembly);
        Assert.Empty(await GoBuildInfo.ReadAsync(stream, assembly));
    }

    /// <summary>A binary cut short inside its build information yields nothing rather than garbage or an exception.</summary>
    [Fact]
    public async Task A_truncated_build_information_has_no_packages()
    {
        var binary = SmallestGoBinaries().FirstOrDefault();
        if (binary is null)
        {
            return;
        }

        var bytes = await File.ReadAllBytesAsync(binary);
        var magic = bytes.AsSpan().IndexOf(Magic);
        foreach (var cut in new[] { 10, 31, 32, 33, 40 })
        {
            Assert.Empty(await GoBuildInfo.ReadAsync(new MemoryStream(bytes, 0, magic + cut), binary));
        }
    }

    private static readonly byte[] Magic = [0xff, .. " Go buildinf:"u8];

    private sealed record Oracle(string? Toolchain, (string Path, string Version)? Main, List<(string, string)> Deps, int DepLines);

    /// <summary><c>strings -a -n 3</c>: the line after <c>" Go buildinf:"</c> holds the toolchain, then come the module lines.</summary>
    private static Oracle StringsOracle(string binary)
    {
        string? toolchain = null;
        (string, string)? main = null;
        var deps = new List<(string, string)>();
        var depLines = 0;
        var state = 0; // 0 before the magic, 1 expecting the version, 2 before "path", 3 in the module lines
        Tool.Stream("strings", ["-a", "-n", "3", binary], line =>
        {
            switch (state)
            {
                case 0:
                    state = line == " Go buildinf:" ? 1 : 0;
                    return true;
                case 1:
                    toolchain = Regex.Match(line, @"go1\.\d+\S*").Value;
                    state = 2;
                    return true;
                case 2 when !line.StartsWith("path\t", StringComparison.Ordinal):
                    return true;
            }

            state = 3;
            var fields = line.Split('\t');
            switch (fields[0])
            {
                case "path" or "build":
                    return true;
                case "mod":
                    main = (fields[1], fields[2]);
                    return true;
                case "dep":
                    deps.Add((fields[1], fields[2]));
                    depLines++;
                    return true;
                case "=>":
                    deps[^1] = (fields[1], fields[2]);
                    return true;
                default:
                    return false; // the end of the module lines
            }
        });
        return new Oracle(string.IsNullOrEmpty(toolchain) ? null : toolchain, main, deps, depLines);
    }

    /// <summary>The smallest Go program here built in module mode (with dep lines), and the smallest without.</summary>
    private static List<string> SmallestGoBinaries()
    {
        var present = Candidates.Where(File.Exists).OrderBy(f => new FileInfo(f).Length).ToList();
        if (Tool.Find("strings") is null)
        {
            return present.Take(1).ToList();
        }

        var withDeps = present.FirstOrDefault(f => StringsOracle(f).DepLines > 0);
        var withoutDeps = present.FirstOrDefault(f => f != withDeps && StringsOracle(f).DepLines == 0);
        return new[] { withDeps, withoutDeps }.OfType<string>().ToList();
    }

    private static IEnumerable<string> Glob(string directory, string relative) =>
        Directory.Exists(directory)
            ? Directory.EnumerateDirectories(directory).Order(StringComparer.Ordinal).Select(d => Path.Combine(d, relative)).Where(File.Exists)
            : [];

    /// <summary>Returns at most <c>chunk</c> bytes per read, whatever was asked.</summary>
    private sealed class ChunkedStream(Stream inner, int chunk) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, chunk));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

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

    /// <summary><c>padding</c> bytes of 0xAA, then <c>content</c>.</summary>
    private sealed class PaddedStream(int padding, byte[] content) : Stream
    {
        private long position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => padding + content.Length;

        public override long Position { get => position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var written = 0;
            while (written < buffer.Length && position < Length)
            {
                if (position < padding)
                {
                    var n = (int)Math.Min(buffer.Length - written, padding - position);
                    buffer.Slice(written, n).Fill(0xAA);
                    written += n;
                    position += n;
                }
                else
                {
                    var start = (int)(position - padding);
                    var n = Math.Min(buffer.Length - written, content.Length - start);
                    content.AsSpan(start, n).CopyTo(buffer[written..]);
                    written += n;
                    position += n;
                }
            }

            return written;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
