using System.CommandLine;
using Registry.Cli.Infrastructure;

namespace Registry.Cli.Commands;

/// <summary>
/// <c>registry completion bash|zsh|pwsh</c>: a script that asks the CLI itself for completions through
/// System.CommandLine's <c>[suggest:&lt;position&gt;]</c> directive (what dotnet-suggest calls).
/// </summary>
internal static class CompletionCommands
{
    public const string Bash = """
        # registry completion for bash: source <(registry completion bash)
        _registry_complete() {
          local IFS=$'\n'
          COMPREPLY=( $(compgen -W "$(registry "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}") )
        }
        complete -o default -F _registry_complete registry
        """;

    public const string Zsh = """
        # registry completion for zsh: source <(registry completion zsh)
        _registry_complete() {
          local -a completions
          completions=("${(@f)$(registry "[suggest:${CURSOR}]" "${BUFFER}" 2>/dev/null)}")
          compadd -- "${completions[@]}"
        }
        compdef _registry_complete registry
        """;

    public const string PowerShell = """
        # registry completion for PowerShell: registry completion pwsh | Out-String | Invoke-Expression
        Register-ArgumentCompleter -Native -CommandName registry -ScriptBlock {
            param($wordToComplete, $commandAst, $cursorPosition)
            registry "[suggest:$cursorPosition]" "$commandAst" | ForEach-Object {
                [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
            }
        }
        """;

    public static Command Create(CliRuntime cli)
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh or pwsh" };
        shell.AcceptOnlyFromAmong("bash", "zsh", "pwsh");
        return cli.Action(CliRuntime.Command("completion", "Print a shell completion script", shell), (context, _) =>
        {
            context.Environment.Out.WriteLine(context.Value(shell) switch
            {
                "bash" => Bash,
                "zsh" => Zsh,
                _ => PowerShell,
            });
            return Task.CompletedTask;
        });
    }
}
