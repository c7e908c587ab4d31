namespace Registry.Oci.Tests;

public sealed class GrammarTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("library/ubuntu")]
    [InlineData("a/b/c/d/e")]
    [InlineData("my-app")]
    [InlineData("my--app")]
    [InlineData("my_app")]
    [InlineData("my__app")]
    [InlineData("my.app")]
    [InlineData("0abc/123")]
    [InlineData("blobs")]
    [InlineData("x/manifests/y")]
    [InlineData("x/blobs/uploads")]
    public void Accepts_names_of_the_spec_grammar(string name)
    {
        Assert.True(OciGrammar.IsRepositoryName(name));
        Assert.Equal(name, OciGrammar.ValidateRepositoryName(name));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Library/ubuntu")]
    [InlineData("UPPER")]
    [InlineData("..")]
    [InlineData("a/../b")]
    [InlineData("../etc")]
    [InlineData("a..b")]
    [InlineData(".a")]
    [InlineData("a.")]
    [InlineData("-a")]
    [InlineData("a-")]
    [InlineData("_a")]
    [InlineData("a___b")]
    [InlineData("a/")]
    [InlineData("/a")]
    [InlineData("a//b")]
    [InlineData("a b")]
    [InlineData("a\\b")]
    [InlineData("a:b")]
    [InlineData("a%2fb")]
    [InlineData("a/b\n")]
    [InlineData("é")]
    public void Rejects_names_outside_the_grammar(string name)
    {
        Assert.False(OciGrammar.IsRepositoryName(name));
        var exception = Assert.Throws<OciException>(() => OciGrammar.ValidateRepositoryName(name));
        Assert.Equal("NAME_INVALID", exception.Error.Code);
        Assert.Equal(400, exception.Error.Status);
    }

    [Fact]
    public void Name_length_is_limited_to_255()
    {
        var longest = string.Join('/', Enumerable.Repeat(new string('a', 50), 4)) + "/" + new string('b', 51);
        Assert.Equal(255, longest.Length);
        Assert.True(OciGrammar.IsRepositoryName(longest));

        var tooLong = longest + "f";
        Assert.False(OciGrammar.IsRepositoryName(tooLong));
        var exception = Assert.Throws<OciException>(() => OciGrammar.ValidateRepositoryName(tooLong));
        Assert.Equal("NAME_INVALID", exception.Error.Code);
        Assert.Contains("255", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("latest")]
    [InlineData("v1.2.3")]
    [InlineData("_private")]
    [InlineData("1")]
    [InlineData("A-Z_a.z")]
    [InlineData("sha256-abc.sig")]
    public void Accepts_tags(string tag)
    {
        Assert.True(OciGrammar.IsTag(tag));
        Assert.Equal(tag, OciGrammar.ValidateTag(tag));
    }

    [Theory]
    [InlineData("")]
    [InlineData(".hidden")]
    [InlineData("-dash")]
    [InlineData("a/b")]
    [InlineData("a:b")]
    [InlineData("..")]
    [InlineData("a b")]
    [InlineData("tag\n")]
    public void Rejects_tags_outside_the_grammar(string tag)
    {
        Assert.False(OciGrammar.IsTag(tag));
        var exception = Assert.Throws<OciException>(() => OciGrammar.ValidateTag(tag));
        Assert.Equal("TAG_INVALID", exception.Error.Code);
    }

    [Fact]
    public void Tag_length_is_limited_to_128()
    {
        Assert.True(OciGrammar.IsTag(new string('a', 128)));
        Assert.False(OciGrammar.IsTag(new string('a', 129)));
        Assert.Equal(128, OciGrammar.MaxTagLength);
    }

    [Theory]
    [InlineData("sha256", true)]
    [InlineData("sha512", true)]
    [InlineData("multihash+base58", true)]
    [InlineData("SHA256", false)]
    [InlineData("sha256+", false)]
    [InlineData("", false)]
    public void Digest_algorithm_grammar(string algorithm, bool valid)
    {
        Assert.Equal(valid, OciGrammar.IsDigestAlgorithm(algorithm));
    }
}
