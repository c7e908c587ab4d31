using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace Registry.Security;

[JsonConverter(typeof(JsonStringEnumConverter<RegistryTier>))]
public enum RegistryTier
{
    Basic,
    Standard,
    Premium,
}

/// <summary>What the front door and the other services need to know of a registry; the auth service owns the record.</summary>
public sealed record RegistryInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("loginServer")] string LoginServer,
    [property: JsonPropertyName("tier")] RegistryTier Tier)
{
    /// <summary>The registry's content policies (immutable tags, retention of untagged manifests, soft delete).</summary>
    [JsonPropertyName("policies")]
    public RegistryPolicies Policies { get; init; } = new();
}

/// <summary>
/// A registry's content policies as every service applies them; the auth service owns them with the registry record.
/// Null days mean the policy is off.
/// </summary>
public sealed record RegistryPolicies
{
    /// <summary>Beyond ACR: no tag of the registry, once pushed, can be moved or deleted.</summary>
    [JsonPropertyName("immutableTags")]
    public bool ImmutableTags { get; init; }

    /// <summary>ACR's retention policy: untagged manifests are deleted this many days after they lost their last tag.</summary>
    [JsonPropertyName("retentionDays")]
    public int? RetentionDays { get; init; }

    /// <summary>ACR's soft-delete policy: deleted manifests and tags can be listed and restored for this many days.</summary>
    [JsonPropertyName("softDeleteDays")]
    public int? SoftDeleteDays { get; init; }
}

/// <summary>Which registries exist.</summary>
public interface IRegistryDirectory
{
    ValueTask<RegistryInfo?> FindAsync(string name, CancellationToken cancellationToken);

    /// <summary>Every custom domain of the platform (lowercase host name) and the registry it serves.</summary>
    Task<IReadOnlyDictionary<string, string>> CustomDomainsAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Asks the auth service (<c>GET /internal/registries/{name}</c>), remembering answers briefly: a registry created
/// elsewhere is reachable within <see cref="NegativeLifetime"/>.
/// </summary>
public sealed class HttpRegistryDirectory(HttpClient client, TimeProvider time) : IRegistryDirectory
{
    public const string InternalPath = "/internal/registries";
    public const string CustomDomainsPath = "/internal/custom-domains";
    public static readonly TimeSpan PositiveLifetime = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan NegativeLifetime = TimeSpan.FromSeconds(3);

    /// <summary>How long a failed ask (after the client's own retries) is remembered before the auth service is asked again.</summary>
    public static readonly TimeSpan UnavailableLifetime = TimeSpan.FromSeconds(15);

    private readonly ConcurrentDictionary<string, (RegistryInfo? Info, DateTimeOffset Expires)> _answers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (Exception Error, DateTimeOffset Until)> _unavailable = new(StringComparer.Ordinal);

    public async ValueTask<RegistryInfo?> FindAsync(string name, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_answers.TryGetValue(name, out var answer) && answer.Expires > now)
        {
            return answer.Info;
        }

        if (_unavailable.TryGetValue(name, out var failure) && failure.Until > now)
        {
            // Asked again within moments of a failed ask: answer at once rather than wait out the retries again.
            throw new RegistryDirectoryUnavailableException(name, failure.Error);
        }

        RegistryInfo? info;
        try
        {
            using var response = await client.GetAsync(new Uri($"{InternalPath}/{Uri.EscapeDataString(name)}", UriKind.Relative), cancellationToken);
            info = response.StatusCode == HttpStatusCode.NotFound
                ? null
                : await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<RegistryInfo>(cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
        {
            // Auth unreachable: a registry known a moment ago is still served (tokens are checked without auth).
            if (_answers.TryGetValue(name, out var stale))
            {
                _answers[name] = (stale.Info, now + NegativeLifetime);
                return stale.Info;
            }

            _unavailable[name] = (ex, now + UnavailableLifetime);
            throw new RegistryDirectoryUnavailableException(name, ex);
        }

        _answers[name] = (info, now + (info is null ? NegativeLifetime : PositiveLifetime));
        return info;
    }

    public async Task<IReadOnlyDictionary<string, string>> CustomDomainsAsync(CancellationToken cancellationToken) =>
        await client.GetFromJsonAsync<Dictionary<string, string>>(new Uri(CustomDomainsPath, UriKind.Relative), cancellationToken)
            ?? new Dictionary<string, string>();
}

public static class RegistryDirectoryExtensions
{
    /// <summary>
    /// The registry's settings for a check that must not stop the service while the auth service is away (storage quota,
    /// immutable-tags policy): null when the directory cannot answer and has never known the registry. Clients then
    /// hold tokens issued before the outage at most, so what slips through is bounded by their lifetime.
    /// </summary>
    public static async ValueTask<RegistryInfo?> FindIfAnsweringAsync(this IRegistryDirectory directory, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(directory);
        try
        {
            return await directory.FindAsync(name, cancellationToken);
        }
        catch (RegistryDirectoryUnavailableException)
        {
            return null;
        }
    }
}

/// <summary>Whether a registry exists cannot be told right now (the auth service does not answer).</summary>
public sealed class RegistryDirectoryUnavailableException(string name, Exception inner)
    : Exception($"cannot tell whether registry '{name}' exists: the auth service does not answer", inner)
{
}
