using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Registry.Oci;

/// <summary>A content digest (<c>algorithm:hex</c>) restricted to the algorithms the registry verifies.</summary>
public readonly record struct Digest
{
    public const string Sha256 = "sha256";
    public const string Sha512 = "sha512";

    private Digest(string algorithm, string hex)
    {
        Algorithm = algorithm;
        Hex = hex;
    }

    public string Algorithm { get; }

    public string Hex { get; }

    public override string ToString() => $"{Algorithm}:{Hex}";

    public static Digest Parse(string value) =>
        TryParse(value, out var digest, out var error)
            ? digest
            : throw new OciException(OciErrorCode.DigestInvalid, error, value);

    public static bool TryParse([NotNullWhen(true)] string? value, out Digest digest) => TryParse(value, out digest, out _);

    /// <summary>Parses a digest; the hex part must match the algorithm's length and be lowercase so it can never escape a storage path.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out Digest digest, out string error)
    {
        digest = default;
        if (string.IsNullOrEmpty(value))
        {
            error = "digest is empty";
            return false;
        }

        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == value.Length - 1)
        {
            error = "digest must have the form <algorithm>:<encoded>";
            return false;
        }

        var algorithm = value[..colon];
        var hex = value[(colon + 1)..];
        var expectedLength = algorithm switch
        {
            Sha256 => 64,
            Sha512 => 128,
            _ => -1,
        };
        if (expectedLength < 0)
        {
            error = OciGrammar.IsDigestAlgorithm(algorithm)
                ? $"digest algorithm '{algorithm}' is not supported (use sha256 or sha512)"
                : "digest algorithm is not valid";
            return false;
        }

        if (hex.Length != expectedLength || !IsLowerHex(hex))
        {
            error = $"{algorithm} digest must be {expectedLength} lowercase hexadecimal characters";
            return false;
        }

        digest = new Digest(algorithm, hex);
        error = string.Empty;
        return true;
    }

    public static bool IsSupportedAlgorithm(string algorithm) => algorithm is Sha256 or Sha512;

    public static Digest FromHash(string algorithm, byte[] hash) => new(algorithm, Convert.ToHexStringLower(hash));

    public static Digest Compute(string algorithm, ReadOnlySpan<byte> content) => algorithm switch
    {
        Sha256 => FromHash(Sha256, SHA256.HashData(content)),
        Sha512 => FromHash(Sha512, SHA512.HashData(content)),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "unsupported digest algorithm"),
    };

    public static IncrementalHash CreateHash(string algorithm) => algorithm switch
    {
        Sha256 => IncrementalHash.CreateHash(HashAlgorithmName.SHA256),
        Sha512 => IncrementalHash.CreateHash(HashAlgorithmName.SHA512),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "unsupported digest algorithm"),
    };

    private static bool IsLowerHex(string value)
    {
        foreach (var c in value)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }
}
