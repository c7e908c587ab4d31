using System.ComponentModel.DataAnnotations;

namespace Registry.Auth;

/// <summary>The token service's own settings (section <c>Auth</c>, shared with <see cref="Security.AccessTokenOptions"/>).</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";
    public const string AdminUsernameVariable = "REGISTRY_ADMIN_USERNAME";
    public const string AdminPasswordVariable = "REGISTRY_ADMIN_PASSWORD";

    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>What <c>docker login</c> keeps as its identity token; rechecked against the identity on every use.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "365.00:00:00")]
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>A new signing key is made this often; the old one stays published until its tokens have expired.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "3650.00:00:00")]
    public TimeSpan KeyRotationPeriod { get; set; } = TimeSpan.FromDays(30);

    /// <summary>A new key is published this long before it signs, so every service has fetched it first.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan KeyPropagationDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long an instance serves a registry's identities from memory before rereading storage.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RecordCacheLifetime { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Failed logins allowed per client address within <see cref="FailedLoginWindow"/> before 429.</summary>
    [Range(1, 1_000_000)]
    public int MaxFailedLoginsPerClient { get; set; } = 30;

    /// <summary>Failed logins allowed per identity (registry + user name) within <see cref="FailedLoginWindow"/> before 429.</summary>
    [Range(1, 1_000_000)]
    public int MaxFailedLoginsPerIdentity { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan FailedLoginWindow { get; set; } = TimeSpan.FromMinutes(1);
}
