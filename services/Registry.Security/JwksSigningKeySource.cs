using Microsoft.IdentityModel.Tokens;

namespace Registry.Security;

/// <summary>
/// The auth service's published keys (<c>GET /oauth2/jwks</c>), refreshed every few minutes and at once (at most every
/// few seconds) when a token names a key not seen yet, so a rotation never refuses a good token.
/// </summary>
public sealed class JwksSigningKeySource(HttpClient client, TimeProvider time) : ISigningKeySource
{
    public const string JwksPath = "/oauth2/jwks";
    private static readonly TimeSpan RefreshEvery = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan MinimumRefreshInterval = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile IReadOnlyDictionary<string, SecurityKey> _keys = new Dictionary<string, SecurityKey>();
    private DateTimeOffset _fetchedAt = DateTimeOffset.MinValue;

    public async ValueTask<SecurityKey?> FindAsync(string keyId, CancellationToken cancellationToken)
    {
        var stale = time.GetUtcNow() - _fetchedAt > RefreshEvery;
        if (!stale && _keys.TryGetValue(keyId, out var key))
        {
            return key;
        }

        await RefreshAsync(force: stale, cancellationToken);
        return _keys.GetValueOrDefault(keyId);
    }

    private async Task RefreshAsync(bool force, CancellationToken cancellationToken)
    {
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            if (!force && now - _fetchedAt < MinimumRefreshInterval)
            {
                return;
            }

            try
            {
                var json = await client.GetStringAsync(new Uri(JwksPath, UriKind.Relative), cancellationToken);
                var set = new JsonWebKeySet(json);
                _keys = set.Keys.Where(k => !string.IsNullOrEmpty(k.Kid)).ToDictionary(k => k.Kid, SecurityKey (k) => k, StringComparer.Ordinal);
                _fetchedAt = now;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or ArgumentException && !cancellationToken.IsCancellationRequested)
            {
                // Auth unreachable: the keys already known stay honoured; ask again shortly.
                _fetchedAt = now - RefreshEvery + MinimumRefreshInterval;
                if (_keys.Count == 0)
                {
                    throw new InvalidOperationException("the auth service's signing keys could not be fetched", ex);
                }
            }
        }
        finally
        {
            _refresh.Release();
        }
    }
}
