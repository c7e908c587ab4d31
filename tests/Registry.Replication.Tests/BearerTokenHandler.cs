using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Registry.Replication.Tests;

/// <summary>
/// Docker token auth for a raw <see cref="HttpClient"/>, as real clients do it: a 401 with a <c>Bearer realm,service,scope</c>
/// challenge is answered by fetching a token from the realm with Basic credentials and sending the request again with it.
/// Tokens are cached per service and scope. Only for requests without a body (GET, HEAD), which can be sent twice.
/// </summary>
public sealed partial class BearerTokenHandler(string username, string password) : DelegatingHandler
{
    private readonly ConcurrentDictionary<string, string> _tokens = new(StringComparer.Ordinal);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized || request.Headers.Authorization is not null || Challenge(response) is not { } challenge)
        {
            return response;
        }

        var token = await TokenAsync(challenge, cancellationToken);
        response.Dispose();
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await base.SendAsync(request, cancellationToken);
    }

    private static Dictionary<string, string>? Challenge(HttpResponseMessage response)
    {
        var bearer = response.Headers.WwwAuthenticate.FirstOrDefault(h => string.Equals(h.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase));
        if (bearer?.Parameter is null)
        {
            return null;
        }

        var parameters = ChallengeParameter().Matches(bearer.Parameter)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.OrdinalIgnoreCase);
        return parameters.ContainsKey("realm") ? parameters : null;
    }

    private async Task<string> TokenAsync(Dictionary<string, string> challenge, CancellationToken cancellationToken)
    {
        var service = challenge.GetValueOrDefault("service") ?? string.Empty;
        var scopes = (challenge.GetValueOrDefault("scope") ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var key = service + " " + string.Join(' ', scopes);
        if (_tokens.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var realm = challenge["realm"];
        var query = string.Join('&', scopes.Select(scope => "scope=" + Uri.EscapeDataString(scope)).Prepend("service=" + Uri.EscapeDataString(service)));
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(realm + (realm.Contains('?', StringComparison.Ordinal) ? "&" : "?") + query));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
        using var response = await base.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"GET {request.RequestUri} as {username} answered {(int)response.StatusCode}: {body}");
        }

        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        var token = (root.TryGetProperty("token", out var value) ? value : root.GetProperty("access_token")).GetString()!;
        _tokens[key] = token;
        return token;
    }

    [GeneratedRegex("(\\w+)=\"([^\"]*)\"")]
    private static partial Regex ChallengeParameter();
}
