namespace Registry.Cli.Infrastructure;

/// <summary>
/// What one run of the CLI talks to: its output streams, its input (<c>--password-stdin</c>), where its configuration
/// lives, whether stderr is a terminal (progress is drawn only there) and, for tests, how it reaches servers.
/// </summary>
internal sealed record CliEnvironment(
    TextWriter Out, TextWriter Error, TextReader In, string ConfigPath, bool ErrorIsTerminal, HttpMessageHandler? Handler = null)
{
    public static CliEnvironment FromConsole() =>
        new(Console.Out, Console.Error, Console.In, ConfigStore.DefaultPath(), !Console.IsErrorRedirected);
}

/// <summary>A failure to report to the user as one line on stderr (exit code 1).</summary>
internal sealed class CliException : Exception
{
    public CliException()
    {
    }

    public CliException(string message, System.Net.HttpStatusCode status)
        : base(message)
    {
        Status = status;
    }

    public CliException(string message)
        : base(message)
    {
    }

    public CliException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The HTTP status of the server's refusal, when the failure is one.</summary>
    public System.Net.HttpStatusCode? Status { get; }
}
