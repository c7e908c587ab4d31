using Microsoft.Extensions.Options;

namespace Registry.Distribution;

/// <summary>Which registry a request addresses (DESIGN.md principle 6). Host-based resolution arrives with the gateway.</summary>
public interface IRegistryResolver
{
    string Resolve(HttpContext context);
}

internal sealed class DefaultRegistryResolver(IOptions<DistributionOptions> options) : IRegistryResolver
{
    public string Resolve(HttpContext context) => options.Value.DefaultRegistry;
}
