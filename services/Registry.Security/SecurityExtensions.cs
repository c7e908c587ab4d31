using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Registry.Security;

public static class SecurityExtensions
{
    public const string AuthClientName = "auth";

    /// <summary>
    /// Host → registry resolution and local token checks. The registry directory and the signing keys come from the auth
    /// service over HTTP unless the auth service itself is composed into this process (it registers its own).
    /// </summary>
    public static IHostApplicationBuilder AddRegistrySecurity(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(service => service.ServiceType == typeof(RegistryHosts)))
        {
            return builder; // already composed into this host by another service
        }

        builder.Services.AddOptions<RegistryHostOptions>()
            .Bind(builder.Configuration.GetSection(RegistryHostOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<AccessTokenOptions>()
            .Bind(builder.Configuration.GetSection(AccessTokenOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddOptions<Limits.TierOptions>()
            .Bind(builder.Configuration.GetSection(Limits.TierOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<Limits.RateLimitOptions>()
            .Bind(builder.Configuration.GetSection(Limits.RateLimitOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton<Limits.IRequestRateLimiter, Limits.MemoryRequestRateLimiter>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<RegistryHosts>();
        builder.Services.TryAddSingleton<CustomDomainMap>();
        builder.Services.AddHostedService<CustomDomainRefresher>();
        builder.Services.TryAddSingleton<AccessTokenValidator>();
        builder.Services.AddHttpClient(AuthClientName, (services, client) =>
            client.BaseAddress = services.GetRequiredService<IOptions<AccessTokenOptions>>().Value.Authority);
        builder.Services.TryAddSingleton<IRegistryDirectory>(services => new HttpRegistryDirectory(
            services.GetRequiredService<IHttpClientFactory>().CreateClient(AuthClientName), services.GetRequiredService<TimeProvider>()));
        builder.Services.TryAddSingleton<IManagementAuthorizer>(services => new HttpManagementAuthorizer(
            services.GetRequiredService<IHttpClientFactory>().CreateClient(AuthClientName)));
        builder.Services.TryAddSingleton<ISigningKeySource>(services => new JwksSigningKeySource(
            services.GetRequiredService<IHttpClientFactory>().CreateClient(AuthClientName), services.GetRequiredService<TimeProvider>()));
        return builder;
    }
}
