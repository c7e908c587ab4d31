using System.Collections.Concurrent;

namespace Registry.Security;

/// <summary>
/// What was learnt from checking a token (its grant, its subject), remembered until the token expires, so a client that
/// sends the same token again does not pay for the signature again. Bounded: past the limit it starts over.
/// </summary>
public sealed class TokenMemo<T>
    where T : class
{
    private const int MaxRemembered = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public T? Find(string token, string audience, DateTimeOffset now) =>
        _entries.TryGetValue(token, out var entry) && entry.Audience == audience && entry.Expires > now ? entry.Value : null;

    public void Remember(string token, string audience, T value, DateTimeOffset expires)
    {
        if (_entries.Count >= MaxRemembered)
        {
            _entries.Clear();
        }

        _entries[token] = new Entry(audience, value, expires);
    }

    private sealed record Entry(string Audience, T Value, DateTimeOffset Expires);
}
