using Registry.Inventory.Tests.Support;
using Registry.Vulnerabilities.Inventory;

namespace Registry.Inventory.Tests;

/// <summary>
/// <see cref="Purl.Of"/> against the published "build" vectors of the package-url test suite
/// (github.com/package-url/purl-spec, tests/types/*-test.json and tests/spec/specification-test.json): components in,
/// canonical purl out.
/// </summary>
public sealed class PurlTests
{
    public static TheoryData<string, string?, string, string, string[], string> SpecBuildVectors => new()
    {
        // tests/types/deb-test.json
        { "deb", "debian", "curl", "7.50.3-1", ["arch=i386", "distro=jessie"], "pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie" },
        { "deb", "debian", "dpkg", "1.19.0.4", ["distro=stretch", "arch=amd64"], "pkg:deb/debian/dpkg@1.19.0.4?arch=amd64&distro=stretch" },
        { "deb", "ubuntu", "dpkg", "1.19.0.4", ["arch=amd64"], "pkg:deb/ubuntu/dpkg@1.19.0.4?arch=amd64" },
        { "deb", "debian", "attr", "1:2.4.47-2", ["arch=source"], "pkg:deb/debian/attr@1:2.4.47-2?arch=source" },
        { "deb", "debian", "attr", "1:2.4.47-2+b1", ["arch=amd64"], "pkg:deb/debian/attr@1:2.4.47-2%2Bb1?arch=amd64" },
        // tests/types/npm-test.json
        { "npm", "@angular", "animation", "12.3.1", [], "pkg:npm/%40angular/animation@12.3.1" },
        { "npm", null, "foobar", "12.3.1", [], "pkg:npm/foobar@12.3.1" },
        // tests/types/golang-test.json
        { "golang", "github.com/gorilla", "context", "234fd47e07d1004f0aed9c", [], "pkg:golang/github.com/gorilla/context@234fd47e07d1004f0aed9c" },
        // docs/standard/specification.md, Example 2 (Maven)
        { "maven", "org.apache.xmlgraphics", "batik-anim", "1.9.1", ["packaging=sources"], "pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?packaging=sources" },
        // tests/types/nuget-test.json
        { "nuget", null, "EnterpriseLibrary.Common", "6.0.1304", [], "pkg:nuget/EnterpriseLibrary.Common@6.0.1304" },
        // tests/spec/specification-test.json: "Build with multiple checksum"
        { "generic", null, "openssl", "1.1.10g", ["checksum=sha1:ad9503c3e994a4f,sha256:41bf9088b3a1e6c1ef1d"], "pkg:generic/openssl@1.1.10g?checksum=sha1:ad9503c3e994a4f%2Csha256:41bf9088b3a1e6c1ef1d" },
    };

    [Theory]
    [MemberData(nameof(SpecBuildVectors))]
    public void Builds_the_canonical_purl_of_the_spec_test_suite(string type, string? @namespace, string name, string version, string[] qualifiers, string expected)
    {
        var pairs = qualifiers.Select(q => q.Split('=', 2)).Select(q => (q[0], (string?)q[1])).ToArray();

        Assert.Equal(expected, Purl.Of(type, @namespace, name, version, pairs));
    }

    [Theory]
    // Go pseudo-versions and +incompatible / +dirty builds: '+' is outside the allowed set.
    [InlineData("golang", "github.com/docker", "docker", "v20.10.24+incompatible")]
    [InlineData("golang", "cloud.google.com/go", "cbt", "v0.0.0-20250422202024-9eeb4a7a08b6+dirty")]
    [InlineData("golang", "k8s.io", "kubernetes", "v1.31.0")]
    // Namespaces with several segments stay separated by unencoded slashes.
    [InlineData("golang", "golang.org/x", "crypto", "v0.31.0")]
    // Spaces, non-ASCII (UTF-8 octets), '@', '?', '#', '%' and '/' inside a name or version are encoded.
    [InlineData("generic", null, "café au lait", "1.0 beta")]
    [InlineData("generic", "some space", "we@ird?name#x", "100%/2")]
    // Debian versions with epochs and tildes; the colon is never encoded.
    [InlineData("deb", "debian", "base-files", "12.4+deb12u5")]
    [InlineData("deb", "debian", "clang-format", "1:14.0-55.7~deb12u1")]
    public void Encodes_each_component_as_the_spec_defines(string type, string? @namespace, string name, string version)
    {
        Assert.Equal(PurlSpec.Build(type, @namespace, name, version), Purl.Of(type, @namespace, name, version));
    }

    [Fact]
    public void Qualifiers_are_sorted_by_key_and_empty_values_are_left_out()
    {
        var purl = Purl.Of("deb", "debian", "libc6", "2.36-9", ("upstream", "glibc"), ("distro", "debian-12"), ("epoch", null), ("arch", "amd64"), ("repository_url", ""));

        var (head, qualifiers) = PurlSpec.Split(purl);
        Assert.Equal("pkg:deb/debian/libc6@2.36-9", head);
        Assert.Equal(["arch", "distro", "upstream"], qualifiers.Select(q => q.Key));
        Assert.Equal(["amd64", "debian-12", "glibc"], qualifiers.Select(q => q.Value));
    }

    [Fact]
    public void Qualifier_values_are_percent_encoded()
    {
        var purl = Purl.Of("generic", null, "x", "1", ("note", "a b&c=d+e"));

        Assert.Equal("pkg:generic/x@1?note=a%20b%26c%3Dd%2Be", purl);
    }
}
