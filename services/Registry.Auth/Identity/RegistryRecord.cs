using System.Text.Json.Serialization;
using Registry.Security;

namespace Registry.Auth.Identity;

/// <summary>
/// Everything the auth service keeps of one registry, stored as one document in the platform partition and replaced
/// with an ETag condition, so concurrent changes never lose each other.
/// </summary>
internal sealed record RegistryRecord
{
    public required string Name { get; init; }

    public RegistryTier Tier { get; init; } = RegistryTier.Premium;

    public required DateTimeOffset CreatedAt { get; init; }

    public RegistrySettings Settings { get; init; } = new();

    /// <summary>The home region (ACR's <c>location</c>); null for a registry made before regions were named.</summary>
    public string? Location { get; init; }

    /// <summary>Beyond ACR: host names outside the platform's domain that serve this registry too.</summary>
    public List<string> CustomDomains { get; init; } = [];

    public RegistryPolicies Policies { get; init; } = new();

    public AdminUser Admin { get; init; } = new();

    public Dictionary<string, ScopeMapRecord> ScopeMaps { get; init; } = new(StringComparer.Ordinal);

    public Dictionary<string, TokenRecord> Tokens { get; init; } = new(StringComparer.Ordinal);

    public Dictionary<string, ServicePrincipalRecord> ServicePrincipals { get; init; } = new(StringComparer.Ordinal);

    public Dictionary<string, RoleAssignmentRecord> RoleAssignments { get; init; } = new(StringComparer.Ordinal);
}

internal sealed record RegistrySettings
{
    public bool AdminUserEnabled { get; init; }

    /// <summary>ACR's registry-wide anonymous pull (Standard and Premium).</summary>
    public bool AnonymousPullEnabled { get; init; }

    /// <summary>Beyond ACR: repositories (exact or <c>prefix/*</c>) anyone may pull, whatever the registry-wide flag says.</summary>
    public List<string> AnonymousPullRepositories { get; init; } = [];
}

internal sealed record AdminUser
{
    /// <summary>Null means the registry's name, as in ACR.</summary>
    public string? Username { get; init; }

    public List<SecretRecord> Passwords { get; init; } = [];
}

/// <summary>A secret as stored: its hash only. <see cref="Stamp"/> changes whenever the secret does (it ends refresh tokens).</summary>
internal sealed record SecretRecord
{
    public required string Name { get; init; }

    public required string Hash { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? Expiry { get; init; }

    /// <summary>A digest of the hash, not a piece of it: refresh tokens carry it, and must not help an offline guess.</summary>
    [JsonIgnore]
    public string Stamp => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Hash)))[..16];
}

internal sealed record ScopeMapRecord
{
    public string? Description { get; init; }

    public required List<string> Actions { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
}

internal sealed record TokenRecord
{
    public required string ScopeMap { get; init; }

    public bool Enabled { get; init; } = true;

    public required DateTimeOffset CreatedAt { get; init; }

    public List<SecretRecord> Passwords { get; init; } = [];

    /// <summary>Beyond ACR: the most requests per minute the token may make, whatever its registry's tier allows.</summary>
    public int? RateLimitPerMinute { get; init; }
}

internal sealed record ServicePrincipalRecord
{
    public required string Name { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public List<SecretRecord> Secrets { get; init; } = [];
}

internal sealed record RoleAssignmentRecord
{
    public required string PrincipalId { get; init; }

    public required string Role { get; init; }

    /// <summary>Null for the whole registry, else <c>repositories/&lt;name or prefix/*&gt;</c>.</summary>
    public string? Scope { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
}
