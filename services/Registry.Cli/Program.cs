using Registry.Cli;
using Registry.Cli.Infrastructure;

return await CliApp.RunAsync(args, CliEnvironment.FromConsole());
