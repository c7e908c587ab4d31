using System.Text.Json;

namespace Registry.Cli.Tests;

/// <summary>
/// Clean-up, usage and policies (ADR 0013): purge, purge rules, soft delete and restore, gc, usage and listUsages,
/// retention / soft-delete / immutable-tags policies. Needs the branches that add these APIs (cleanup, repo-metadata,
/// main) merged.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class CleanupTests(CliFixture fixture)
{
    [Fact]
    public async Task Purge_dry_run_lists_what_the_purge_then_deletes()
    {
        var session = await fixture.AdminSessionAsync();
        var repository = CliFixture.NewRepository("purge");
        var old = await fixture.PushAsync(repository, "old");
        await fixture.PushAsync(repository, "new");
        var filter = $"{repository.Replace("/", "\\/", StringComparison.Ordinal)}:.*";

        var plan = await session.JsonAsync("purge", "--filter", filter, "--ago", "0d", "--keep", "1", "--dry-run");
        Assert.True(plan.GetProperty("dryRun").GetBoolean());
        Assert.Equal([old], plan.GetProperty("deleted").EnumerateArray().Select(d => d.GetProperty("digest").GetString()!).ToArray());
        var table = (await session.RunAsync("purge", "--filter", filter, "--ago", "0d", "--keep", "1", "--dry-run")).AssertSuccess();
        Assert.StartsWith("Would delete 1 manifest(s)", table.Output, StringComparison.Ordinal);

        var done = await session.JsonAsync("purge", "--filter", filter, "--ago", "0d", "--keep", "1");
        Assert.Equal([old], done.GetProperty("deleted").EnumerateArray().Select(d => d.GetProperty("digest").GetString()!).ToArray());
        (await session.RunAsync("manifest", "show", $"{repository}@{old}")).AssertFailure("MANIFEST_UNKNOWN");
        (await session.RunAsync("purge", "--ago", "1d")).AssertFailure("--filter");
    }

    [Fact]
    public async Task Purge_rules_are_created_listed_and_deleted()
    {
        var session = await fixture.AdminSessionAsync();
        var name = CliFixture.NewName("clirule");

        var rule = await session.JsonAsync("purge", "rule", "create", name, "--filter", "app:.*", "--ago", "30d", "--untagged", "--schedule", "0 3 * * *");
        Assert.Equal("0 3 * * *", rule.GetProperty("schedule").GetString());
        Assert.Contains(name, (await session.RunAsync("purge", "rule", "list")).AssertSuccess().Output, StringComparison.Ordinal);
        (await session.RunAsync("purge", "rule", "delete", name)).AssertSuccess();
        (await session.RunAsync("purge", "rule", "show", name)).AssertFailure(name);
    }

    [Fact]
    public async Task A_soft_deleted_manifest_is_listed_and_restored()
    {
        var session = await fixture.AdminSessionAsync();
        (await session.RunAsync("config", "soft-delete", "update", "--days", "7", "--status", "enabled")).AssertSuccess();
        try
        {
            var repository = CliFixture.NewRepository("softdelete");
            var digest = await fixture.PushAsync(repository, "v1");
            (await session.RunAsync("manifest", "delete", $"{repository}:v1", "--yes")).AssertSuccess();

            var deleted = await session.JsonAsync("manifest", "list-deleted", "--repository", repository);
            Assert.Equal(digest, deleted.GetProperty("value").EnumerateArray().Single().GetProperty("digest").GetString());

            var restored = await session.JsonAsync("manifest", "restore", $"{repository}@{digest}");
            Assert.Equal(digest, restored.GetProperty("digest").GetString());
            Assert.Equal(2, (await session.JsonAsync("manifest", "show", $"{repository}:v1")).GetProperty("schemaVersion").GetInt32());
        }
        finally
        {
            (await session.RunAsync("config", "soft-delete", "update", "--status", "disabled")).AssertSuccess();
        }
    }

    [Fact]
    public async Task Policies_are_shown_and_updated()
    {
        var session = await fixture.AdminSessionAsync();
        var retention = await session.JsonAsync("config", "retention", "update", "--days", "14", "--status", "enabled");
        Assert.Equal(14, retention.GetProperty("days").GetInt32());
        Assert.Equal("enabled", (await session.JsonAsync("config", "retention", "show")).GetProperty("status").GetString());
        (await session.RunAsync("config", "retention", "update", "--status", "disabled")).AssertSuccess();

        var immutable = await session.JsonAsync("config", "immutable-tags", "update", "--status", "enabled");
        Assert.Equal("enabled", immutable.GetProperty("status").GetString());
        (await session.RunAsync("config", "immutable-tags", "update", "--status", "disabled")).AssertSuccess();
        (await session.RunAsync("config", "retention", "update")).AssertFailure("nothing to change");
    }

    [Fact]
    public async Task Gc_runs_and_reports_what_it_freed()
    {
        var session = await fixture.AdminSessionAsync();
        var dry = await session.JsonAsync("gc", "run", "--dry-run");
        Assert.True(dry.TryGetProperty("blobsDeleted", out _));
        var table = (await session.RunAsync("gc", "run")).AssertSuccess();
        Assert.Matches(@"(?m)^bytesFreed\s+\d+$", table.Output);
    }

    [Fact]
    public async Task Show_usage_lists_usage_against_limits_and_the_detail()
    {
        var session = await fixture.AdminSessionAsync();
        var repository = CliFixture.NewRepository("usage");
        await fixture.PushAsync(repository, "v1");

        var usages = await session.JsonAsync("show-usage");
        Assert.Contains(usages.GetProperty("value").EnumerateArray(), u => u.GetProperty("name").GetString() == "Size");
        var table = (await session.RunAsync("show-usage")).AssertSuccess();
        Assert.StartsWith("NAME", table.Output, StringComparison.Ordinal);

        // The figures of a pushed repository are recomputed a moment after the push (Usage:RecomputeDelay).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        JsonElement detail;
        do
        {
            detail = await session.JsonAsync("show-usage", "--detail");
            Assert.Equal(JsonValueKind.Object, detail.GetProperty("usage").GetProperty("storage").ValueKind);
        }
        while (!detail.GetProperty("usage").GetProperty("repositoryUsage").EnumerateArray().Any(r => r.GetProperty("name").GetString() == repository) &&
               DateTime.UtcNow < deadline && await Task.Delay(500).ContinueWith(_ => true));
        Assert.Contains(detail.GetProperty("usage").GetProperty("repositoryUsage").EnumerateArray(), r => r.GetProperty("name").GetString() == repository);
    }
}
