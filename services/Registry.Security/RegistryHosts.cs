using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Registry.Oci;

namespace Registry.Security;

/// <summary>How host names map to registries (DESIGN.md principle 6): <c>&lt;registry&gt;.&lt;domain&gt;</c>, any other host is the default registry.</summary>
public sealed class RegistryHostOptions
{
    public const string SectionName = "Registries";

    /// <summary>Registry <c>x</c> is served at <c>x.&lt;domain&gt;</c>, which is also its login server (the token audience).</summary>
    [Required]
    [RegularExpression(@"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$")]
    public string Domain { get; set; } = "localhost";

    /// <summary>The registry a plain host such as <c>localhost:5000</c> reaches; created on first run.</summary>
    [Required]
    [RegularExpression("^[a-z0-9]{5,50}$")]
    public string DefaultRegistry { get; set; } = "default";
}

/// <summary>
/// What a request's host names: a registry (possibly unknown to the platform) or nothing valid at all, and — for a
/// regional endpoint <c>&lt;registry&gt;.&lt;region&gt;.&lt;domain&gt;</c> — the region asked for.
/// </summary>
public readonly record struct HostResolution(string? Registry, string? Region = null)
{
    public bool IsValid => Registry is not null;
}

public sealed class RegistryHosts(IOptions<RegistryHostOptions> options, CustomDomainMap customDomains)
{
    public string DefaultRegistry => options.Value.DefaultRegistry;

    /// <summary>Whether <paramref name="host"/> lies under the platform's domain (so it cannot be a custom domain).</summary>
    public bool IsPlatformHost(string host)
    {
        var domain = options.Value.Domain;
        var separator = domain.IndexOf(':', StringComparison.Ordinal);
        var domainHost = separator < 0 ? domain : domain[..separator];
        return string.Equals(host, domainHost, StringComparison.OrdinalIgnoreCase) || host.EndsWith("." + domainHost, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The login server of a registry: the <c>service</c> of its token challenges and the audience of its tokens.</summary>
    public string LoginServer(string registry) => $"{registry}.{options.Value.Domain}";

    /// <summary>The registry whose login server is <paramref name="service"/> (a token request's <c>service</c>), or null.</summary>
    public string? RegistryOfLoginServer(string service)
    {
        var suffix = "." + options.Value.Domain;
        if (!service.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var label = service[..^suffix.Length].ToLowerInvariant();
        return OciGrammar.IsRegistryName(label) ? label : null;
    }

    public HostResolution Resolve(HostString host)
    {
        var name = host.Host.ToLowerInvariant();
        var domain = options.Value.Domain;
        var separator = domain.IndexOf(':', StringComparison.Ordinal);
        var domainHost = separator < 0 ? domain : domain[..separator];
        if (!name.EndsWith("." + domainHost, StringComparison.Ordinal))
        {
            return new HostResolution(customDomains.Find(name) ?? options.Value.DefaultRegistry);
        }

        var label = name[..^(domainHost.Length + 1)];
        var dot = label.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            // ACR's regional endpoint: <registry>.<region>.<domain>
            var (registry, region) = (label[..dot], label[(dot + 1)..]);
            return OciGrammar.IsRegistryName(registry) && OciGrammar.IsRegionName(region) ? new HostResolution(registry, region) : new HostResolution(null);
        }

        return new HostResolution(OciGrammar.IsRegistryName(label) ? label : null);
    }
}
