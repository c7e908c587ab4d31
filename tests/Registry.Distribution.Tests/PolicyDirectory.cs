using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Registry.Security;

namespace Registry.Distribution.Tests;

/// <summary>The host's own registry directory with the registry policies a test sets (<paramref name="apply"/>) laid over it.</summary>
internal sealed class PolicyDirectory(IRegistryDirectory inner, Func<RegistryPolicies, RegistryPolicies> apply) : IRegistryDirectory
{
    public async ValueTask<RegistryInfo?> FindAsync(string name, CancellationToken cancellationToken) =>
        await inner.FindAsync(name, cancellationToken) is { } info ? info with { Policies = apply(info.Policies) } : null;

    public Task<IReadOnlyDictionary<string, string>> CustomDomainsAsync(CancellationToken cancellationToken) => inner.CustomDomainsAsync(cancellationToken);

    /// <summary>Wraps the directory the host registered (its last registration) in a <see cref="PolicyDirectory"/>.</summary>
    public static void Overlay(WebApplicationBuilder builder, Func<RegistryPolicies, RegistryPolicies> apply)
    {
        var registered = builder.Services.Last(service => service.ServiceType == typeof(IRegistryDirectory));
        builder.Services.AddSingleton<IRegistryDirectory>(services => new PolicyDirectory(
            (IRegistryDirectory)(registered.ImplementationInstance
                ?? registered.ImplementationFactory?.Invoke(services)
                ?? ActivatorUtilities.CreateInstance(services, registered.ImplementationType!)),
            apply));
    }
}
