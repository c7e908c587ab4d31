using System.Net.Sockets;
using System.Text;

namespace Registry.Distribution.Tests;

/// <summary>Raw request lines (no client-side normalisation) that try to leave the data directory.</summary>
public sealed class PathTraversalTests(IsolatedRegistryFixture fixture) : IClassFixture<IsolatedRegistryFixture>
{
    private static readonly string Digest = OciClient.DigestOf([1, 2, 3]);

    public static TheoryData<string, string> Attempts() => new()
    {
        { "GET", "/v2/../secret.txt" },
        { "GET", "/v2/..%2f..%2fsecret.txt/tags/list" },
        { "GET", "/v2/%2e%2e/%2e%2e/tags/list" },
        { "GET", "/v2/repo/%2e%2e/%2e%2e/%2e%2e/%2e%2e/tags/list" },
        { "GET", "/v2/repo%2F..%2F..%2F..%2F..%2Fsecret/tags/list" },
        { "GET", "/v2/repo%5C..%5C..%5Csecret/tags/list" },
        { "GET", "/v2/%2e%2e%2f%2e%2e%2f%2e%2e%2fsecret/manifests/latest" },
        { "PUT", "/v2/repo/manifests/..%2F..%2F..%2F..%2Fsecret" },
        { "PUT", "/v2/repo/manifests/%2e%2e" },
        { "DELETE", "/v2/repo/manifests/..%2F..%2F..%2Fsecret.txt" },
        { "GET", "/v2/repo/blobs/sha256:..%2F..%2F..%2F..%2Fsecret.txt" },
        { "GET", "/v2/repo/blobs/sha256%3A..%2F..%2F..%2Fsecret.txt" },
        { "GET", "/v2/repo/blobs/sha256:aaaa/bbbb" },
        { "GET", "/v2/repo/blobs/sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%2F..%2F..%2F..%2F..%2Fsecret.txt" },
        { "DELETE", "/v2/repo/blobs/sha256:..%2F..%2F..%2F..%2F..%2F..%2Fsecret.txt" },
        { "POST", "/v2/repo/blobs/uploads/?mount=sha256:..%2F..%2Fsecret.txt&from=repo" },
        { "POST", $"/v2/repo/blobs/uploads/?mount={Digest}&from=..%2F..%2F..%2Fsecret" },
        { "POST", "/v2/repo/blobs/uploads/?digest=sha256:..%2F..%2F..%2Fsecret.txt" },
        { "POST", "/v2/..%2F..%2Fsecret/blobs/uploads/" },
        { "PATCH", "/v2/repo/blobs/uploads/..%2F..%2F..%2Fsecret.txt" },
        { "PUT", $"/v2/repo/blobs/uploads/..%2F..%2F..%2Fsecret.txt?digest={Digest}" },
        { "DELETE", "/v2/repo/blobs/uploads/..%2F..%2F..%2F..%2F..%2F" },
        { "GET", "/v2/repo/blobs/uploads/%2e%2e" },
        { "GET", "/v2/repo/referrers/sha256:..%2F..%2F..%2Fsecret.txt" },
        { "GET", "/v2/repo/manifests/latest%00" },
        { "GET", "/v2/repo%00/tags/list" },
    };

    [Theory]
    [MemberData(nameof(Attempts))]
    public async Task Traversal_attempts_are_refused_and_touch_nothing_outside_the_data_directory(string method, string target)
    {
        var secret = Path.Combine(fixture.Root, "secret.txt");
        await File.WriteAllTextAsync(secret, "top secret");
        var outsideBefore = Snapshot(fixture.Root, except: fixture.DataDirectory);
        var insideBefore = Snapshot(fixture.DataDirectory);

        var (status, response) = await SendRawAsync(fixture.App.BaseAddress, method, target, "{\"schemaVersion\":2}");

        Assert.True(status is >= 400 and < 500, $"{method} {target} answered {status}: {response}");
        Assert.DoesNotContain("top secret", response, StringComparison.Ordinal);
        Assert.Equal("top secret", await File.ReadAllTextAsync(secret));
        Assert.Equal(outsideBefore, Snapshot(fixture.Root, except: fixture.DataDirectory));
        Assert.Equal(insideBefore, Snapshot(fixture.DataDirectory));
    }

    /// <summary>Every entry under <paramref name="directory"/>, but the background passes' own bookkeeping (clean-up, usage).</summary>
    private static List<string> Snapshot(string directory, string? except = null) =>
        [.. Directory.EnumerateFileSystemEntries(directory, "*", SearchOption.AllDirectories)
            .Where(path => except is null || !path.StartsWith(except, StringComparison.Ordinal))
            .Where(path => !BackgroundBookkeeping.Any(part => path.Contains(part, StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal)];

    private static readonly string[] BackgroundBookkeeping = ["/cleanup", "/usage", "/_meta/pulls.json"];

    private static async Task<(int Status, string Response)> SendRawAsync(Uri server, string method, string target, string body)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        await using var stream = tcp.GetStream();
        var hasBody = method is "PUT" or "POST" or "PATCH";
        var request = new StringBuilder()
            .Append($"{method} {target} HTTP/1.1\r\n")
            .Append($"Host: {server.Host}:{server.Port}\r\n")
            .Append("Connection: close\r\n");
        if (hasBody)
        {
            request.Append("Content-Type: application/vnd.oci.image.manifest.v1+json\r\n").Append($"Content-Length: {body.Length}\r\n");
        }

        request.Append("\r\n");
        if (hasBody)
        {
            request.Append(body);
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync();
        var statusLine = response.Split("\r\n", 2)[0].Split(' ');
        return (int.Parse(statusLine[1], System.Globalization.CultureInfo.InvariantCulture), response);
    }
}
