using Microsoft.Extensions.Configuration;
using Registry.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

var infrastructure = builder.AddRegistryInfrastructure();

// The default registry's admin password: set Parameters:registry-admin-password, or one is generated on first run and
// kept in the AppHost's user secrets (the dashboard shows it under the parameter).
var adminPassword = builder.AddParameter(
    "registry-admin-password", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);

var adminUsername = builder.Configuration["Registry:AdminUsername"] ?? "admin";

// Regions: the first is home (every service runs there); each further region has its own distribution instances and
// its own containers in Azurite (prefix "<region>-"), and replication copies between them. Registry:Regions overrides.
var regions = builder.Configuration.GetSection("Registry:Regions").Get<string[]>() is { Length: > 0 } configuredRegions
    ? configuredRegions
    : ["eastus", "westeurope"];
var home = regions[0];

var auth = builder.AddProject<Projects.Registry_Auth>("auth")
    .WithReplicas(builder.Configuration.GetValue("Auth:Replicas", 1))
    .WithEnvironment("Storage__Driver", "AzureBlob")
    .WithEnvironment("Distribution__Region", home)
    .WithEnvironment("REGISTRY_ADMIN_USERNAME", adminUsername)
    .WithEnvironment("REGISTRY_ADMIN_PASSWORD", adminPassword)
    .WithReference(infrastructure.Blobs).WaitFor(infrastructure.Blobs)
    .WithReference(infrastructure.Cache).WaitFor(infrastructure.Cache)
    .WithHttpHealthCheck("/health");

var distribution = builder.AddProject<Projects.Registry_Distribution>("distribution")
    .WithReplicas(builder.Configuration.GetValue("Distribution:Replicas", 2))
    .WithEnvironment("Storage__Driver", "AzureBlob")
    .WithEnvironment("Distribution__Region", home)
    .WithReference(infrastructure.Blobs).WaitFor(infrastructure.Blobs)
    .WithReference(infrastructure.Cache).WaitFor(infrastructure.Cache)
    .WithReference(infrastructure.Messaging)
    .WithReference(auth).WaitFor(auth)
    .WithHttpHealthCheck("/health");

var regionalDistributions = regions.Skip(1).Select(region => builder.AddProject<Projects.Registry_Distribution>($"distribution-{region}")
        .WithReplicas(builder.Configuration.GetValue("Distribution:RegionalReplicas", 1))
        .WithEnvironment("Storage__Driver", "AzureBlob")
        .WithEnvironment("Storage__ContainerPrefix", $"{region}-")
        .WithEnvironment("Distribution__Region", region)
        .WithReference(infrastructure.Blobs).WaitFor(infrastructure.Blobs)
        .WithReference(infrastructure.Cache).WaitFor(infrastructure.Cache)
        .WithReference(infrastructure.Messaging)
        .WithReference(auth).WaitFor(auth)
        .WithHttpHealthCheck("/health"))
    .ToList();

// Consumes registry events and delivers webhooks. Internal (private-network) subscribers are refused unless
// Webhooks:AllowPrivateNetworks is true in the AppHost's configuration.
var webhooks = builder.AddProject<Projects.Registry_Webhooks>("webhooks")
    .WithReplicas(builder.Configuration.GetValue("Webhooks:Replicas", 1))
    .WithEnvironment("Storage__Driver", "AzureBlob")
    .WithEnvironment("Distribution__Region", home)
    .WithEnvironment("Webhooks__AllowPrivateNetworks", builder.Configuration.GetValue("Webhooks:AllowPrivateNetworks", false) ? "true" : "false")
    .WithReference(infrastructure.Blobs).WaitFor(infrastructure.Blobs)
    .WithReference(infrastructure.Messaging).WaitFor(infrastructure.Messaging)
    .WithReference(auth).WaitFor(auth)
    .WithHttpHealthCheck("/health");

// Geo-replication between the regions, and image import (sources on private networks are refused unless
// Import:AllowPrivateNetworks).
var replication = builder.AddProject<Projects.Registry_Replication>("replication")
    .WithReplicas(builder.Configuration.GetValue("Replication:Replicas", 1))
    .WithEnvironment("Storage__Driver", "AzureBlob")
    .WithEnvironment("Distribution__Region", home)
    .WithEnvironment("Import__AllowPrivateNetworks", builder.Configuration.GetValue("Import:AllowPrivateNetworks", false) ? "true" : "false")
    .WithReference(infrastructure.Blobs).WaitFor(infrastructure.Blobs)
    .WithReference(infrastructure.Cache).WaitFor(infrastructure.Cache)
    .WithReference(infrastructure.Messaging)
    .WithReference(auth).WaitFor(auth)
    .WithHttpHealthCheck("/health");
foreach (var region in regions.Skip(1))
{
    // Replication copies into every region; auth deletes a deleted registry's data there.
    foreach (var service in new IResourceBuilder<ProjectResource>[] { replication, auth })
    {
        service
            .WithEnvironment($"Regions__{region}__Driver", "AzureBlob")
            .WithEnvironment($"Regions__{region}__ConnectionName", ResourceNames.Blobs)
            .WithEnvironment($"Regions__{region}__ContainerPrefix", $"{region}-");
    }
}

// Scans every pushed image against the vulnerability database imported through /api/vulnerabilities/imports.
var scanner = builder.AddProject<Projects.Registry_Scanner>("scanner")
    .WithReplicas(builder.Configuration.GetValue("Scanner:Replicas", 1))
    .WithEnvironment("Storage__Driver", "AzureBlob")
    .WithEnvironment("Distribution__Region", home)
    .WithReference(infrastructure.Blobs).WaitFor(infrastructure.Blobs)
    .WithReference(infrastructure.Cache).WaitFor(infrastructure.Cache)
    .WithReference(infrastructure.Messaging).WaitFor(infrastructure.Messaging)
    .WithReference(auth).WaitFor(auth)
    .WithHttpHealthCheck("/health");

Console.WriteLine(
    $"Registry: clients use the gateway at http://localhost:5100 — docker login localhost:5100 -u {adminUsername} " +
    "(password: dashboard → Parameters → registry-admin-password, or `dotnet user-secrets list --project AppHost`)");

var gateway = builder.AddProject<Projects.Registry_Gateway>("gateway")
    .WithEnvironment("Gateway__HomeRegion", home)
    .WithEnvironment($"Gateway__Regions__{home}__DistributionAddress", "http://distribution")
    .WithReference(distribution).WaitFor(distribution)
    .WithReference(auth).WaitFor(auth)
    .WithReference(webhooks).WaitFor(webhooks)
    .WithReference(replication).WaitFor(replication)
    .WithReference(scanner).WaitFor(scanner)
    .WithReference(infrastructure.Cache).WaitFor(infrastructure.Cache)
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health");
// The gateway's own settings given to the AppHost (Gateway:*, e.g. Gateway:ManifestCacheLifetime) reach it.
foreach (var (key, value) in builder.Configuration.GetSection("Gateway").AsEnumerable().Where(setting => setting.Value is not null))
{
    gateway.WithEnvironment(key.Replace(":", "__", StringComparison.Ordinal), value);
}

foreach (var regional in regionalDistributions)
{
    var region = regional.Resource.Name["distribution-".Length..];
    gateway.WithEnvironment($"Gateway__Regions__{region}__DistributionAddress", $"http://{regional.Resource.Name}")
        .WithReference(regional).WaitFor(regional);
}

// Tier limits and request rates (Tiers:*, RateLimits:*) set on the AppHost reach every service alike.
var platformSettings = builder.Configuration.GetSection("Tiers").AsEnumerable()
    .Concat(builder.Configuration.GetSection("RateLimits").AsEnumerable())
    .Where(setting => setting.Value is not null)
    .ToList();
foreach (var service in new[] { auth, distribution, webhooks, replication, scanner, gateway }.Concat(regionalDistributions))
{
    foreach (var (key, value) in platformSettings)
    {
        service.WithEnvironment(key.Replace(":", "__", StringComparison.Ordinal), value);
    }
}

builder.Build().Run();
