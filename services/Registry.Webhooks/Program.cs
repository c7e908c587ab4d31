using Registry.Messaging;
using Registry.Security;
using Registry.Webhooks;

var builder = RegistryWebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddWebhooks();
builder.AddRegistryBus();

var app = builder.Build();

app.UseGatewayForwardedHeaders();
app.MapDefaultEndpoints();
app.MapWebhooks();

app.Run();
