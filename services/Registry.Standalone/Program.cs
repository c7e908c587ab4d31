using Registry.Standalone;

var builder = WebApplication.CreateBuilder(args);

builder.AddStandalone(args);

var app = builder.Build();

app.MapStandalone();

app.Run();

/// <summary>Entry point, visible to the test host.</summary>
public partial class Program;
