using Microsoft.Extensions.Configuration;
using Registry.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

var infrastructure = builder.AddRegistryInfrastructure();

// The default registry's admin password: set Parameters:registry-admin-password, or one is generated on first run and
// kept in the AppHost's user secrets (the dashboard shows it under the parameter).
var adminPassword = builder.AddParameter(
    "registry-admin-password", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);

var adminUsername = builder.Configuration["Registry:AdminUsername"] ?? "admin";

var auth = builder.AddProject<Projects.Registry_Auth>("auth")
    .WithReplicas(builder.Configuration.GetValue("Auth:Replicas", 1))
    .WithEnvironment("Storage__Driver", "AzureBlob")
    .WithEnvironment("REGISTRY_ADMIN_USERNAME", adminUsername)
    .WithEnvironment("REGISTRY_ADMIN_PASSWORD", adminPassword)
    .WithReference(infrastructure.Blobs).WaitFor(infrastructure.Blobs)
    .WithReference(infrastructure.Cache).WaitFor(infrastructure.Cache)
    .WithHttpHealthCheck("/health");

var distribution = builder.AddProject<Projects.Registry_Distribution>("distribution")
    .WithReplicas(builder.Configuration.GetValue("Distribution:Replicas", 2))
    .WithEnvironment("Storage__Driver", "AzureBlob")
    .WithReference(infrastructure.Blobs).WaitFor(infrastructure.Blobs)
    .WithReference(infrastructure.Cache).WaitFor(infrastructure.Cache)
    .WithReference(infrastructure.Messaging)
    .WithReference(auth).WaitFor(auth)
    .WithHttpHealthCheck("/health");

// Consumes registry events and delivers webhooks. Internal (private-network) subscribers are refused unless
// Webhooks:AllowPrivateNetworks is true in the AppHost's configuration.
var webhooks = builder.AddProject<Projects.Registry_Webhooks>("webhooks")
    .WithReplicas(builder.Configuration.GetValue("Webhooks:Replicas", 1))
    .WithEnvironment("Storage__Driver", "AzureBlob")
    .WithEnvironment("Webhooks__AllowPrivateNetworks", builder.Configuration.GetValue("Webhooks:AllowPrivateNetworks", false) ? "true" : "false")
    .WithReference(infrastructure.Blobs).WaitFor(infrastructure.Blobs)
    .WithReference(infrastructure.Messaging).WaitFor(infrastructure.Messaging)
    .WithReference(auth).WaitFor(auth)
    .WithHttpHealthCheck("/health");

// Image import today; geo-replication next. Sources on private networks are refused unless Import:AllowPrivateNetworks.
var replication = builder.AddProject<Projects.Registry_Replication>("replication")
    .WithReplicas(builder.Configuration.GetValue("Replication:Replicas", 1))
    .WithEnvironment("Storage__Driver", "AzureBlob")
    .WithEnvironment("Import__AllowPrivateNetworks", builder.Configuration.GetValue("Import:AllowPrivateNetworks", false) ? "true" : "false")
    .WithReference(infrastructure.Blobs).WaitFor(infrastructure.Blobs)
    .WithReference(infrastructure.Cache).WaitFor(infrastructure.Cache)
    .WithReference(infrastructure.Messaging)
    .WithReference(auth).WaitFor(auth)
    .WithHttpHealthCheck("/health");

// Scans every pushed image against the vulnerability database imported through /api/vulnerabilities/imports.
var scanner = builder.AddProject<Projects.Registry_Scanner>("scanner")
    .WithReplicas(builder.Configuration.GetValue("Scanner:Replicas", 1))
    .WithEnvironment("Storage__Driver", "AzureBlob")
    .WithReference(infrastructure.Blobs).WaitFor(infrastructure.Blobs)
    .WithReference(infrastructure.Cache).WaitFor(infrastructure.Cache)
    .WithReference(infrastructure.Messaging).WaitFor(infrastructure.Messaging)
    .WithReference(auth).WaitFor(auth)
    .WithHttpHealthCheck("/health");

Console.WriteLine(
    $"Registry: clients use the gateway at http://localhost:5100 — docker login localhost:5100 -u {adminUsername} " +
    "(password: dashboard → Parameters → registry-admin-password, or `dotnet user-secrets list --project AppHost`)");

builder.AddProject<Projects.Registry_Gateway>("gateway")
    .WithReference(distribution).WaitFor(distribution)
    .WithReference(auth).WaitFor(auth)
    .WithReference(webhooks).WaitFor(webhooks)
    .WithReference(replication).WaitFor(replication)
    .WithReference(scanner).WaitFor(scanner)
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health");

builder.Build().Run();
