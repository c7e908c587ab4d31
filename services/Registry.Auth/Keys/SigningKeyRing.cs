using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Registry.Security;
using Registry.Storage;

namespace Registry.Auth.Keys;

/// <summary>
/// The ES256 signing keys, kept in the platform partition so every auth instance signs with the same ring.
/// The newest key whose activation time has passed signs; every key in the ring is published (JWKS) and honoured, a new
/// one from <see cref="AuthOptions.KeyPropagationDelay"/> before it signs and a retired one until its tokens expire.
/// </summary>
internal sealed partial class SigningKeyRing(
    IStorageDriverFactory storage,
    IOptions<AuthOptions> options,
    TimeProvider time,
    ILogger<SigningKeyRing> logger) : ISigningKeySource
{
    private volatile Ring _ring = Ring.Empty;

    public SigningCredentials Current
    {
        get
        {
            var now = time.GetUtcNow();
            var key = _ring.Keys.Where(k => k.ActivatesAt <= now).MaxBy(k => k.ActivatesAt)
                ?? throw new InvalidOperationException("the signing key ring has not been loaded");
            return key.Credentials;
        }
    }

    public ValueTask<SecurityKey?> FindAsync(string keyId, CancellationToken cancellationToken) =>
        ValueTask.FromResult<SecurityKey?>(_ring.Keys.FirstOrDefault(k => k.Id == keyId)?.Credentials.Key);

    /// <summary>The public halves of every key in the ring.</summary>
    public JsonWebKeySet Published()
    {
        var set = new JsonWebKeySet();
        foreach (var key in _ring.Keys)
        {
            var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(key.PublicParameters)) { KeyId = key.Id });
            jwk.Use = "sig";
            jwk.Alg = AccessTokenValidator.Algorithm;
            set.Keys.Add(jwk);
        }

        return set;
    }

    /// <summary>Loads the ring, creating the first key, rotating when the newest is older than the rotation period, and dropping expired keys.</summary>
    public async Task MaintainAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var stored = await storage.ForPlatform().ReadAsync(StoragePaths.SigningKeys, cancellationToken);
            var document = stored is null ? new KeyRingDocument() : JsonSerializer.Deserialize<KeyRingDocument>(stored.Content.Span, Json)!;
            var now = time.GetUtcNow();
            var changed = document.Prune(now, options.Value.AccessTokenLifetime + options.Value.RefreshTokenLifetime);
            var newest = document.Keys.MaxBy(k => k.ActivatesAt);
            if (newest is null || now - newest.CreatedAt >= options.Value.KeyRotationPeriod)
            {
                document.Keys.Add(StoredKey.Create(now, newest is null ? now : now + options.Value.KeyPropagationDelay));
                changed = true;
            }

            if (changed)
            {
                try
                {
                    await storage.ForPlatform().WriteAsync(
                        StoragePaths.SigningKeys, JsonSerializer.SerializeToUtf8Bytes(document, Json), StorageCondition.Replacing(stored?.ETag), cancellationToken);
                    LogRingChanged(logger, document.Keys.Count, document.Keys.MaxBy(k => k.ActivatesAt)!.Id);
                }
                catch (StoragePreconditionFailedException)
                {
                    continue;
                }
            }

            _ring = new Ring(document.Keys.Select(k => k.ToKey()).ToArray());
            return;
        }

        throw new InvalidOperationException("the signing key ring kept changing while it was being maintained");
    }

    /// <summary>Makes a new key now (it signs after the propagation delay); the previous keys stay honoured.</summary>
    public async Task RotateAsync(CancellationToken cancellationToken)
    {
        var stored = await storage.ForPlatform().ReadAsync(StoragePaths.SigningKeys, cancellationToken);
        var document = stored is null ? new KeyRingDocument() : JsonSerializer.Deserialize<KeyRingDocument>(stored.Content.Span, Json)!;
        var now = time.GetUtcNow();
        document.Keys.Add(StoredKey.Create(now, document.Keys.Count == 0 ? now : now + options.Value.KeyPropagationDelay));
        await storage.ForPlatform().WriteAsync(
            StoragePaths.SigningKeys, JsonSerializer.SerializeToUtf8Bytes(document, Json), StorageCondition.Replacing(stored?.ETag), cancellationToken);
        await MaintainAsync(cancellationToken);
    }

    [LoggerMessage(1, LogLevel.Information, "Signing key ring now holds {KeyCount} keys; newest {KeyId}")]
    private static partial void LogRingChanged(ILogger logger, int keyCount, string keyId);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Ring(IReadOnlyList<RingKey> Keys)
    {
        public static Ring Empty { get; } = new([]);
    }

    private sealed record RingKey(string Id, DateTimeOffset ActivatesAt, SigningCredentials Credentials, ECParameters PublicParameters);

    private sealed class KeyRingDocument
    {
        public List<StoredKey> Keys { get; init; } = [];

        /// <summary>Drops keys retired (a successor active) for longer than any token they signed can live.</summary>
        public bool Prune(DateTimeOffset now, TimeSpan longestTokenLifetime)
        {
            var ordered = Keys.OrderBy(k => k.ActivatesAt).ToList();
            var expired = ordered
                .Where((key, index) => index + 1 < ordered.Count && ordered[index + 1].ActivatesAt + longestTokenLifetime < now)
                .ToList();
            return expired.Count > 0 && Keys.RemoveAll(expired.Contains) > 0;
        }
    }

    private sealed class StoredKey
    {
        public required string Id { get; init; }

        public required DateTimeOffset CreatedAt { get; init; }

        public required DateTimeOffset ActivatesAt { get; init; }

        public required string D { get; init; }

        public required string X { get; init; }

        public required string Y { get; init; }

        public static StoredKey Create(DateTimeOffset now, DateTimeOffset activatesAt)
        {
            using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var parameters = ecdsa.ExportParameters(includePrivateParameters: true);
            return new StoredKey
            {
                Id = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(12)),
                CreatedAt = now,
                ActivatesAt = activatesAt,
                D = Base64UrlEncoder.Encode(parameters.D),
                X = Base64UrlEncoder.Encode(parameters.Q.X),
                Y = Base64UrlEncoder.Encode(parameters.Q.Y),
            };
        }

        public RingKey ToKey()
        {
            var publicParameters = new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = Base64UrlEncoder.DecodeBytes(X), Y = Base64UrlEncoder.DecodeBytes(Y) },
            };
            var privateParameters = publicParameters with { D = Base64UrlEncoder.DecodeBytes(D) };
            var key = new ECDsaSecurityKey(ECDsa.Create(privateParameters)) { KeyId = Id };
            return new RingKey(Id, ActivatesAt, new SigningCredentials(key, AccessTokenValidator.Algorithm), publicParameters);
        }
    }
}
