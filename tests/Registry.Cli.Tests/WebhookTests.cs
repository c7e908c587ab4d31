namespace Registry.Cli.Tests;

[Collection(CliCollection.Name)]
public sealed class WebhookTests(CliFixture fixture)
{
    [Fact]
    public async Task Create_list_update_ping_and_delete_a_webhook()
    {
        var session = await fixture.AdminSessionAsync();
        var name = CliFixture.NewName("cliwh");
        // Nothing listens there: the ping is tried and fails, which the answer reports.
        var uri = $"http://127.0.0.1:{Registry.Testing.FreePort.Next()}/hook";

        var created = await session.JsonAsync("webhook", "create", name, "--uri", uri, "--actions", "push", "delete", "--scope", "app:*", "--headers", "X-Test=1");
        Assert.Equal(["push", "delete"], created.GetProperty("properties").GetProperty("actions").EnumerateArray().Select(a => a.GetString()!).ToArray());
        Assert.Matches($@"(?m)^{name}\s+enabled\s+push, delete\s+app:\*", (await session.RunAsync("webhook", "list")).AssertSuccess().Output);

        var updated = await session.JsonAsync("webhook", "update", name, "--status", "disabled");
        Assert.Equal("disabled", updated.GetProperty("properties").GetProperty("status").GetString());

        var ping = await session.JsonAsync("webhook", "ping", name);
        Assert.True(ping.TryGetProperty("id", out _));
        (await session.RunAsync("webhook", "list-events", name, "--top", "5")).AssertSuccess();

        (await session.RunAsync("webhook", "delete", name)).AssertSuccess();
        (await session.RunAsync("webhook", "show", name)).AssertFailure(name);
        (await session.RunAsync("webhook", "create", name, "--uri", uri)).AssertFailure("--actions");
        (await session.RunAsync("webhook", "create", name, "--uri", uri, "--actions", "push", "--headers", "nonsense")).AssertFailure("use Name=value");
    }

    [Fact]
    public async Task Replication_list_answers_and_a_refused_create_carries_the_servers_problem()
    {
        var session = await fixture.AdminSessionAsync();
        var list = await session.JsonAsync("replication", "list");
        Assert.Equal(System.Text.Json.JsonValueKind.Array, list.GetProperty("value").ValueKind);
        (await session.RunAsync("replication", "create", "westreplica", "--location", "westeurope")).AssertFailure("Invalid request: location 'westeurope'");
    }
}
