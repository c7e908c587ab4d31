using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace Registry.Security;

/// <summary>One region of a registry as the front door routes to it (owned by the replication service).</summary>
public sealed record RegistryRegion(
    [property: JsonPropertyName("region")] string Region,
    [property: JsonPropertyName("endpointEnabled")] bool EndpointEnabled,
    [property: JsonPropertyName("isHome")] bool IsHome,
    [property: JsonPropertyName("state")] string State);

/// <summary>
/// Asks the replication service which regions hold a registry (<c>GET /internal/registries/{name}/regions</c>),
/// remembering answers for <see cref="Lifetime"/>; when it does not answer, the last answer stands (or null: unknown).
/// </summary>
public sealed class HttpRegistryRegions(HttpClient client, TimeProvider time)
{
    public const string PathSuffix = "regions";
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, (IReadOnlyList<RegistryRegion>? Regions, DateTimeOffset Expires)> _answers = new(StringComparer.Ordinal);

    public async ValueTask<IReadOnlyList<RegistryRegion>?> FindAsync(string registry, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_answers.TryGetValue(registry, out var answer) && answer.Expires > now)
        {
            return answer.Regions;
        }

        try
        {
            var regions = await client.GetFromJsonAsync<List<RegistryRegion>>(
                new Uri($"{HttpRegistryDirectory.InternalPath}/{Uri.EscapeDataString(registry)}/{PathSuffix}", UriKind.Relative), cancellationToken);
            _answers[registry] = (regions, now + Lifetime);
            return regions;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
        {
            var stale = _answers.TryGetValue(registry, out var previous) ? previous.Regions : null;
            _answers[registry] = (stale, now + Lifetime);
            return stale;
        }
    }
}
