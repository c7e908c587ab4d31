using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Registry.Storage;

namespace Registry.Messaging;

public static class MessagingExtensions
{
    /// <summary>The Aspire resource / connection string name of RabbitMQ.</summary>
    public const string ConnectionName = "messaging";

    /// <summary>
    /// Adds a service's consumers. MassTransit takes every consumer in one registration, so services only collect them
    /// here and the host adds the bus once, after every service (<see cref="AddRegistryBus"/>).
    /// </summary>
    public static IHostApplicationBuilder AddRegistryConsumers(this IHostApplicationBuilder builder, Action<IBusRegistrationConfigurator> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ConsumerRegistrations(builder.Services).Add(configure);
        return builder;
    }

    /// <summary>The durable event outbox in storage and its relay to the bus; for services that publish events.</summary>
    public static IHostApplicationBuilder AddEventOutbox(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Services.Any(service => service.ServiceType == typeof(EventOutbox)))
        {
            return builder;
        }

        builder.Services.AddOptions<OutboxOptions>()
            .Bind(builder.Configuration.GetSection(OutboxOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.AddRegistryStorage();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<EventOutbox>();
        builder.Services.AddSingleton<IEventOutbox>(services => services.GetRequiredService<EventOutbox>());
        builder.Services.AddHostedService<OutboxRelay>();
        return builder;
    }

    /// <summary>
    /// The bus, once per host: RabbitMQ when <c>ConnectionStrings:messaging</c> is set, else MassTransit's in-memory
    /// transport (the single-process host). Queues are named by the kebab-case formatter. A broker that is down makes
    /// the service degraded, not unhealthy: writes go on and their events wait in the outbox.
    /// </summary>
    public static IHostApplicationBuilder AddRegistryBus(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var connectionString = builder.Configuration.GetConnectionString(ConnectionName);
        var registrations = ConsumerRegistrations(builder.Services);
        builder.Services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            foreach (var register in registrations)
            {
                register(bus);
            }

            bus.ConfigureHealthCheckOptions(health =>
            {
                health.MinimalFailureStatus = HealthStatus.Degraded;
            });

            if (string.IsNullOrEmpty(connectionString))
            {
                bus.UsingInMemory((context, transport) => transport.ConfigureEndpoints(context));
            }
            else
            {
                var address = new Uri(connectionString);
                bus.UsingRabbitMq((context, transport) =>
                {
                    transport.Host(address.Host, (ushort)(address.IsDefaultPort ? 5672 : address.Port), VirtualHost(address), host =>
                    {
                        var credentials = Uri.UnescapeDataString(address.UserInfo).Split(':', 2);
                        if (credentials is [{ Length: > 0 } user, var password])
                        {
                            host.Username(user);
                            host.Password(password);
                        }
                    });
                    transport.ConfigureEndpoints(context);
                });
            }
        });
        return builder;
    }

    private static string VirtualHost(Uri address) =>
        address.AbsolutePath is "" or "/" ? "/" : Uri.UnescapeDataString(address.AbsolutePath.TrimStart('/'));

    private static List<Action<IBusRegistrationConfigurator>> ConsumerRegistrations(IServiceCollection services)
    {
        if (services.FirstOrDefault(service => service.ServiceType == typeof(ConsumerRegistrationList))?.ImplementationInstance is ConsumerRegistrationList existing)
        {
            return existing;
        }

        var list = new ConsumerRegistrationList();
        services.AddSingleton(list);
        return list;
    }

    private sealed class ConsumerRegistrationList : List<Action<IBusRegistrationConfigurator>>;
}
