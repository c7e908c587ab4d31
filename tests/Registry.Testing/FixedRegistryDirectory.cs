using Registry.Security;

namespace Registry.Testing;

/// <summary>
/// The registry directory of a service tested without the auth service: every valid registry name exists, Premium, with
/// default policies. Stands in for the auth service only where a test host runs a service alone.
/// </summary>
public sealed class FixedRegistryDirectory(string domain = "localhost") : IRegistryDirectory
{
    public ValueTask<RegistryInfo?> FindAsync(string name, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Oci.OciGrammar.IsRegistryName(name) ? new RegistryInfo(name, $"{name}.{domain}", RegistryTier.Premium) : null);

    public Task<IReadOnlyDictionary<string, string>> CustomDomainsAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>());
}
