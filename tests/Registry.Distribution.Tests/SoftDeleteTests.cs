using System.Net;
using Registry.Distribution.Cleanup;
using Registry.Security;

namespace Registry.Distribution.Tests;

/// <summary>Soft delete: a deleted manifest is listed, keeps its blobs through garbage collection, and is restored with its tags.</summary>
public sealed class SoftDeleteTests : IAsyncLifetime
{
    private readonly CleanupHost _host = new() { Policies = new RegistryPolicies { SoftDeleteDays = 7 } };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_deleted_manifest_is_listed_survives_garbage_collection_and_is_restored_with_its_tags()
    {
        var repository = OciClient.NewRepository("soft");
        var image = await _host.Client.PushImageAsync(repository, "v1");
        using (var tagged = await _host.Client.PutManifestAsync(repository, "latest", image.Manifest, image.MediaType))
        {
            Assert.Equal(HttpStatusCode.Created, tagged.StatusCode);
        }

        using (var deleted = await _host.Client.SendAsync(HttpMethod.Delete, $"/v2/{repository}/manifests/{image.Digest}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, await _host.ManifestStatusAsync(repository, "v1"));
        var listed = await _host.ManageAsync(HttpMethod.Get, $"deleted?repository={repository}");
        var entry = Assert.Single(listed.GetProperty("value").EnumerateArray());
        Assert.Equal(image.Digest, entry.GetProperty("digest").GetString());
        Assert.Equal(["latest", "v1"], entry.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.True(entry.GetProperty("expiresAt").GetDateTimeOffset() > entry.GetProperty("deletedAt").GetDateTimeOffset().AddDays(6));

        // Every blob is older than this cut-off, yet the soft-deleted manifest's blobs are kept.
        await _host.Service<CleanupService>().CollectAsync("default", dryRun: false, DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None);

        var restored = await _host.ManageAsync(HttpMethod.Post, "deleted/restore", new { repository, digest = image.Digest });
        Assert.Equal(image.Digest, restored.GetProperty("digest").GetString());
        await _host.AssertPullableAsync(repository, image);
        Assert.Equal(HttpStatusCode.OK, await _host.ManifestStatusAsync(repository, "v1"));
        Assert.Equal(HttpStatusCode.OK, await _host.ManifestStatusAsync(repository, "latest"));
        Assert.Empty((await _host.ManageAsync(HttpMethod.Get, $"deleted?repository={repository}")).GetProperty("value").EnumerateArray());
    }

    [Fact]
    public async Task Restoring_over_a_moved_tag_is_a_conflict_unless_forced()
    {
        var repository = OciClient.NewRepository("soft");
        var first = await _host.Client.PushImageAsync(repository, "v1");
        using (await _host.Client.SendAsync(HttpMethod.Delete, $"/v2/{repository}/manifests/{first.Digest}"))
        {
        }

        var second = await _host.Client.PushImageAsync(repository, "v1");
        await _host.ManageAsync(HttpMethod.Post, "deleted/restore", new { repository, tag = "v1" }, HttpStatusCode.Conflict);
        Assert.Equal(HttpStatusCode.OK, await _host.ManifestStatusAsync(repository, second.Digest));

        await _host.ManageAsync(HttpMethod.Post, "deleted/restore", new { repository, tag = "v1", force = true });
        using var moved = await _host.Client.SendAsync(HttpMethod.Head, $"/v2/{repository}/manifests/v1", configure: r => r.Headers.Accept.ParseAdd(OciClient.OciManifest));
        Assert.Equal(first.Digest, OciClient.Header(moved, "Docker-Content-Digest"));
        await _host.AssertPullableAsync(repository, first);
    }

    [Fact]
    public async Task A_deleted_repository_can_be_restored_manifest_by_manifest_with_its_layers()
    {
        var repository = OciClient.NewRepository("soft");
        var image = await _host.Client.PushImageAsync(repository, "v1");
        using (var deleted = await _host.Client.SendAsync(HttpMethod.Delete, $"/acr/v1/{repository}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, await _host.ManifestStatusAsync(repository, "v1"));
        await _host.ManageAsync(HttpMethod.Post, "deleted/restore", new { repository, digest = image.Digest });
        await _host.AssertPullableAsync(repository, image);
        Assert.Equal(HttpStatusCode.OK, await _host.ManifestStatusAsync(repository, "v1"));
    }

    [Fact]
    public async Task Expired_entries_are_removed_by_the_clean_up_pass()
    {
        var repository = OciClient.NewRepository("soft");
        var kept = await _host.Client.PushImageAsync(repository, "kept");
        var expiring = await _host.Client.PushImageAsync(repository, "expiring");
        foreach (var image in new[] { kept, expiring })
        {
            using (await _host.Client.SendAsync(HttpMethod.Delete, $"/v2/{repository}/manifests/{image.Digest}"))
            {
            }
        }

        var driver = _host.Service<Registry.Storage.IStorageDriverFactory>().ForRegistry("default");
        var record = await SoftDeleteRecords.ReadAsync(driver, repository, Registry.Oci.Digest.Parse(expiring.Digest), CancellationToken.None);
        await SoftDeleteRecords.WriteAsync(driver, record! with { ExpiresAt = DateTimeOffset.UtcNow.AddSeconds(-1) }, CancellationToken.None);

        await _host.Service<CleanupService>().RunPassAsync("default", force: true, CancellationToken.None);

        var left = await _host.Service<SoftDeleteService>().ListAsync("default", repository, CancellationToken.None);
        Assert.Equal([kept.Digest], left.Select(entry => entry.Digest));
        var runs = await _host.ManageAsync(HttpMethod.Get, "cleanup/runs");
        Assert.Contains(runs.GetProperty("value").EnumerateArray(), run => run.GetProperty("kind").GetString() == CleanupRun.ExpiryKind
            && run.GetProperty("expired").EnumerateArray().Any(e => e.GetProperty("digest").GetString() == expiring.Digest));
    }
}
