using System.Net;
using System.Text.Json;

namespace Registry.GeoReplication.Tests;

/// <summary>
/// Two processes bring the same new region up to date at the same moment: the home region's catch-up after the replica is
/// created and the replica region's own reconciliation. Their copy locks are per process while a copy's record
/// (<c>replication/copies/…</c>) is in the shared storage of the region, so one finds the other's upload half done and
/// takes it over; both must end well (the blob linked when the other completed it, else copied again) and say so.
/// </summary>
public sealed class ConcurrentCatchUpTests(OneAtATimeRegionsFixture fixture) : IClassFixture<OneAtATimeRegionsFixture>
{
    /// <summary>
    /// Far above replication's whole-copy size (1 MiB): every layer goes through a resumable upload both processes can
    /// find, and each copy lasts long enough (an append and its fsync) for the other process to arrive in the middle.
    /// </summary>
    private const int LayerBytes = 16 * 1024 * 1024;

    private static readonly string[] Tags = ["1", "2", "3", "4", "5", "6"];

    [Fact]
    public async Task Two_processes_reconciling_a_new_region_at_once_both_succeed_and_the_region_holds_every_image()
    {
        var repositories = Enumerable.Range(0, 2).Select(_ => GeoFixture.NewRepository("race")).Order(StringComparer.Ordinal).ToList();
        foreach (var repository in repositories)
        {
            foreach (var tag in Tags)
            {
                await TestImage.Create(LayerBytes).PushAsync(fixture.ClientA, repository, tag);
            }
        }

        // Creating the replica starts the home region's catch-up; the replica region reconciles on top of it at once (it
        // never looked at this registry's replicas before, so it reads the new record). Both go tag by tag in the same
        // order, the replica region a little behind: it meets the copies in progress.
        var created = await fixture.ClientA.ManageAsync(HttpMethod.Put, $"/replications/{GeoFixture.Replica}", new { location = GeoFixture.Replica });
        Assert.True(created.Status == HttpStatusCode.Created, created.Describe("PUT replication") + Environment.NewLine + fixture.Describe());
        var answers = await Task.WhenAll(
            fixture.ClientB.ManageAsync(HttpMethod.Post, "/replications/reconcile"),
            fixture.ClientA.ManageAsync(HttpMethod.Post, "/replications/reconcile"));

        foreach (var answer in answers)
        {
            Assert.True(answer.Status == HttpStatusCode.OK, answer.Describe("POST replications/reconcile") + Environment.NewLine + fixture.Describe());
            Assert.Equal(repositories.Count, answer.Json.GetProperty("repositories").GetInt32());
            Assert.True(
                answer.Json.GetProperty("failedRepositories").ValueKind == JsonValueKind.Array && answer.Json.GetProperty("failedRepositories").GetArrayLength() == 0,
                $"a reconciliation reported failed repositories: {answer.Text}{Environment.NewLine}{fixture.Describe()}");
        }

        await fixture.WaitForQuietAsync();
        foreach (var process in new[] { fixture.A, fixture.B })
        {
            Assert.False(process.Printed("Reconciling default/"), $"a reconciliation of a repository failed{Environment.NewLine}{fixture.Describe()}");
            Assert.False(process.Printed("Replicating a change of default"), $"a replication failed{Environment.NewLine}{fixture.Describe()}");
        }

        Assert.Equal(await GeoFixture.SnapshotAsync(fixture.ClientA), await GeoFixture.SnapshotAsync(fixture.ClientB));
        foreach (var repository in repositories)
        {
            Assert.Equal(Tags, await fixture.ClientB.TagsAsync(repository));
        }
    }
}
