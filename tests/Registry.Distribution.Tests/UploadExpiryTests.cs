using System.Net;
using Registry.Distribution.Cleanup;
using Registry.Storage;
using Registry.Storage.FileSystem;

namespace Registry.Distribution.Tests;

/// <summary>The clean-up pass deletes uploads nothing was written to for <c>Cleanup:UploadExpiry</c>, and only those.</summary>
public sealed class UploadExpiryTests : IAsyncLifetime
{
    private readonly CleanupHost _host = new(new Dictionary<string, string?> { ["Cleanup:UploadExpiry"] = "01:00:00" });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Uploads_left_unfinished_past_the_expiry_are_deleted_and_recent_ones_finish_normally()
    {
        var repository = OciClient.NewRepository("uploads");
        var abandoned = await StartAsync(repository, OciClient.RandomBytes(100));
        var empty = await StartAsync(repository, null);
        var recent = await StartAsync(repository, OciClient.RandomBytes(100));
        var withoutInfo = await StartAsync(repository, OciClient.RandomBytes(100));
        var recentContent = OciClient.RandomBytes(50);

        // Age them on disk: the abandoned and the empty upload were last written two hours ago; the recent one was
        // started two hours ago but written to just now.
        var root = ((FileSystemStorageDriver)_host.Service<IStorageDriverFactory>().ForRegistry("default")).RootDirectory;
        var old = DateTime.UtcNow.AddHours(-2);
        File.SetLastWriteTimeUtc(Path.Combine(root, StoragePaths.UploadInfo(abandoned.Id)), old);
        File.SetLastWriteTimeUtc(Path.Combine(root, StoragePaths.UploadData(abandoned.Id)), old);
        File.SetLastWriteTimeUtc(Path.Combine(root, StoragePaths.UploadInfo(empty.Id)), old);
        File.SetLastWriteTimeUtc(Path.Combine(root, StoragePaths.UploadInfo(recent.Id)), old);
        // A process that died between writing an upload's data and its info leaves data alone: its age decides.
        File.Delete(Path.Combine(root, StoragePaths.UploadInfo(withoutInfo.Id)));
        File.SetLastWriteTimeUtc(Path.Combine(root, StoragePaths.UploadData(withoutInfo.Id)), old);

        await _host.Service<CleanupService>().RunPassAsync("default", force: true, CancellationToken.None);

        foreach (var gone in new[] { abandoned, empty })
        {
            using var status = await _host.Client.SendAsync(HttpMethod.Get, gone.Location);
            await OciClient.AssertErrorAsync(status, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
            Assert.False(Directory.Exists(Path.Combine(root, StoragePaths.Upload(gone.Id))), $"upload {gone.Id} is still on disk");
        }

        Assert.False(Directory.Exists(Path.Combine(root, StoragePaths.Upload(withoutInfo.Id))), "the upload without info is still on disk");

        using (var status = await _host.Client.SendAsync(HttpMethod.Get, recent.Location))
        {
            Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
            Assert.Equal("0-99", OciClient.Header(status, "Range"));
        }

        var whole = recent.Content!.Concat(recentContent).ToArray();
        var separator = recent.Location.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        using var put = await _host.Client.SendAsync(
            HttpMethod.Put,
            $"{recent.Location}{separator}digest={Uri.EscapeDataString(OciClient.DigestOf(whole))}",
            new ByteArrayContent(recentContent));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }

    private async Task<Upload> StartAsync(string repository, byte[]? content)
    {
        using var start = await _host.Client.SendAsync(HttpMethod.Post, $"/v2/{repository}/blobs/uploads/");
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var location = start.Headers.Location!.OriginalString;
        var id = OciClient.Header(start, "Docker-Upload-UUID")!;
        if (content is not null)
        {
            using var patch = await _host.Client.SendAsync(HttpMethod.Patch, location, new ByteArrayContent(content));
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            location = patch.Headers.Location!.OriginalString;
        }

        return new Upload(id, location, content);
    }

    private sealed record Upload(string Id, string Location, byte[]? Content);
}
