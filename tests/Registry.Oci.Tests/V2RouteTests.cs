using Registry.Distribution.Apis;

namespace Registry.Oci.Tests;

public sealed class V2RouteTests
{
    private const string D = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    private static V2Route Parse(string path)
    {
        Assert.True(V2Route.TryParse(path, out var route), $"'{path}' should parse");
        return route;
    }

    [Fact]
    public void Catalog()
    {
        Assert.Equal(V2Endpoint.Catalog, Parse("_catalog").Endpoint);
    }

    [Theory]
    [InlineData("library/ubuntu/manifests/latest", "library/ubuntu", "latest")]
    [InlineData("a/manifests/" + D, "a", D)]
    [InlineData("manifests/manifests/latest", "manifests", "latest")]
    [InlineData("x/manifests/y/manifests/v1", "x/manifests/y", "v1")]
    [InlineData("x/blobs/uploads/manifests/v1", "x/blobs/uploads", "v1")]
    [InlineData("x/tags/list/manifests/list", "x/tags/list", "list")]
    public void Manifests(string path, string name, string reference)
    {
        var route = Parse(path);
        Assert.Equal(V2Endpoint.Manifest, route.Endpoint);
        Assert.Equal(name, route.Name);
        Assert.Equal(reference, route.Argument);
    }

    [Theory]
    [InlineData("a/blobs/" + D, "a")]
    [InlineData("blobs/blobs/" + D, "blobs")]
    [InlineData("x/blobs/blobs/" + D, "x/blobs")]
    [InlineData("x/uploads/blobs/" + D, "x/uploads")]
    [InlineData("x/blobs/uploads/blobs/" + D, "x/blobs/uploads")]
    public void Blobs(string path, string name)
    {
        var route = Parse(path);
        Assert.Equal(V2Endpoint.Blob, route.Endpoint);
        Assert.Equal(name, route.Name);
        Assert.Equal(D, route.Argument);
    }

    [Theory]
    [InlineData("a/blobs/uploads/", "a")]
    [InlineData("a/blobs/uploads", "a")]
    [InlineData("uploads/blobs/uploads/", "uploads")]
    [InlineData("blobs/blobs/uploads/", "blobs")]
    [InlineData("x/blobs/uploads/blobs/uploads/", "x/blobs/uploads")]
    [InlineData("x/manifests/blobs/uploads", "x/manifests")]
    public void Upload_start_with_and_without_trailing_slash(string path, string name)
    {
        var route = Parse(path);
        Assert.Equal(V2Endpoint.UploadStart, route.Endpoint);
        Assert.Equal(name, route.Name);
        Assert.Equal(string.Empty, route.Argument);
    }

    [Theory]
    [InlineData("a/blobs/uploads/0123456789abcdef0123456789abcdef", "a")]
    [InlineData("blobs/uploads/blobs/uploads/0123456789abcdef0123456789abcdef", "blobs/uploads")]
    public void Upload_session(string path, string name)
    {
        var route = Parse(path);
        Assert.Equal(V2Endpoint.Upload, route.Endpoint);
        Assert.Equal(name, route.Name);
        Assert.Equal("0123456789abcdef0123456789abcdef", route.Argument);
    }

    [Theory]
    [InlineData("a/tags/list", "a")]
    [InlineData("tags/tags/list", "tags")]
    [InlineData("x/tags/list/tags/list", "x/tags/list")]
    public void Tags_list(string path, string name)
    {
        var route = Parse(path);
        Assert.Equal(V2Endpoint.Tags, route.Endpoint);
        Assert.Equal(name, route.Name);
    }

    [Fact]
    public void Referrers()
    {
        var route = Parse("a/b/referrers/" + D);
        Assert.Equal(V2Endpoint.Referrers, route.Endpoint);
        Assert.Equal("a/b", route.Name);
        Assert.Equal(D, route.Argument);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("a/b")]
    [InlineData("manifests/latest")]
    [InlineData("blobs/" + D)]
    [InlineData("blobs/uploads/")]
    [InlineData("blobs/uploads")]
    [InlineData("tags/list")]
    [InlineData("a/manifests/")]
    [InlineData("a/blobs/")]
    [InlineData("a/unknown/x")]
    [InlineData("a/tags/other")]
    [InlineData("a/blobs/uploads/x/y")]
    public void Unknown_or_nameless_paths_do_not_parse(string path)
    {
        Assert.False(V2Route.TryParse(path, out _));
    }

    [Fact]
    public void Route_does_not_validate_names_so_handlers_can_answer_name_invalid()
    {
        var route = Parse("../etc/manifests/latest");
        Assert.Equal("../etc", route.Name);
        Assert.False(OciGrammar.IsRepositoryName(route.Name));
    }
}
