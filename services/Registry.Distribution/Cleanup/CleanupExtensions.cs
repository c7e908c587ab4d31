using Microsoft.Extensions.DependencyInjection.Extensions;
using Registry.Distribution.Usage;

namespace Registry.Distribution.Cleanup;

internal static class CleanupExtensions
{
    /// <summary>Usage figures and the storage quota: what the store decorators need in every host that writes content.</summary>
    public static IHostApplicationBuilder AddUsage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<UsageOptions>()
            .Bind(builder.Configuration.GetSection(UsageOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.AddRegistrySecurity(); // the tiers' limits (Tiers:*), storage quota included
        builder.Services.TryAddSingleton<RegistryNames>();
        builder.Services.AddSingleton<UsageService>();
        builder.Services.AddSingleton<StorageQuota>();
        builder.Services.AddHostedService<UsageBackgroundService>();
        return builder;
    }

    /// <summary>Soft delete, retention, purge, garbage collection and the background clean-up of the distribution service.</summary>
    public static IHostApplicationBuilder AddCleanup(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CleanupOptions>()
            .Bind(builder.Configuration.GetSection(CleanupOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<CleanupLeases>();
        builder.Services.AddSingleton<CleanupStore>();
        builder.Services.AddSingleton<Purger>();
        builder.Services.AddSingleton<SoftDeleteService>();
        builder.Services.AddSingleton<GarbageCollector>();
        builder.Services.AddSingleton<UploadExpiry>();
        builder.Services.AddSingleton<CleanupService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<CleanupService>());
        return builder;
    }
}
