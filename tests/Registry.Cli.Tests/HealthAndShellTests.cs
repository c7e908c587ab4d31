using System.Text.Json;
using Registry.Cli.Infrastructure;

namespace Registry.Cli.Tests;

[Collection(CliCollection.Name)]
public sealed class HealthAndShellTests(CliFixture fixture)
{
    [Fact]
    public async Task Check_health_passes_every_check_against_a_running_server()
    {
        var session = await fixture.AdminSessionAsync();
        var result = (await session.RunAsync("check-health")).AssertSuccess();

        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.All(lines, line => Assert.StartsWith("✓", line, StringComparison.Ordinal));
        var json = await session.JsonAsync("check-health");
        Assert.All(json.EnumerateArray(), check => Assert.True(check.GetProperty("ok").GetBoolean()));
    }

    [Fact]
    public async Task Check_health_fails_with_wrong_stored_credentials()
    {
        var session = await fixture.AdminSessionAsync();
        var config = ConfigStore.Load(session.ConfigPath);
        config.CurrentLogin!.Password = "changed-since";
        ConfigStore.Save(session.ConfigPath, config);

        var result = await session.RunAsync("check-health");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("✓ server reachable", result.Output, StringComparison.Ordinal);
        Assert.Contains("✗ credentials work", result.Output, StringComparison.Ordinal);
        Assert.Contains("✗ token obtainable", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_health_reports_an_unreachable_server()
    {
        var session = await fixture.AdminSessionAsync();
        var config = ConfigStore.Load(session.ConfigPath);
        config.CurrentLogin!.Url = $"http://127.0.0.1:{Registry.Testing.FreePort.Next()}/";
        ConfigStore.Save(session.ConfigPath, config);

        var result = await session.RunAsync("check-health");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("✗ server reachable: cannot reach", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_output_is_the_servers_json_and_table_output_has_aligned_columns()
    {
        var session = await fixture.AdminSessionAsync();
        var json = await session.JsonAsync("scope-map", "list");
        var names = json.GetProperty("value").EnumerateArray().Select(m => m.GetProperty("name").GetString()!).ToList();
        Assert.Contains("_repositories_pull", names);

        var lines = (await session.RunAsync("scope-map", "list")).AssertSuccess().Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("NAME", lines[0], StringComparison.Ordinal);
        var typeColumn = lines[0].IndexOf("TYPE", StringComparison.Ordinal);
        Assert.All(lines.Skip(1), line => Assert.Equal(' ', line[typeColumn - 1]));
        Assert.Equal(names.Count + 1, lines.Length);
    }

    [Fact]
    public async Task Completion_scripts_call_the_suggest_directive_which_answers()
    {
        var session = fixture.NewSession();
        foreach (var shell in new[] { "bash", "zsh", "pwsh" })
        {
            var script = (await session.RunAsync("completion", shell)).AssertSuccess();
            Assert.Contains("[suggest:", script.Output, StringComparison.Ordinal);
        }

        var suggestions = (await session.RunAsync("[suggest:20]", "registry repository ")).AssertSuccess();
        Assert.Contains("show-tags", suggestions.Output.Split('\n', StringSplitOptions.TrimEntries));
        var words = (await session.RunAsync("[suggest:12]", "registry rep")).AssertSuccess();
        Assert.Equal(["replication", "repository"], words.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task Parse_errors_exit_with_one()
    {
        var result = await fixture.NewSession().RunAsync("token", "show");
        Assert.Equal(1, result.ExitCode);
        Assert.NotEmpty(result.Error);
    }

    [Theory]
    [InlineData("app", "app", null, null)]
    [InlineData("team/app:v1", "team/app", "v1", null)]
    [InlineData("localhost:5000/app", "localhost:5000/app", null, null)]
    [InlineData("app@sha256:abc", "app", null, "sha256:abc")]
    public void Image_references_split_into_repository_tag_and_digest(string text, string repository, string? tag, string? digest) =>
        Assert.Equal(new ImageReference(repository, tag, digest), ImageReference.Parse(text));

    [Fact]
    public void Json_written_by_the_output_renderer_parses()
    {
        using var writer = new StringWriter();
        new Output(writer, OutputFormat.Json).Object(System.Text.Json.Nodes.JsonNode.Parse("""{"a":{"b":[1,2]}}"""));
        using var parsed = JsonDocument.Parse(writer.ToString());
        Assert.Equal(2, parsed.RootElement.GetProperty("a").GetProperty("b").GetArrayLength());
    }
}
