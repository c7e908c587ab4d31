using System.CommandLine;
using System.CommandLine.Parsing;

namespace Registry.Cli.Infrastructure;

/// <summary>
/// What every command shares: the environment, the options every command takes (<c>--output</c>, <c>--registry</c>),
/// and the wrapper that runs an action and turns a <see cref="CliException"/> into a message on stderr and exit code 1.
/// </summary>
internal sealed class CliRuntime(CliEnvironment environment)
{
    public CliEnvironment Environment => environment;

    public Option<OutputFormat> OutputOption { get; } = new("--output", "-o")
    {
        Description = "Output format: table (default) or json (the server's JSON, indented)",
        HelpName = "table|json",
        Recursive = true,
        DefaultValueFactory = _ => OutputFormat.Table,
    };

    public Option<string?> RegistryOption { get; } = new("--registry")
    {
        Description = "The registry to act on (default: the one the logged-in server's host reaches)",
        Recursive = true,
    };

    /// <summary>Sets <paramref name="command"/>'s action; returns the command for collection initializers.</summary>
    public Command Action(Command command, Func<CommandContext, CancellationToken, Task<int>> action)
    {
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CommandContext(this, parse);
            try
            {
                return await action(context, cancellationToken);
            }
            catch (CliException ex)
            {
                await environment.Error.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary><see cref="Action(Command, Func{CommandContext, CancellationToken, Task{int}})"/> for actions that succeed with exit code 0.</summary>
    public Command Action(Command command, Func<CommandContext, CancellationToken, Task> action) =>
        Action(command, async (context, cancellationToken) =>
        {
            await action(context, cancellationToken);
            return 0;
        });

    /// <summary>A command with its arguments and options.</summary>
    public static Command Command(string name, string description, params Symbol[] symbols)
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Option option:
                    command.Add(option);
                    break;
                case Argument argument:
                    command.Add(argument);
                    break;
                case Command child:
                    command.Add(child);
                    break;
                default:
                    throw new ArgumentException($"cannot add {symbol.GetType().Name}", nameof(symbols));
            }
        }

        return command;
    }

    /// <summary>A group of subcommands (no action of its own: help is shown).</summary>
    public static Command Group(string name, string description, params Command[] commands) => Command(name, description, commands);

    /// <summary>An option taking <c>true</c> or <c>false</c> (a bare flag means true); absent means "leave as it is".</summary>
    public static Option<bool?> Switch(string name, string description) => new(name) { Description = description, Arity = ArgumentArity.ZeroOrOne };

    /// <summary>A repeatable option taking one or more values per occurrence.</summary>
    public static Option<string[]> Many(string name, string description, params string[] aliases) =>
        new(name, aliases) { Description = description, AllowMultipleArgumentsPerToken = true };

    public static Argument<string> Name(string name, string description) => new(name) { Description = description };
}

/// <summary>One command's run: its parsed values, its output and (opened on first use) the client of the logged-in server.</summary>
internal sealed class CommandContext(CliRuntime runtime, ParseResult parse) : IDisposable
{
    private RegistryClient? _client;

    public CliEnvironment Environment => runtime.Environment;

    public Output Output { get; } = new(runtime.Environment.Out, parse.GetValue(runtime.OutputOption));

    /// <summary>The <c>--registry</c> given, or null.</summary>
    public string? RegistryOverride => parse.GetValue(runtime.RegistryOption);

    public T? Value<T>(Option<T> option) => parse.GetValue(option);

    public T Value<T>(Argument<T> argument) => parse.GetValue(argument)!;

    public bool Has(Option option) => parse.GetResult(option) is { Implicit: false };

    /// <summary>The client of the current login, for <c>--registry</c> or the registry the server's host reaches.</summary>
    public RegistryClient Client => _client ??= Connect();

    public Progress Progress(string label) => new(Environment, label);

    public void Dispose() => _client?.Dispose();

    private RegistryClient Connect()
    {
        var config = ConfigStore.Load(Environment.ConfigPath);
        var login = config.CurrentLogin
            ?? throw new CliException("not logged in: run `registry login <server> -u <user> -p <password>` first");
        var registry = RegistryOverride ?? login.Registry;
        var other = !string.Equals(registry, login.HostRegistry ?? login.Registry, StringComparison.Ordinal);
        return new RegistryClient(Environment, new Uri(login.Url), registry, login.Username, login.Password, login.LoginServer, other);
    }
}
