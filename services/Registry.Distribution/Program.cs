using Registry.Distribution;
using Registry.Distribution.Apis;
using Registry.Messaging;

var builder = RegistryWebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddDistribution();
builder.AddRegistryBus();

var app = builder.Build();

app.UseGatewayForwardedHeaders();
app.MapDefaultEndpoints();
app.MapDistributionApi();
app.MapCleanupApi();
app.MapUsageApi();

app.Run();
