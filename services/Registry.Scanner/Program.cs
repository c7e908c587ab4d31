using Registry.Messaging;
using Registry.Scanner;
using Registry.Security;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddScanner();
builder.AddRegistryBus();

var app = builder.Build();

app.UseGatewayForwardedHeaders();
app.MapDefaultEndpoints();
app.MapScanner();

app.Run();
