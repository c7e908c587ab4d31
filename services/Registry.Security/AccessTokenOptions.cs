using System.ComponentModel.DataAnnotations;

namespace Registry.Security;

/// <summary>What every service that checks tokens needs to know (section <c>Auth</c>).</summary>
public sealed class AccessTokenOptions
{
    public const string SectionName = "Auth";

    /// <summary>Auth is on by default; off only for a deliberately open registry (and the distribution-only tests).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The <c>iss</c> of every token the auth service signs.</summary>
    [Required]
    public string Issuer { get; set; } = "registry-auth";

    /// <summary>Where the auth service is reached from other services (JWKS, registry records); service discovery resolves <c>http://auth</c>.</summary>
    [Required]
    public Uri Authority { get; set; } = new("http://auth");

    /// <summary>Tolerated clock difference between the service that signs and the one that checks.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);
}
