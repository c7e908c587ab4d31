using System.Text.Json;
using Registry.Testing;

namespace Registry.Cli.Tests;

[Collection(CliCollection.Name)]
public sealed class LoginTests(CliFixture fixture)
{
    [Fact]
    public async Task Login_checks_the_credentials_and_stores_them_readable_by_the_owner_only()
    {
        var session = fixture.NewSession();
        var result = (await session.RunAsync("login", fixture.Server, "-u", CliFixture.AdminUsername, "-p", CliFixture.AdminPassword)).AssertSuccess();

        Assert.Contains("Login succeeded", result.Output, StringComparison.Ordinal);
        Assert.Contains("'default'", result.Output, StringComparison.Ordinal);
        using var config = JsonDocument.Parse(await File.ReadAllTextAsync(session.ConfigPath));
        var login = config.RootElement.GetProperty("servers").GetProperty(fixture.Server);
        Assert.Equal("default", login.GetProperty("registry").GetString());
        Assert.Equal(CliFixture.LoginServer, login.GetProperty("loginServer").GetString());
        Assert.Equal(CliFixture.AdminPassword, login.GetProperty("password").GetString());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(session.ConfigPath));
        }
    }

    [Fact]
    public async Task Login_with_a_wrong_password_fails_with_the_servers_message_and_stores_nothing()
    {
        var session = fixture.NewSession();
        var result = await session.RunAsync("login", fixture.Server, "-u", CliFixture.AdminUsername, "-p", "not-the-password");

        result.AssertFailure($"login to {fixture.Server} failed:");
        Assert.False(File.Exists(session.ConfigPath));
    }

    [Fact]
    public async Task Login_reads_the_password_from_stdin()
    {
        var session = fixture.NewSession();
        (await session.RunWithInputAsync(CliFixture.AdminPassword + "\n", "login", fixture.Server, "-u", CliFixture.AdminUsername, "--password-stdin")).AssertSuccess();

        (await session.RunAsync("show")).AssertSuccess();
    }

    [Fact]
    public async Task Logout_forgets_the_server_and_commands_then_ask_for_a_login()
    {
        var session = await fixture.AdminSessionAsync();
        (await session.RunAsync("logout")).AssertSuccess();

        (await session.RunAsync("show")).AssertFailure("not logged in");
        (await session.RunAsync("logout")).AssertFailure("not logged in");
    }

    [Fact]
    public async Task A_server_that_does_not_listen_is_reported_as_unreachable()
    {
        var server = $"127.0.0.1:{FreePort.Next()}";
        var result = await fixture.NewSession().RunAsync("login", server, "-u", "admin", "-p", "x");

        result.AssertFailure($"cannot reach {server}: is it running?");
    }

    [Fact]
    public async Task Commands_need_a_login_first()
    {
        (await fixture.NewSession().RunAsync("token", "list")).AssertFailure("not logged in: run `registry login");
    }
}
