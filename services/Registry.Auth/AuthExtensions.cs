using Microsoft.Extensions.Options;
using Registry.Auth.Apis;
using Registry.Auth.Identity;
using Registry.Auth.Keys;
using Registry.Security;
using Registry.Storage;
using StackExchange.Redis;

namespace Registry.Auth;

public static class AuthExtensions
{
    /// <summary>The Aspire resource / connection string name of the shared Redis (failed-login counters).</summary>
    public const string CacheConnectionName = "cache";

    /// <summary>
    /// Registers the auth service: registry records, signing keys, the token service, login throttling (Redis when
    /// <c>ConnectionStrings:cache</c> is set, else in process) and the start-up work (key ring, default registry).
    /// Its registry directory and key ring replace the HTTP ones, so a host composing it never calls itself.
    /// </summary>
    public static IHostApplicationBuilder AddAuth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>()
            .Bind(builder.Configuration.GetSection(AuthOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.AddRegionalStorage();
        builder.AddRegistrySecurity();
        builder.Services.AddProblemDetails();

        builder.Services.AddSingleton<RegistryStore>();
        builder.Services.AddSingleton<IRegistryDirectory>(services => services.GetRequiredService<RegistryStore>());
        builder.Services.AddSingleton<SigningKeyRing>();
        builder.Services.AddSingleton<ISigningKeySource>(services => services.GetRequiredService<SigningKeyRing>());
        builder.Services.AddSingleton<TokenService>();
        builder.Services.AddSingleton<Authenticator>();
        builder.Services.AddSingleton<IManagementAuthorizer, LocalManagementAuthorizer>();
        builder.Services.AddSingleton<TokenEndpoint>();
        builder.Services.AddSingleton<RegistryCounts>();
        builder.Services.AddSingleton<RegistryDeletions>();

        if (!string.IsNullOrEmpty(builder.Configuration.GetConnectionString(CacheConnectionName)))
        {
            if (!builder.Services.Any(service => service.ServiceType == typeof(IConnectionMultiplexer)))
            {
                builder.AddRedisClient(CacheConnectionName, configureOptions: options => options.AbortOnConnectFail = false);
            }

            builder.Services.AddSingleton<ILoginThrottle, RedisLoginThrottle>();
        }
        else
        {
            builder.Services.AddSingleton<ILoginThrottle, MemoryLoginThrottle>();
        }

        builder.Services.AddHostedService<AuthBootstrap>();
        return builder;
    }

    /// <summary>The token server, the management API and the registry lookup other services use.</summary>
    public static IEndpointRouteBuilder MapAuth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapTokenApi();
        endpoints.MapManagementApi();
        endpoints.MapRegistriesApi();
        return endpoints;
    }
}

/// <summary>
/// Before the service takes requests: the signing key ring is loaded (made on first run) and the default registry exists
/// (made on first run with its admin user enabled). Afterwards the ring is kept: rotated, pruned, reloaded from storage.
/// </summary>
internal sealed partial class AuthBootstrap(
    SigningKeyRing keys,
    RegistryStore registries,
    RegistryHosts hosts,
    IConfiguration configuration,
    TimeProvider time,
    ILogger<AuthBootstrap> logger) : BackgroundService, IHostedLifecycleService
{
    private static readonly TimeSpan MaintenancePeriod = TimeSpan.FromMinutes(1);

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        await keys.MaintainAsync(cancellationToken);
        await EnsureDefaultRegistryAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(MaintenancePeriod, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await keys.MaintainAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogMaintenanceFailed(logger, ex);
            }
        }
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// First run: the default registry with its admin user enabled, so a new installation can be logged into at once.
    /// The credentials come from REGISTRY_ADMIN_USERNAME / REGISTRY_ADMIN_PASSWORD, else a password is generated and
    /// printed once to the console (not to the log pipeline, which may be shipped elsewhere).
    /// </summary>
    private async Task EnsureDefaultRegistryAsync(CancellationToken cancellationToken)
    {
        var name = hosts.DefaultRegistry;
        if (await registries.GetAsync(name, cancellationToken) is not null)
        {
            return;
        }

        var username = configuration[AuthOptions.AdminUsernameVariable] is { Length: > 0 } chosenName ? chosenName : name;
        var chosenPassword = configuration[AuthOptions.AdminPasswordVariable];
        var password = string.IsNullOrEmpty(chosenPassword) ? Secrets.Generate() : chosenPassword;
        var now = time.GetUtcNow();
        var record = new RegistryRecord
        {
            Name = name,
            Tier = RegistryTier.Premium,
            CreatedAt = now,
            Settings = new RegistrySettings { AdminUserEnabled = true },
            Admin = new AdminUser
            {
                Username = username,
                Passwords =
                [
                    new SecretRecord
                    {
                        Name = "password",
                        Hash = string.IsNullOrEmpty(chosenPassword) ? Secrets.HashGenerated(password) : Secrets.HashChosen(password),
                        CreatedAt = now,
                    },
                ],
            },
        };
        if (!await registries.CreateAsync(record, cancellationToken))
        {
            return; // another instance made it first
        }

        LogDefaultRegistryCreated(logger, name, username);
        if (string.IsNullOrEmpty(chosenPassword))
        {
            Console.WriteLine($"""

                ==> Registry '{name}' created. Admin user: {username}
                    Password (shown once; regenerate it with POST /api/registries/{name}/regenerateCredential):
                    {password}
                    docker login <this host>:<port> -u {username} --password-stdin

                """);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Created the default registry {Registry} with admin user {Username}")]
    private static partial void LogDefaultRegistryCreated(ILogger logger, string registry, string username);

    [LoggerMessage(2, LogLevel.Error, "Signing key maintenance failed; the current keys stay in use")]
    private static partial void LogMaintenanceFailed(ILogger logger, Exception exception);
}
