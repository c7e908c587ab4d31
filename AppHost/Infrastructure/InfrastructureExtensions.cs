using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Registry.AppHost.Infrastructure;

public static class InfrastructureExtensions
{
    /// <summary>
    /// Declares Redis, RabbitMQ and Azure Blob storage (Azurite). <c>Infrastructure:Mode</c> picks containers or local
    /// executables; <c>Auto</c> takes containers only when the runtime already holds the images.
    /// </summary>
    public static RegistryInfrastructure AddRegistryInfrastructure(this IDistributedApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("Infrastructure");
        var images = new InfrastructureImages(
            section["Images:Redis"] ?? "docker.io/library/redis:8.2",
            section["Images:RabbitMQ"] ?? "docker.io/library/rabbitmq:4.1-management",
            section["Images:Azurite"] ?? "mcr.microsoft.com/azure-storage/azurite:3.35.0");
        var repositoryRoot = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));
        var probe = new InfrastructureProbe(repositoryRoot);
        var mode = section.GetValue("Mode", InfrastructureMode.Auto);

        if (mode == InfrastructureMode.Auto)
        {
            mode = probe.ContainersCanProvide(images, out var reason) ? InfrastructureMode.Containers : InfrastructureMode.Executables;
            Console.WriteLine($"Infrastructure: {mode} ({reason}). Set Infrastructure:Mode to choose.");
        }

        if (mode == InfrastructureMode.Executables)
        {
            var missing = probe.MissingExecutables();
            if (missing.Count > 0)
            {
                throw new DistributedApplicationException(
                    "Cannot provide Redis, RabbitMQ and Azurite: no container runtime with the images, and these executables are missing: " +
                    string.Join("; ", missing) + $". To fix, {InfrastructureProbe.SetupHint}.");
            }

            var dataDirectory = section["DataDirectory"] is { Length: > 0 } configured
                ? Path.GetFullPath(configured)
                : Path.Combine(repositoryRoot, ".data");
            return AddExecutables(builder, probe, dataDirectory);
        }

        return AddContainers(builder, images);
    }

    private static RegistryInfrastructure AddContainers(IDistributedApplicationBuilder builder, InfrastructureImages images)
    {
        var (redisImage, redisTag) = Split(images.Redis);
        var (rabbitImage, rabbitTag) = Split(images.RabbitMQ);
        var (azuriteImage, azuriteTag) = Split(images.Azurite);

        var cache = builder.AddRedis(ResourceNames.Cache).WithImage(redisImage, redisTag).WithImagePullPolicy(ImagePullPolicy.Missing);
        var messaging = builder.AddRabbitMQ(ResourceNames.Messaging).WithImage(rabbitImage, rabbitTag).WithImagePullPolicy(ImagePullPolicy.Missing);
        var blobs = builder.AddResource(new AzuriteContainerResource(ResourceNames.Blobs))
            .WithImage(azuriteImage, azuriteTag)
            .WithImagePullPolicy(ImagePullPolicy.Missing)
            .WithArgs("azurite-blob", "--blobHost", "0.0.0.0", "--skipApiVersionCheck", "--loose")
            .WithEndpoint(targetPort: 10000, name: "blob", scheme: "http");

        return new RegistryInfrastructure(Widen(blobs), Widen(cache), Widen(messaging), InfrastructureMode.Containers);
    }

    private static RegistryInfrastructure AddExecutables(IDistributedApplicationBuilder builder, InfrastructureProbe probe, string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);

        var redisPort = FreePort();
        var cache = AddProcess(builder, ResourceNames.Cache, probe.RedisServer!, dataDirectory, redisPort, () => ReferenceExpression.Create($"127.0.0.1:{Text(redisPort)}"))
            .WithArgs("--port", redisPort.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", string.Empty, "--appendonly", "no");

        var blobPort = FreePort();
        var azuriteData = Path.Combine(dataDirectory, "azurite");
        Directory.CreateDirectory(azuriteData);
        var blobs = AddProcess(builder, ResourceNames.Blobs, probe.Azurite!, dataDirectory, blobPort, () => ReferenceExpression.Create(
                $"{AzuriteConnection.Prefix}BlobEndpoint=http://127.0.0.1:{Text(blobPort)}/devstoreaccount1;"))
            .WithArgs("--silent", "--skipApiVersionCheck", "--disableTelemetry", "--loose", "--blobHost", "127.0.0.1", "--blobPort", blobPort.ToString(CultureInfo.InvariantCulture), "--location", azuriteData);

        var amqpPort = FreePort();
        var epmdPort = FreePort();
        var rabbitData = RabbitMqDirectory(dataDirectory);
        // The broker's own epmd, run in the foreground so it stops with the platform; left to itself the broker would
        // start a daemon epmd that outlives it, one more on every run.
        var epmdName = ResourceNames.Messaging + "-epmd";
        var epmd = builder.AddExecutable(epmdName, probe.Epmd!, rabbitData, "-port", Text(epmdPort), "-address", "127.0.0.1")
            .WithEndpoint(port: epmdPort, name: "tcp", scheme: "tcp", isProxied: false)
            .WithHealthCheck(AddTcpHealthCheck(builder, epmdName, epmdPort));
        var messaging = AddProcess(builder, ResourceNames.Messaging, probe.RabbitMqServer!, rabbitData, amqpPort, () => ReferenceExpression.Create(
                $"amqp://guest:guest@127.0.0.1:{Text(amqpPort)}/"))
            .WithEnvironment("HOME", rabbitData)
            .WithEnvironment("RABBITMQ_NODENAME", "registry" + Text(amqpPort) + "@localhost")
            .WithEnvironment("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .WithEnvironment("RABBITMQ_NODE_PORT", Text(amqpPort))
            .WithEnvironment("RABBITMQ_DIST_PORT", Text(FreePort()))
            .WithEnvironment("RABBITMQ_MNESIA_BASE", Path.Combine(rabbitData, "mnesia"))
            .WithEnvironment("RABBITMQ_LOG_BASE", Path.Combine(rabbitData, "log"))
            .WithEnvironment("RABBITMQ_PID_FILE", Path.Combine(rabbitData, "rabbit.pid"))
            .WithEnvironment("RABBITMQ_ENABLED_PLUGINS_FILE", Path.Combine(rabbitData, "enabled_plugins"))
            .WithEnvironment("ERL_EPMD_PORT", Text(epmdPort))
            .WithEnvironment("ERL_EPMD_ADDRESS", "127.0.0.1")
            .WithEnvironment("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-start_epmd false -kernel inet_dist_use_interface {127,0,0,1}")
            .WaitFor(epmd);
        epmd.WithParentRelationship(messaging);

        return new RegistryInfrastructure(Widen(blobs), Widen(cache), Widen(messaging), InfrastructureMode.Executables);
    }

    private static IResourceBuilder<InfrastructureProcessResource> AddProcess(
        IDistributedApplicationBuilder builder, string name, string command, string workingDirectory, int port, Func<ReferenceExpression> connectionString)
    {
        return builder.AddResource(new InfrastructureProcessResource(name, command, workingDirectory, connectionString))
            .WithEndpoint(port: port, name: "tcp", scheme: "tcp", isProxied: false)
            .WithHealthCheck(AddTcpHealthCheck(builder, name, port));
    }

    /// <summary>Registers a health check that passes while the port accepts connections; returns its name.</summary>
    private static string AddTcpHealthCheck(IDistributedApplicationBuilder builder, string name, int port)
    {
        var healthCheck = $"{name}-tcp";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(healthCheck, _ => new TcpHealthCheck(port), HealthStatus.Unhealthy, tags: null));
        return healthCheck;
    }

    /// <summary>
    /// The broker's own data, log and plugin files. The broker binary is started directly (not Debian's wrapper,
    /// which re-executes itself as the <c>rabbitmq</c> user), with its own epmd on its own port so instances never share one.
    /// </summary>
    private static string RabbitMqDirectory(string dataDirectory)
    {
        var directory = Path.Combine(dataDirectory, "rabbitmq");
        Directory.CreateDirectory(Path.Combine(directory, "mnesia"));
        Directory.CreateDirectory(Path.Combine(directory, "log"));
        File.WriteAllText(Path.Combine(directory, "enabled_plugins"), "[].\n");
        return directory;
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static (string Image, string Tag) Split(string reference)
    {
        var colon = reference.LastIndexOf(':');
        return colon > reference.LastIndexOf('/') ? (reference[..colon], reference[(colon + 1)..]) : (reference, "latest");
    }

    private static IResourceBuilder<IResourceWithConnectionString> Widen<T>(IResourceBuilder<T> builder)
        where T : IResourceWithConnectionString =>
        builder.ApplicationBuilder.CreateResourceBuilder<IResourceWithConnectionString>(builder.Resource);
}
