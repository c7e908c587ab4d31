using System.CommandLine;
using Registry.Cli.Infrastructure;

namespace Registry.Cli.Commands;

/// <summary><c>registry credential show|renew</c>: the admin user's passwords.</summary>
internal static class CredentialCommands
{
    public static Command Create(CliRuntime cli)
    {
        var show = cli.Action(CliRuntime.Command("show", "Show the admin user's name and its passwords' names and ages (values are shown only when made)"),
            async (context, cancellationToken) =>
                context.Output.Object(await context.Client.ManageAsync(HttpMethod.Post, "/listCredentials", cancellationToken: cancellationToken)));

        var name = new Option<string>("--password-name") { Description = "password or password2", Required = true };
        name.AcceptOnlyFromAmong("password", "password2");
        var renew = cli.Action(CliRuntime.Command("renew", "Make a new value for one of the admin user's passwords; shown once", name), async (context, cancellationToken) =>
            context.Output.Object(await context.Client.ManageAsync(
                HttpMethod.Post, "/regenerateCredential", Resources.Given(("name", context.Value(name))), cancellationToken)));
        return CliRuntime.Group("credential", "The admin user's credentials", show, renew);
    }
}
