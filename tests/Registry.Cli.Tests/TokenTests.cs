using System.Net;
using System.Text;
using System.Text.Json;
using Registry.Testing;

namespace Registry.Cli.Tests;

[Collection(CliCollection.Name)]
public sealed class TokenTests(CliFixture fixture)
{
    [Fact]
    public async Task A_token_created_with_repository_actions_gets_a_docker_token_for_them()
    {
        var session = await fixture.AdminSessionAsync();
        var name = CliFixture.NewName("clitok");
        var repository = CliFixture.NewRepository("tok");

        var token = await session.JsonAsync("token", "create", name, "--repository", repository, "content/read", "content/write");
        var password = token.GetProperty("properties").GetProperty("credentials").GetProperty("passwords")[0].GetProperty("value").GetString()!;

        var map = await session.JsonAsync("scope-map", "show", $"{name}-scope-map");
        Assert.Equal(
            [$"repositories/{repository}/content/read", $"repositories/{repository}/content/write"],
            map.GetProperty("properties").GetProperty("actions").EnumerateArray().Select(a => a.GetString()!).Order().ToArray());

        // The token pushes with what it was granted.
        var docker = await OciImages.TokenAsync(fixture.Http, CliFixture.LoginServer, name, password, $"repository:{repository}:pull,push");
        await OciImages.PushAsync(fixture.Http, docker, repository, "v1");
        Assert.Equal(["pull", "push"], GrantedActions(docker, repository));

        var list = (await session.RunAsync("token", "list")).AssertSuccess();
        Assert.Matches($@"(?m)^{name}\s+\S*{name}-scope-map\s+enabled", list.Output);
    }

    [Fact]
    public async Task A_disabled_token_gets_no_token_and_a_new_password_works()
    {
        var session = await fixture.AdminSessionAsync();
        var map = CliFixture.NewName("climap");
        var name = CliFixture.NewName("clitok");
        var repository = CliFixture.NewRepository("tok");
        (await session.RunAsync("scope-map", "create", map, "--repository", repository, "content/read", "--description", "cli test")).AssertSuccess();
        (await session.RunAsync("token", "create", name, "--scope-map", map)).AssertSuccess();

        var generated = await session.JsonAsync("token", "credential", "generate", name, "--password2", "--expiration-in-days", "30");
        var password2 = generated.GetProperty("passwords").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "password2").GetProperty("value").GetString()!;
        await OciImages.TokenAsync(fixture.Http, CliFixture.LoginServer, name, password2, $"repository:{repository}:pull");

        var updated = await session.JsonAsync("token", "update", name, "--status", "disabled");
        Assert.Equal("disabled", updated.GetProperty("properties").GetProperty("status").GetString());
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() =>
            OciImages.TokenAsync(fixture.Http, CliFixture.LoginServer, name, password2, $"repository:{repository}:pull"));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        (await session.RunAsync("token", "delete", name)).AssertSuccess();
        (await session.RunAsync("token", "show", name)).AssertFailure(name);
    }

    [Fact]
    public async Task Scope_map_update_adds_and_removes_repository_actions()
    {
        var session = await fixture.AdminSessionAsync();
        var map = CliFixture.NewName("climap");
        (await session.RunAsync("scope-map", "create", map, "--repository", "app", "content/read", "content/write")).AssertSuccess();

        var updated = await session.JsonAsync("scope-map", "update", map, "--add-repository", "base", "metadata/read", "--remove-repository", "app", "content/write");
        Assert.Equal(
            ["repositories/app/content/read", "repositories/base/metadata/read"],
            updated.GetProperty("properties").GetProperty("actions").EnumerateArray().Select(a => a.GetString()!).Order().ToArray());
        Assert.Contains(map, (await session.RunAsync("scope-map", "list")).AssertSuccess().Output, StringComparison.Ordinal);

        (await session.RunAsync("scope-map", "create", map + "x", "--repository", "app")).AssertFailure("has no actions");
        (await session.RunAsync("scope-map", "delete", map)).AssertSuccess();
    }

    [Fact]
    public async Task A_system_scope_map_cannot_be_deleted_and_the_error_is_the_servers_problem()
    {
        var session = await fixture.AdminSessionAsync();
        var result = await session.RunAsync("scope-map", "delete", "_repositories_pull");

        Assert.Equal(1, result.ExitCode);
        Assert.Matches("^error: [^\n]+: [^\n]+", result.Error);
    }

    [Fact]
    public async Task Credential_show_lists_the_admin_passwords_and_renew_makes_a_new_one()
    {
        var session = await fixture.AdminSessionAsync();
        var shown = await session.JsonAsync("credential", "show");
        Assert.Equal(CliFixture.AdminUsername, shown.GetProperty("username").GetString());

        var renewed = await session.JsonAsync("credential", "renew", "--password-name", "password2");
        var value = renewed.GetProperty("passwords").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "password2").GetProperty("value").GetString()!;
        await OciImages.TokenAsync(fixture.Http, CliFixture.LoginServer, CliFixture.AdminUsername, value, "registry:catalog:*");

        (await session.RunAsync("credential", "renew", "--password-name", "password3")).AssertFailure("password3");
    }

    private static string[] GrantedActions(string jwt, string repository)
    {
        var payload = jwt.Split('.')[1].Replace('-', '+').Replace('_', '/');
        using var json = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '='))));
        return json.RootElement.GetProperty("access").EnumerateArray()
            .Single(a => a.GetProperty("name").GetString() == repository)
            .GetProperty("actions").EnumerateArray().Select(a => a.GetString()!).Order().ToArray();
    }
}
