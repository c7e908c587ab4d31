using Registry.Distribution;
using Registry.Distribution.Apis;
using Registry.Standalone;

var builder = WebApplication.CreateBuilder(args);

builder.AddStandaloneDefaults(args);
builder.AddServiceDefaults();
builder.AddDistribution();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapDistributionApi();

app.Run();

/// <summary>Entry point, visible to the test host.</summary>
public partial class Program;
