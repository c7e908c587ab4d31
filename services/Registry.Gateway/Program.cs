using Registry.Gateway;
using Registry.Security;

var builder = RegistryWebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddGateway();

var app = builder.Build();

app.UseRegistryFrontDoor();
app.MapDefaultEndpoints();
app.MapGateway();

app.Run();
