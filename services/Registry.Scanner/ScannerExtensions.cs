using Microsoft.Extensions.Http.Resilience;
using Registry.Distribution;
using Registry.Messaging;
using Registry.Scanner.Apis;
using Registry.Scanner.Consumers;
using Registry.Scanner.Database;
using Registry.Scanner.Harbor;
using Registry.Scanner.Scanning;
using Registry.Security;

namespace Registry.Scanner;

public static class ScannerExtensions
{
    /// <summary>
    /// Registers the scanner: the vulnerability database (loaded from imported OSV files), the image scanner reading
    /// through the same content stores as distribution, the <c>ManifestPushed</c> consumer and the API. The host adds
    /// the bus once every service is added.
    /// </summary>
    public static IHostApplicationBuilder AddScanner(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ScannerOptions>()
            .Bind(builder.Configuration.GetSection(ScannerOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.AddDistributionStores();
        builder.AddRegistrySecurity();
        builder.Services.AddSingleton<VulnerabilityDatabase>();
        builder.Services.AddHostedService<DatabaseRefresher>();
        builder.Services.AddSingleton<ScanStore>();
        builder.Services.AddSingleton<ImageScanner>();
        builder.Services.AddSingleton<Rescanner>();
        builder.Services.AddSingleton<HarborScans>();

        // Harbor asks us to pull from its registry; redirects to storage are followed (Authorization is not forwarded).
#pragma warning disable EXTEXP0001
        builder.Services.AddHttpClient(HarborScans.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        builder.AddRegistryConsumers(bus => bus.AddConsumer<ManifestPushedConsumer>(typeof(ManifestPushedConsumerDefinition)));
        return builder;
    }

    public static IEndpointRouteBuilder MapScanner(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapScannerApi();
        endpoints.MapHarborApi();
        return endpoints;
    }
}
