using System.Text;

namespace Registry.Oci.Tests;

public sealed class ManifestParserTests
{
    private static readonly string ConfigDigest = $"sha256:{new string('1', 64)}";
    private static readonly string LayerDigest = $"sha256:{new string('2', 64)}";
    private static readonly string ChildDigest = $"sha256:{new string('3', 64)}";
    private static readonly string SubjectDigest = $"sha256:{new string('4', 64)}";

    private static string Config(string mediaType = MediaTypes.OciConfig) =>
        $$$"""{"mediaType":"{{{mediaType}}}","digest":"{{{ConfigDigest}}}","size":10}""";

    private static string Layer(string extra = "") =>
        $$$"""{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{{{LayerDigest}}}","size":20{{{extra}}}}""";

    private static Manifest Parse(string json, string? contentType) => ManifestParser.Parse(Encoding.UTF8.GetBytes(json), contentType);

    private static OciException Fails(string json, string? contentType) =>
        Assert.Throws<OciException>(() => Parse(json, contentType));

    [Fact]
    public void Parses_an_oci_image_manifest()
    {
        var json = $$$"""
            {"schemaVersion":2,"mediaType":"{{{MediaTypes.OciManifest}}}","config":{{{Config()}}},"layers":[{{{Layer()}}}],
             "annotations":{"org.opencontainers.image.created":"2024-01-01T00:00:00Z"}}
            """;

        var manifest = Parse(json, MediaTypes.OciManifest);

        Assert.Equal(MediaTypes.OciManifest, manifest.MediaType);
        Assert.False(manifest.IsIndex);
        Assert.Equal(ConfigDigest, manifest.Config!.Digest);
        Assert.Equal(10, manifest.Config.Size);
        var layer = Assert.Single(manifest.Layers);
        Assert.Equal(LayerDigest, layer.Digest);
        Assert.Equal(20, layer.Size);
        Assert.Empty(manifest.Manifests);
        Assert.Null(manifest.Subject);
        Assert.Equal("2024-01-01T00:00:00Z", manifest.Annotations!["org.opencontainers.image.created"]);
        Assert.Equal([ConfigDigest, LayerDigest], manifest.RequiredBlobs.Select(d => d.Digest));
    }

    [Fact]
    public void Media_type_comes_from_the_body_when_content_type_is_absent()
    {
        var json = $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.DockerManifest}}}","config":{{{Config("application/vnd.docker.container.image.v1+json")}}},"layers":[{{{Layer()}}}]}""";
        Assert.Equal(MediaTypes.DockerManifest, Parse(json, null).MediaType);
        Assert.Equal(MediaTypes.DockerManifest, Parse(json, "application/json").MediaType);
    }

    [Fact]
    public void Media_type_comes_from_content_type_when_the_body_has_none()
    {
        var json = $$$"""{"schemaVersion":2,"config":{{{Config()}}},"layers":[{{{Layer()}}}]}""";
        Assert.Equal(MediaTypes.OciManifest, Parse(json, MediaTypes.OciManifest).MediaType);
        Assert.Equal(MediaTypes.OciManifest, Parse(json, $"{MediaTypes.OciManifest}; charset=utf-8").MediaType);
    }

    [Fact]
    public void Shape_decides_when_neither_names_a_media_type()
    {
        Assert.Equal(MediaTypes.OciManifest, Parse($$$"""{"schemaVersion":2,"config":{{{Config()}}},"layers":[]}""", null).MediaType);
        Assert.Equal(MediaTypes.OciIndex, Parse("""{"schemaVersion":2,"manifests":[]}""", null).MediaType);
    }

    [Fact]
    public void Parses_an_oci_index_with_platforms()
    {
        var json = $$$"""
            {"schemaVersion":2,"mediaType":"{{{MediaTypes.OciIndex}}}","manifests":[
              {"mediaType":"{{{MediaTypes.OciManifest}}}","digest":"{{{ChildDigest}}}","size":300,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}
            """;

        var index = Parse(json, MediaTypes.OciIndex);

        Assert.True(index.IsIndex);
        Assert.Null(index.Config);
        Assert.Empty(index.Layers);
        Assert.Empty(index.RequiredBlobs);
        var child = Assert.Single(index.Manifests);
        Assert.Equal(ChildDigest, child.Digest);
        Assert.Equal("arm64", child.Platform!.Architecture);
        Assert.Equal("linux", child.Platform.Os);
        Assert.Equal("v8", child.Platform.Variant);
    }

    [Fact]
    public void Parses_a_docker_manifest_and_a_docker_manifest_list()
    {
        var image = $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.DockerManifest}}}","config":{{{Config("application/vnd.docker.container.image.v1+json")}}},"layers":[{{{Layer()}}}]}""";
        var list = $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.DockerManifestList}}}","manifests":[{"mediaType":"{{{MediaTypes.DockerManifest}}}","digest":"{{{ChildDigest}}}","size":5,"platform":{"architecture":"amd64","os":"linux"}}]}""";

        Assert.Equal(MediaTypes.DockerManifest, Parse(image, MediaTypes.DockerManifest).MediaType);
        var parsed = Parse(list, MediaTypes.DockerManifestList);
        Assert.Equal(MediaTypes.DockerManifestList, parsed.MediaType);
        Assert.True(parsed.IsIndex);
        Assert.Single(parsed.Manifests);
    }

    [Theory]
    [InlineData(MediaTypes.DockerSchema1, """{"schemaVersion":1,"name":"x","tag":"latest","fsLayers":[]}""")]
    [InlineData(MediaTypes.DockerSchema1Signed, """{"schemaVersion":1,"name":"x","tag":"latest","fsLayers":[]}""")]
    [InlineData(null, """{"schemaVersion":1,"name":"x","tag":"latest","fsLayers":[]}""")]
    [InlineData("application/json", """{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v1+prettyjws"}""")]
    public void Schema_1_is_refused_with_a_clear_message(string? contentType, string json)
    {
        var exception = Fails(json, contentType);
        Assert.Equal("MANIFEST_INVALID", exception.Error.Code);
        Assert.Contains("schema 1", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Content_type_and_media_type_must_agree()
    {
        var json = $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.DockerManifest}}}","config":{{{Config()}}},"layers":[{{{Layer()}}}]}""";
        var exception = Fails(json, MediaTypes.OciManifest);
        Assert.Equal("MANIFEST_INVALID", exception.Error.Code);
        Assert.Contains("does not match", exception.Message, StringComparison.Ordinal);

        var index = $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.OciIndex}}}","manifests":[]}""";
        Assert.Equal("MANIFEST_INVALID", Fails(index, MediaTypes.OciManifest).Error.Code);
    }

    [Fact]
    public void Unsupported_media_types_are_refused()
    {
        var json = $$$"""{"schemaVersion":2,"config":{{{Config()}}},"layers":[]}""";
        var exception = Fails(json, "text/plain");
        Assert.Equal("MANIFEST_INVALID", exception.Error.Code);
        Assert.Equal(415, exception.Error.Status);

        var unknownField = $$$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.artifact.manifest.v1+json","config":{{{Config()}}},"layers":[]}""";
        Assert.Equal("MANIFEST_INVALID", Fails(unknownField, null).Error.Code);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    [InlineData("{}")]
    [InlineData("""{"schemaVersion":"2"}""")]
    [InlineData("""{"schemaVersion":3,"manifests":[]}""")]
    [InlineData("""{"schemaVersion":2.5,"manifests":[]}""")]
    [InlineData("""{"schemaVersion":2,"manifests":[]""")]
    public void Malformed_documents_are_manifest_invalid(string json)
    {
        Assert.Equal("MANIFEST_INVALID", Fails(json, null).Error.Code);
    }

    [Fact]
    public void Image_manifest_needs_a_config()
    {
        var json = $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.OciManifest}}}","layers":[{{{Layer()}}}]}""";
        Assert.Contains("config", Fails(json, MediaTypes.OciManifest).Message, StringComparison.Ordinal);
        var docker = $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.DockerManifest}}}","layers":[{{{Layer()}}}]}""";
        Assert.Equal("MANIFEST_INVALID", Fails(docker, MediaTypes.DockerManifest).Error.Code);
    }

    [Theory]
    [InlineData(MediaTypes.OciManifest)]
    [InlineData(MediaTypes.DockerManifest)]
    public void Image_manifest_needs_a_layers_array(string mediaType)
    {
        var missing = $$$"""{"schemaVersion":2,"mediaType":"{{{mediaType}}}","config":{{{Config()}}}}""";
        Assert.Contains("layers", Fails(missing, mediaType).Message, StringComparison.Ordinal);

        var notArray = $$$"""{"schemaVersion":2,"mediaType":"{{{mediaType}}}","config":{{{Config()}}},"layers":{}}""";
        Assert.Equal("MANIFEST_INVALID", Fails(notArray, mediaType).Error.Code);
    }

    [Fact]
    public void An_empty_layers_array_is_a_valid_artifact()
    {
        var json = $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.OciManifest}}}","config":{{{Config(MediaTypes.OciEmpty)}}},"layers":[]}""";
        Assert.Empty(Parse(json, MediaTypes.OciManifest).Layers);
    }

    [Theory]
    [InlineData(MediaTypes.OciIndex)]
    [InlineData(MediaTypes.DockerManifestList)]
    public void Index_needs_manifests_and_no_config_or_layers(string mediaType)
    {
        Assert.Contains("manifests", Fails($$$"""{"schemaVersion":2,"mediaType":"{{{mediaType}}}"}""", mediaType).Message, StringComparison.Ordinal);
        Assert.Equal("MANIFEST_INVALID", Fails($$$"""{"schemaVersion":2,"mediaType":"{{{mediaType}}}","manifests":[],"config":{{{Config()}}}}""", mediaType).Error.Code);
        Assert.Equal("MANIFEST_INVALID", Fails($$$"""{"schemaVersion":2,"mediaType":"{{{mediaType}}}","manifests":[],"layers":[]}""", mediaType).Error.Code);
    }

    [Fact]
    public void Image_manifest_must_not_have_manifests()
    {
        var json = $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.OciManifest}}}","config":{{{Config()}}},"layers":[],"manifests":[]}""";
        Assert.Equal("MANIFEST_INVALID", Fails(json, MediaTypes.OciManifest).Error.Code);
    }

    [Theory]
    [InlineData("""{"digest":"sha256:2222222222222222222222222222222222222222222222222222222222222222","size":1}""", "mediaType")]
    [InlineData("""{"mediaType":"a/b","size":1}""", "digest")]
    [InlineData("""{"mediaType":"a/b","digest":"sha256:abc","size":1}""", "digest")]
    [InlineData("""{"mediaType":"a/b","digest":"sha256:2222222222222222222222222222222222222222222222222222222222222222"}""", "size")]
    [InlineData("""{"mediaType":"a/b","digest":"sha256:2222222222222222222222222222222222222222222222222222222222222222","size":-1}""", "size")]
    [InlineData("""{"mediaType":"a/b","digest":"sha256:2222222222222222222222222222222222222222222222222222222222222222","size":"1"}""", "size")]
    [InlineData("""{"mediaType":"a/b","digest":"sha256:2222222222222222222222222222222222222222222222222222222222222222","size":1.5}""", "size")]
    [InlineData("""{"mediaType":"a/b","digest":"sha256:2222222222222222222222222222222222222222222222222222222222222222","size":1,"annotations":{"k":1}}""", "annotation")]
    [InlineData("\"not an object\"", "descriptor")]
    [InlineData("""{"mediaType":"a/b","digest":"sha256:2222222222222222222222222222222222222222222222222222222222222222","size":1,"urls":[1]}""", "urls")]
    public void Bad_layer_descriptors_are_manifest_invalid(string layer, string mentions)
    {
        var json = $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.OciManifest}}}","config":{{{Config()}}},"layers":[{{{layer}}}]}""";
        var exception = Fails(json, MediaTypes.OciManifest);
        Assert.Equal("MANIFEST_INVALID", exception.Error.Code);
        Assert.Contains(mentions, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_config_and_child_descriptors_are_manifest_invalid()
    {
        var badConfig = $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.OciManifest}}}","config":{"mediaType":"x/y","digest":"sha256:nothex","size":1},"layers":[]}""";
        Assert.Equal("MANIFEST_INVALID", Fails(badConfig, MediaTypes.OciManifest).Error.Code);
        var badChild = $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.OciIndex}}}","manifests":[{"mediaType":"{{{MediaTypes.OciManifest}}}","digest":"../../x","size":1}]}""";
        Assert.Equal("MANIFEST_INVALID", Fails(badChild, MediaTypes.OciIndex).Error.Code);
    }

    [Fact]
    public void Subject_and_explicit_artifact_type_are_read()
    {
        var json = $$$"""
            {"schemaVersion":2,"mediaType":"{{{MediaTypes.OciManifest}}}","artifactType":"application/vnd.example.sbom",
             "config":{{{Config(MediaTypes.OciEmpty)}}},"layers":[{{{Layer()}}}],
             "subject":{"mediaType":"{{{MediaTypes.OciManifest}}}","digest":"{{{SubjectDigest}}}","size":7},
             "annotations":{"org.example":"yes"}}
            """;

        var manifest = Parse(json, MediaTypes.OciManifest);

        Assert.Equal("application/vnd.example.sbom", manifest.ArtifactType);
        Assert.Equal(SubjectDigest, manifest.Subject!.Digest);
        Assert.Equal(MediaTypes.OciManifest, manifest.Subject.MediaType);
        Assert.Equal("yes", manifest.Annotations!["org.example"]);
    }

    [Fact]
    public void Artifact_type_falls_back_to_the_config_media_type()
    {
        var json = $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.OciManifest}}}","config":{{{Config("application/vnd.example.config")}}},"layers":[]}""";
        Assert.Equal("application/vnd.example.config", Parse(json, MediaTypes.OciManifest).ArtifactType);
    }

    [Fact]
    public void Index_artifact_type_has_no_fallback_and_an_index_can_have_a_subject()
    {
        var plain = $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.OciIndex}}}","manifests":[]}""";
        Assert.Null(Parse(plain, MediaTypes.OciIndex).ArtifactType);

        var withSubject = $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.OciIndex}}}","artifactType":"application/vnd.example.set","manifests":[],"subject":{"mediaType":"{{{MediaTypes.OciManifest}}}","digest":"{{{SubjectDigest}}}","size":1}}""";
        var index = Parse(withSubject, MediaTypes.OciIndex);
        Assert.Equal("application/vnd.example.set", index.ArtifactType);
        Assert.Equal(SubjectDigest, index.Subject!.Digest);
    }

    [Theory]
    [InlineData("\"sha256:x\"")]
    [InlineData("""{"mediaType":"a/b","digest":"sha256:zz","size":1}""")]
    [InlineData("""{"mediaType":"a/b","size":1}""")]
    public void Bad_subject_is_manifest_invalid(string subject)
    {
        var json = $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.OciManifest}}}","config":{{{Config()}}},"layers":[],"subject":{{{subject}}}}""";
        Assert.Equal("MANIFEST_INVALID", Fails(json, MediaTypes.OciManifest).Error.Code);
    }

    [Fact]
    public void Non_distributable_layers_with_urls_are_not_required_blobs()
    {
        var foreign = $$$"""{"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip","digest":"{{{ChildDigest}}}","size":30,"urls":["https://example.com/layer"]}""";
        var json = $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.DockerManifest}}}","config":{{{Config("application/vnd.docker.container.image.v1+json")}}},"layers":[{{{foreign}}},{{{Layer()}}}]}""";

        var manifest = Parse(json, MediaTypes.DockerManifest);

        Assert.Equal(2, manifest.Layers.Count);
        Assert.Equal(["https://example.com/layer"], manifest.Layers[0].Urls!);
        Assert.Equal([ConfigDigest, LayerDigest], manifest.RequiredBlobs.Select(d => d.Digest));
    }

    [Fact]
    public void Deeply_nested_json_is_refused()
    {
        var json = $$$"""{"schemaVersion":2,"config":{{{Config()}}},"layers":[],"annotations":{"a":"b"},"x":{{{new string('[', 100)}}}{{{new string(']', 100)}}}}""";
        Assert.Equal("MANIFEST_INVALID", Fails(json, MediaTypes.OciManifest).Error.Code);
    }

    [Fact]
    public void Media_type_normalisation_strips_parameters_and_case()
    {
        Assert.Equal(MediaTypes.OciManifest, MediaTypes.Normalize("Application/VND.oci.image.manifest.v1+json ; charset=utf-8"));
        Assert.Equal(string.Empty, MediaTypes.Normalize(null));
        Assert.Equal(string.Empty, MediaTypes.Normalize("  "));
    }
}
