using MassTransit;
using Microsoft.Extensions.Options;
using Registry.Messaging;
using Registry.Security;
using Registry.Storage;
using Registry.Webhooks.Apis;
using Registry.Webhooks.Consumers;
using Registry.Webhooks.Delivery;

namespace Registry.Webhooks;

public static class WebhooksExtensions
{
    /// <summary>
    /// Registers the webhooks service: its store, the dispatcher and its HTTP client (no automatic retries: the
    /// dispatcher's own, recorded ones; outbound safety on every connection), recovery, and the consumers of registry
    /// events. The host adds the bus (<see cref="MessagingExtensions.AddRegistryBus"/>) once every service is added.
    /// </summary>
    public static IHostApplicationBuilder AddWebhooks(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<WebhooksOptions>()
            .Bind(builder.Configuration.GetSection(WebhooksOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.AddRegistryStorage();
        builder.AddRegistrySecurity();
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<WebhookStore>();
        builder.Services.AddSingleton<WebhookDispatcher>();
        builder.Services.AddSingleton<WebhookFanout>();
        builder.Services.AddHostedService<DeliveryRecovery>();

        // The service defaults' standard resilience handler would retry unrecorded and break the circuit for every webhook at once.
#pragma warning disable EXTEXP0001
        builder.Services.AddHttpClient(WebhookDispatcher.HttpClientName, client =>
            {
                client.Timeout = Timeout.InfiniteTimeSpan; // each attempt has its own limit (Webhooks:Timeout)
                client.DefaultRequestHeaders.UserAgent.ParseAdd("Registry-Webhooks/1.0");
            })
            .ConfigurePrimaryHttpMessageHandler(services =>
            {
                var guard = new OutboundGuard(services.GetRequiredService<IOptions<WebhooksOptions>>().Value.AllowPrivateNetworks, WebhooksOptions.AllowPrivateNetworksSetting, "deliveries");
                return new SocketsHttpHandler
                {
                    ConnectCallback = guard.ConnectAsync,
                    AllowAutoRedirect = true,
                    MaxAutomaticRedirections = 5,
                    PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                    UseCookies = false,
                };
            })
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001

        builder.AddRegistryConsumers(bus =>
        {
            bus.AddConsumer<ManifestPushedConsumer, WebhookConsumerDefinition<ManifestPushedConsumer>>();
            bus.AddConsumer<ManifestDeletedConsumer, WebhookConsumerDefinition<ManifestDeletedConsumer>>();
            bus.AddConsumer<TagDeletedConsumer, WebhookConsumerDefinition<TagDeletedConsumer>>();
            bus.AddConsumer<RepositoryDeletedConsumer, WebhookConsumerDefinition<RepositoryDeletedConsumer>>();
            bus.AddConsumer<ChartPushedConsumer, WebhookConsumerDefinition<ChartPushedConsumer>>();
            bus.AddConsumer<ChartDeletedConsumer, WebhookConsumerDefinition<ChartDeletedConsumer>>();
            bus.AddConsumer<ImageQuarantinedConsumer, WebhookConsumerDefinition<ImageQuarantinedConsumer>>();
            bus.AddConsumer<ReplicaSyncedConsumer, WebhookConsumerDefinition<ReplicaSyncedConsumer>>();
        });

        // The deployment's regions (this one and those under Regions): what a webhook's location can name.
        var configuration = builder.Configuration;
        builder.Services.AddSingleton(new WebhookRegions(
            [configuration["Distribution:Region"] ?? "local", .. configuration.GetSection("Regions").GetChildren().Select(region => region.Key)]));
        return builder;
    }

    public static IEndpointRouteBuilder MapWebhooks(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapWebhooksApi();
        return endpoints;
    }
}
