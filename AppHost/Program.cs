using Microsoft.Extensions.Configuration;
using Registry.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

var infrastructure = builder.AddRegistryInfrastructure();

builder.AddProject<Projects.Registry_Distribution>("distribution")
    .WithReplicas(builder.Configuration.GetValue("Distribution:Replicas", 2))
    .WithEnvironment("Storage__Driver", "AzureBlob")
    .WithReference(infrastructure.Blobs).WaitFor(infrastructure.Blobs)
    .WithReference(infrastructure.Cache).WaitFor(infrastructure.Cache)
    .WithHttpHealthCheck("/health");

builder.Build().Run();
