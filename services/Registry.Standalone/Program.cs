using Registry.Standalone;

var command = Registry.Scanner.ScannerCommands.Parse(args, out var hostArgs);
var builder = RegistryWebApplication.CreateBuilder(hostArgs);

builder.AddStandalone(hostArgs);

var app = builder.Build();
if (command is not null)
{
    return await command.RunAsync(app);
}

app.MapStandalone();

app.Run();
return 0;

/// <summary>Entry point, visible to the test host.</summary>
public partial class Program;
