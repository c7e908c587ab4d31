using System.Text.Json;

namespace Registry.Cli.Tests;

[Collection(CliCollection.Name)]
public sealed class RegistryTests(CliFixture fixture)
{
    [Fact]
    public async Task Show_prints_the_current_registry_as_key_value_lines_or_json()
    {
        var session = await fixture.AdminSessionAsync();

        var table = (await session.RunAsync("show")).AssertSuccess();
        Assert.Matches(@"(?m)^name\s+default$", table.Output);
        Assert.Matches($@"(?m)^properties\.loginServer\s+{CliFixture.LoginServer.Replace(".", @"\.", StringComparison.Ordinal)}$", table.Output);

        var json = await session.JsonAsync("show");
        Assert.Equal("default", json.GetProperty("name").GetString());
        Assert.Equal(CliFixture.LoginServer, json.GetProperty("properties").GetProperty("loginServer").GetString());
    }

    [Fact]
    public async Task Update_changes_the_tier_and_a_refusal_carries_the_servers_problem()
    {
        var session = await fixture.AdminSessionAsync();
        try
        {
            // Registry-wide anonymous pull needs Standard or Premium: 409 ProblemDetails.
            (await session.RunAsync("update", "--sku", "Basic")).AssertSuccess();
            (await session.RunAsync("update", "--anonymous-pull-enabled", "true")).AssertFailure("anonymous pull needs the Standard or Premium tier");

            var updated = await session.JsonAsync("update", "--sku", "Standard", "--anonymous-pull-enabled", "true");
            Assert.Equal("Standard", updated.GetProperty("sku").GetProperty("name").GetString());
            Assert.True(updated.GetProperty("properties").GetProperty("anonymousPullEnabled").GetBoolean());
        }
        finally
        {
            (await session.RunAsync("update", "--anonymous-pull-enabled", "false", "--sku", "Premium")).AssertSuccess(); // the default registry's own tier, which other tests rely on
        }
    }

    [Fact]
    public async Task Delete_wants_yes()
    {
        var session = await fixture.AdminSessionAsync();
        (await session.RunAsync("delete", "default")).AssertFailure("pass --yes to confirm");
    }

    // ---- needs the registries lifecycle (branch merge): PUT/GET/DELETE /api/registries ----

    [Fact]
    public async Task Create_list_and_delete_a_registry()
    {
        var session = await fixture.AdminSessionAsync();
        var name = CliFixture.NewName("clireg");

        var created = await session.JsonAsync("create", name, "--sku", "Standard", "--admin-enabled", "--location", "local");
        Assert.Equal(name, created.GetProperty("name").GetString());
        Assert.Equal("Standard", created.GetProperty("sku").GetProperty("name").GetString());

        var list = await session.JsonAsync("list");
        Assert.Contains(list.GetProperty("value").EnumerateArray(), r => r.GetProperty("name").GetString() == name);
        var table = (await session.RunAsync("list")).AssertSuccess();
        Assert.Matches($@"(?m)^{name}\s+Standard\s+", table.Output);

        var shown = await session.JsonAsync("show", name);
        Assert.Equal(name, shown.GetProperty("name").GetString());

        (await session.RunAsync("delete", name, "--yes")).AssertSuccess();
        (await session.RunAsync("show", name)).AssertFailure(name);
    }

    [Fact]
    public async Task A_registry_other_than_the_logged_in_one_is_reached_with_dash_dash_registry()
    {
        var session = await fixture.AdminSessionAsync();
        var name = CliFixture.NewName("cliother");
        (await session.RunAsync("create", name, "--sku", "Basic")).AssertSuccess();
        try
        {
            var shown = await session.JsonAsync("show", "--registry", name);
            Assert.Equal(name, shown.GetProperty("name").GetString());
            var tokens = await session.JsonAsync("token", "list", "--registry", name);
            Assert.Equal(JsonValueKind.Array, tokens.GetProperty("value").ValueKind);
        }
        finally
        {
            (await session.RunAsync("delete", name, "--yes")).AssertSuccess();
        }
    }
}
