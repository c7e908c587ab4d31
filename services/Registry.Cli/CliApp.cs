using System.CommandLine;
using Registry.Cli.Commands;
using Registry.Cli.Infrastructure;

namespace Registry.Cli;

/// <summary>The <c>registry</c> command tree, shaped after <c>az acr</c>, and its entry point (also what the tests call).</summary>
internal static class CliApp
{
    public static async Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken = default)
    {
        var root = Build(new CliRuntime(environment));
        var invocation = new InvocationConfiguration { Output = environment.Out, Error = environment.Error };
        return await root.Parse(args).InvokeAsync(invocation, cancellationToken);
    }

    public static RootCommand Build(CliRuntime cli)
    {
        var root = new RootCommand("registry: manage container registries, their repositories, tokens, webhooks, imports and clean-up")
        {
            cli.OutputOption,
            cli.RegistryOption,
        };
        Command[] commands =
        [
            .. LoginCommands.Create(cli),
            .. RegistryCommands.Create(cli),
            RepositoryCommands.Create(cli),
            ManifestCommands.Create(cli),
            TokenCommands.Create(cli),
            ScopeMapCommands.Create(cli),
            CredentialCommands.Create(cli),
            WebhookCommands.Create(cli),
            ReplicationCommands.Create(cli),
            ImportCommand.Create(cli),
            PurgeCommands.Create(cli),
            ConfigCommands.Create(cli),
            MaintenanceCommands.Gc(cli),
            MaintenanceCommands.ShowUsage(cli),
            HealthCommands.Create(cli),
            CompletionCommands.Create(cli),
        ];
        foreach (var command in commands)
        {
            root.Add(command);
        }

        return root;
    }
}
