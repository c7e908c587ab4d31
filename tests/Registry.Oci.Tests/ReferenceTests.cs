namespace Registry.Oci.Tests;

public sealed class ReferenceTests
{
    [Fact]
    public void A_tag_is_a_tag()
    {
        var reference = Reference.Parse("v1.0");

        Assert.False(reference.IsDigest);
        Assert.Equal("v1.0", reference.Tag);
        Assert.Null(reference.Digest);
        Assert.Equal("v1.0", reference.ToString());
    }

    [Fact]
    public void A_digest_is_a_digest()
    {
        var text = $"sha256:{new string('c', 64)}";
        var reference = Reference.Parse(text);

        Assert.True(reference.IsDigest);
        Assert.Null(reference.Tag);
        Assert.Equal(Digest.Parse(text), reference.Digest);
        Assert.Equal(text, reference.ToString());
    }

    [Fact]
    public void A_sha512_digest_is_a_digest()
    {
        var reference = Reference.Parse($"sha512:{new string('d', 128)}");
        Assert.Equal(Digest.Sha512, reference.Digest!.Value.Algorithm);
    }

    [Theory]
    [InlineData("sha256:short")]
    [InlineData("sha256:ABCDEF")]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("a:b")]
    public void Anything_with_a_colon_must_be_a_valid_digest(string value)
    {
        var exception = Assert.Throws<OciException>(() => Reference.Parse(value));
        Assert.Equal("DIGEST_INVALID", exception.Error.Code);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".x")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("-x")]
    public void Invalid_tags_are_tag_invalid(string value)
    {
        var exception = Assert.Throws<OciException>(() => Reference.Parse(value));
        Assert.Equal("TAG_INVALID", exception.Error.Code);
    }

    [Fact]
    public void Tag_longer_than_128_is_invalid()
    {
        Assert.Equal("TAG_INVALID", Assert.Throws<OciException>(() => Reference.Parse(new string('t', 129))).Error.Code);
        Assert.Equal(new string('t', 128), Reference.Parse(new string('t', 128)).Tag);
    }
}
