using Registry.Auth;
using Registry.Security;

var builder = RegistryWebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAuth();

var app = builder.Build();

app.UseGatewayForwardedHeaders();
app.MapDefaultEndpoints();
app.MapAuth();

app.Run();
