using System.Text;

namespace Registry.Oci.Tests;

public sealed class DigestTests
{
    private static readonly string Hex64 = new('a', 64);
    private static readonly string Hex128 = new('0', 128);

    [Fact]
    public void Parses_sha256_and_keeps_algorithm_and_hex()
    {
        var digest = Digest.Parse($"sha256:{Hex64}");

        Assert.Equal("sha256", digest.Algorithm);
        Assert.Equal(Hex64, digest.Hex);
        Assert.Equal($"sha256:{Hex64}", digest.ToString());
    }

    [Fact]
    public void Parses_sha512()
    {
        var digest = Digest.Parse($"sha512:{Hex128}");

        Assert.Equal(Digest.Sha512, digest.Algorithm);
        Assert.Equal(Hex128, digest.Hex);
    }

    [Theory]
    [InlineData("")]
    [InlineData("sha256")]
    [InlineData("sha256:")]
    [InlineData(":abc")]
    [InlineData("sha256:ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789")] // uppercase
    [InlineData("sha256:abc")] // short
    [InlineData("sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // 65 chars
    [InlineData("sha256:gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg")] // not hex
    [InlineData("sha512:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // sha512 with sha256 length
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e")] // unknown algorithm
    [InlineData("blake3:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // unknown algorithm
    [InlineData("SHA256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // uppercase algorithm
    [InlineData("sha256:../../../../etc/passwd")]
    [InlineData("sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData(" sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void Rejects_malformed_or_unsupported_digests(string value)
    {
        Assert.False(Digest.TryParse(value, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
        var exception = Assert.Throws<OciException>(() => Digest.Parse(value));
        Assert.Equal("DIGEST_INVALID", exception.Error.Code);
        Assert.Equal(400, exception.Error.Status);
    }

    [Fact]
    public void Unknown_but_well_formed_algorithm_is_reported_as_unsupported()
    {
        Assert.False(Digest.TryParse($"blake3:{Hex64}", out _, out var error));
        Assert.Contains("not supported", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Null_is_rejected_without_throwing()
    {
        Assert.False(Digest.TryParse(null, out _));
    }

    [Fact]
    public void Compute_matches_known_vectors()
    {
        Assert.Equal(
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            Digest.Compute(Digest.Sha256, []).ToString());
        Assert.Equal(
            "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
            Digest.Compute(Digest.Sha512, []).ToString());
        Assert.Equal(
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            Digest.Compute(Digest.Sha256, Encoding.ASCII.GetBytes("abc")).ToString());
    }

    [Fact]
    public void Incremental_hash_equals_one_shot_hash()
    {
        var content = Encoding.UTF8.GetBytes("hello, registry");
        foreach (var algorithm in new[] { Digest.Sha256, Digest.Sha512 })
        {
            using var hash = Digest.CreateHash(algorithm);
            hash.AppendData(content.AsSpan(0, 5));
            hash.AppendData(content.AsSpan(5));
            Assert.Equal(Digest.Compute(algorithm, content), Digest.FromHash(algorithm, hash.GetHashAndReset()));
        }
    }

    [Fact]
    public void Unsupported_algorithm_cannot_be_computed()
    {
        Assert.False(Digest.IsSupportedAlgorithm("md5"));
        Assert.True(Digest.IsSupportedAlgorithm("sha512"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Digest.Compute("md5", []));
    }

    [Fact]
    public void Digests_compare_by_value()
    {
        Assert.Equal(Digest.Parse($"sha256:{Hex64}"), Digest.Parse($"sha256:{Hex64}"));
        Assert.NotEqual(Digest.Parse($"sha256:{Hex64}"), Digest.Parse($"sha256:{new string('b', 64)}"));
    }
}
