using Registry.Messaging;
using Registry.Scanner;
using Registry.Security;

var command = ScannerCommands.Parse(args, out var hostArgs);
var builder = RegistryWebApplication.CreateBuilder(hostArgs);

builder.AddServiceDefaults();
builder.AddScanner();
builder.AddRegistryBus();

var app = builder.Build();
if (command is not null)
{
    return await command.RunAsync(app);
}

app.UseGatewayForwardedHeaders();
app.MapDefaultEndpoints();
app.MapScanner();

app.Run();
return 0;
