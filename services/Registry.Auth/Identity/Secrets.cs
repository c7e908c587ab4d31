using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Registry.Auth.Identity;

/// <summary>
/// Makes and checks secrets. Generated secrets carry 256 random bits, so a salted SHA-256 is as strong as any slow hash
/// against guessing and lets token issuance stay fast; a password a person chose (the admin password from the
/// environment) gets PBKDF2, and a successful check is remembered in memory so a client logging in on every request
/// does not pay it again. Every comparison is constant-time.
/// </summary>
internal static class Secrets
{
    private const string Sha256Scheme = "sha256";
    private const string Pbkdf2Scheme = "pbkdf2-sha256";
    private const int Pbkdf2Iterations = 210_000;

    private static readonly byte[] ProcessKey = RandomNumberGenerator.GetBytes(32);
    private static readonly ConcurrentDictionary<string, byte[]> VerifiedSlowHashes = new(StringComparer.Ordinal);

    /// <summary>A new secret: 32 random bytes, base64url (43 characters).</summary>
    public static string Generate() => Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string HashGenerated(string secret)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        return $"{Sha256Scheme}${Convert.ToBase64String(salt)}${Convert.ToBase64String(Sha256(salt, secret))}";
    }

    public static string HashChosen(string secret)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(secret), salt, Pbkdf2Iterations, HashAlgorithmName.SHA256, 32);
        return $"{Pbkdf2Scheme}${Pbkdf2Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public static bool Verify(string secret, string stored)
    {
        var parts = stored.Split('$');
        try
        {
            switch (parts)
            {
                case [Sha256Scheme, var salt, var hash]:
                    return CryptographicOperations.FixedTimeEquals(Sha256(Convert.FromBase64String(salt), secret), Convert.FromBase64String(hash));
                case [Pbkdf2Scheme, var iterations, var salt, var hash]:
                    var fingerprint = HMACSHA256.HashData(ProcessKey, Encoding.UTF8.GetBytes(secret));
                    if (VerifiedSlowHashes.TryGetValue(stored, out var remembered))
                    {
                        return CryptographicOperations.FixedTimeEquals(remembered, fingerprint);
                    }

                    var derived = Rfc2898DeriveBytes.Pbkdf2(
                        Encoding.UTF8.GetBytes(secret), Convert.FromBase64String(salt), int.Parse(iterations, System.Globalization.CultureInfo.InvariantCulture), HashAlgorithmName.SHA256, 32);
                    var matches = CryptographicOperations.FixedTimeEquals(derived, Convert.FromBase64String(hash));
                    if (matches)
                    {
                        VerifiedSlowHashes[stored] = fingerprint;
                    }

                    return matches;
                default:
                    return false;
            }
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static byte[] Sha256(byte[] salt, string secret)
    {
        var input = new byte[salt.Length + Encoding.UTF8.GetByteCount(secret)];
        salt.CopyTo(input, 0);
        Encoding.UTF8.GetBytes(secret, input.AsSpan(salt.Length));
        return SHA256.HashData(input);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
