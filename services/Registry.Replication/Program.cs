using Registry.Messaging;
using Registry.Replication;
using Registry.Security;

var builder = RegistryWebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddReplication();
builder.AddRegistryBus();

var app = builder.Build();

app.UseGatewayForwardedHeaders();
app.MapDefaultEndpoints();
app.MapReplication();

app.Run();
