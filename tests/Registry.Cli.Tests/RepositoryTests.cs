using System.Text.Json;

namespace Registry.Cli.Tests;

[Collection(CliCollection.Name)]
public sealed class RepositoryTests(CliFixture fixture)
{
    [Fact]
    public async Task Repository_list_shows_what_was_pushed_and_delete_removes_it()
    {
        var session = await fixture.AdminSessionAsync();
        var repository = CliFixture.NewRepository("list");
        await fixture.PushAsync(repository, "v1");
        await fixture.PushAsync(repository, "v2");

        var table = (await session.RunAsync("repository", "list")).AssertSuccess();
        Assert.StartsWith("REPOSITORY", table.Output, StringComparison.Ordinal);
        Assert.Contains(table.Output.Split('\n'), line => line.Trim() == repository);
        var json = await session.JsonAsync("repository", "list");
        Assert.Contains(json.GetProperty("repositories").EnumerateArray(), r => r.GetString() == repository);

        (await session.RunAsync("repository", "delete", repository)).AssertFailure("pass --yes");
        var deleted = (await session.RunAsync("repository", "delete", repository, "--yes")).AssertSuccess();
        Assert.Contains("2 manifest(s), 2 tag(s)", deleted.Output, StringComparison.Ordinal);
        Assert.DoesNotContain((await session.JsonAsync("repository", "list")).GetProperty("repositories").EnumerateArray(), r => r.GetString() == repository);
        (await session.RunAsync("repository", "delete", repository, "--yes")).AssertFailure("NAME_UNKNOWN: ");
    }

    [Fact]
    public async Task Manifest_show_prints_the_manifest_and_delete_removes_it_by_tag()
    {
        var session = await fixture.AdminSessionAsync();
        var repository = CliFixture.NewRepository("manifest");
        var digest = await fixture.PushAsync(repository, "v1");

        var manifest = await session.JsonAsync("manifest", "show", $"{repository}:v1");
        Assert.Equal(2, manifest.GetProperty("schemaVersion").GetInt32());
        var table = (await session.RunAsync("manifest", "show", $"{repository}@{digest}")).AssertSuccess();
        Assert.Matches(@"(?m)^config\.digest\s+sha256:[0-9a-f]{64}$", table.Output);

        var referrers = await session.JsonAsync("manifest", "list-referrers", $"{repository}:v1");
        Assert.Empty(referrers.GetProperty("manifests").EnumerateArray());

        (await session.RunAsync("manifest", "delete", $"{repository}:v1", "--yes")).AssertSuccess();
        (await session.RunAsync("manifest", "show", $"{repository}@{digest}")).AssertFailure("MANIFEST_UNKNOWN: ");
        (await session.RunAsync("manifest", "delete", $"{repository}:v1", "--yes")).AssertFailure("MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task Manifest_commands_want_a_tag_or_digest()
    {
        var session = await fixture.AdminSessionAsync();
        (await session.RunAsync("manifest", "show", "just-a-repository")).AssertFailure("names no image");
    }

    // ---- needs the ACR repository API (branch repo-metadata merged): /acr/v1/{repo}, _tags, _manifests ----

    [Fact]
    public async Task Show_tags_lists_tags_newest_first_with_details()
    {
        var session = await fixture.AdminSessionAsync();
        var repository = CliFixture.NewRepository("tags");
        var first = await fixture.PushAsync(repository, "v1");
        await fixture.PushAsync(repository, "v2");

        var names = (await session.RunAsync("repository", "show-tags", repository, "--orderby", "time_desc")).AssertSuccess();
        Assert.Equal(["TAG", "v2", "v1"], names.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var top = await session.JsonAsync("repository", "show-tags", repository, "--orderby", "time_asc", "--top", "1");
        Assert.Equal("v1", top.GetProperty("tags").EnumerateArray().Single().GetProperty("name").GetString());
        var detail = (await session.RunAsync("repository", "show-tags", repository, "--detail")).AssertSuccess();
        Assert.Matches($@"(?m)^v1\s+{first}\s+", detail.Output);

        var shown = await session.JsonAsync("repository", "show", repository);
        Assert.Equal(2, shown.GetProperty("tagCount").GetInt32());
        var manifests = await session.JsonAsync("manifest", "list", repository);
        Assert.Contains(manifests.GetProperty("manifests").EnumerateArray(), m => m.GetProperty("digest").GetString() == first);
    }

    [Fact]
    public async Task Update_locks_a_tag_and_untag_removes_one()
    {
        var session = await fixture.AdminSessionAsync();
        var repository = CliFixture.NewRepository("locks");
        await fixture.PushAsync(repository, "v1");
        await fixture.PushAsync(repository, "v2");

        var locked = await session.JsonAsync("repository", "update", "--image", $"{repository}:v1", "--write-enabled", "false", "--delete-enabled", "false");
        Assert.False(locked.GetProperty("tag").GetProperty("changeableAttributes").GetProperty("writeEnabled").GetBoolean());
        (await session.RunAsync("repository", "untag", $"{repository}:v1")).AssertFailure("DENIED: ");

        (await session.RunAsync("repository", "untag", $"{repository}:v2")).AssertSuccess();
        var tags = await session.JsonAsync("repository", "show-tags", repository);
        Assert.Equal(["v1"], tags.GetProperty("tags").EnumerateArray().Select(t => t.GetProperty("name").GetString()!).ToArray());

        var immutable = await session.JsonAsync("repository", "update", repository, "--immutable-tags", "true");
        Assert.True(immutable.GetProperty("immutableTags").GetBoolean());
        (await session.RunAsync("repository", "update", repository)).AssertFailure("nothing to change");
    }
}
