using System.Net;
using System.Text.Json;

namespace Registry.Replication.Tests;

/// <summary>
/// Imports of a 2-platform OCI index from a real CNCF Distribution registry: what lands in the target (every manifest
/// byte for byte, every blob), the operation's account of it, dedupe of blobs the registry has, and the targets a body
/// chooses (tags, the default, untagged repositories).
/// </summary>
[Collection(ImportCollection.Name)]
public sealed class ImportFromDistributionTests(ImportFixture fixture)
{
    private const string OciIndex = "application/vnd.oci.image.index.v1+json";

    [Fact]
    public void A_multi_platform_index_from_Distribution_is_accepted_with_the_operation_and_its_address()
    {
        var first = fixture.FirstImport;
        Assert.True(first.Status == HttpStatusCode.Accepted, $"the import answered {(int)first.Status}: {first.Body}{Environment.NewLine}{fixture.Describe()}");
        Assert.NotNull(first.Location);
        var operation = JsonDocument.Parse(first.Body).RootElement;
        var id = operation.GetProperty("id").GetString()!;
        Assert.Equal($"{ImportClient.ImportPath}/operations/{id}", first.Location.IsAbsoluteUri ? first.Location.AbsolutePath : first.Location.OriginalString);
        Assert.Equal(first.Location.OriginalString, first.AsyncOperation);
        Assert.Contains(operation.GetProperty("status").GetString(), new[] { "Running", "Succeeded" });
        Assert.Equal(fixture.Index.Digest, operation.GetProperty("digest").GetString());
        Assert.Equal(OciIndex, operation.GetProperty("mediaType").GetString());
        Assert.Equal($"{ImportFixture.IndexRepository}:{ImportFixture.IndexTag}", operation.GetProperty("source").GetProperty("sourceImage").GetString());
        Assert.Equal([ImportFixture.FirstTarget], operation.GetProperty("targetTags").EnumerateArray().Select(tag => tag.GetString()));
        Assert.Equal("NoForce", operation.GetProperty("mode").GetString());
    }

    [Fact]
    public void The_first_import_succeeds_and_counts_every_manifest_and_every_blob_it_copied()
    {
        var first = fixture.FirstImport;
        Assert.True(first.Finished is not null, $"the import answered {(int)first.Status}: {first.Body}");
        var operation = first.Finished.Value;
        fixture.Import.AssertSucceeded(operation, first.FinishedText);
        Assert.Equal(fixture.Index.Digest, operation.GetProperty("digest").GetString());
        Assert.Equal(JsonValueKind.Null, operation.GetProperty("error").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, operation.GetProperty("finishedAt").ValueKind);

        // The target was empty: the index and its 2 children, 2 configs and 2 layers, all copied.
        var blobs = fixture.Index.AllBlobs;
        Assert.Equal(4, blobs.Count);
        var progress = Progress.Of(operation);
        Assert.Equal(3, progress.Manifests);
        Assert.Equal(3, progress.ManifestsTotal);
        Assert.Equal(blobs.Count, progress.BlobsCopied);
        Assert.Equal(0, progress.BlobsExisting);
        Assert.Equal(blobs.Sum(blob => blob.Size), progress.BytesCopied);
    }

    [Fact]
    public async Task The_imported_index_every_child_manifest_and_every_blob_are_served_byte_identical()
    {
        fixture.AssertFirstImportSucceeded();
        var (repository, tag) = Split(ImportFixture.FirstTarget);
        Assert.Equal([tag], await fixture.TargetOci.TagsAsync(repository));
        await AssertHasTreeAsync(repository, tag);
    }

    [Fact]
    public async Task Skopeo_copies_the_imported_index_out_with_every_platform_and_the_source_digests()
    {
        fixture.AssertFirstImportSucceeded();
        var layout = Directory.CreateTempSubdirectory("registry-replication-skopeo-").FullName;
        try
        {
            await Cli.RunCheckedAsync(
                "skopeo",
                ["copy", "--all", "--preserve-digests", "--src-tls-verify=false", "--src-creds", fixture.Target.AdminCreds,
                    $"docker://{fixture.Target.Host}/{ImportFixture.FirstTarget}", $"oci:{layout}:out"],
                fixture.Describe);

            using var index = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(layout, "index.json")));
            var top = Assert.Single(index.RootElement.GetProperty("manifests").EnumerateArray());
            Assert.Equal(fixture.Index.Digest, top.GetProperty("digest").GetString());
            foreach (var manifest in fixture.Index.All)
            {
                Assert.Equal(manifest.Content, await File.ReadAllBytesAsync(BlobPath(layout, manifest.Digest)));
            }

            foreach (var blob in fixture.Index.AllBlobs)
            {
                var content = await File.ReadAllBytesAsync(BlobPath(layout, blob.Digest));
                Assert.Equal(blob.Digest, OciClient.Sha256(content));
                Assert.Equal(blob.Size, content.LongLength);
            }
        }
        finally
        {
            Registry.Testing.TestDirectories.TryDelete(layout);
        }
    }

    [Fact]
    public async Task Importing_again_into_another_repository_links_the_blobs_the_registry_has_and_copies_none()
    {
        fixture.AssertFirstImportSucceeded();
        var repository = ImportFixture.NewRepository("dedupe");

        var operation = await fixture.Import.ImportAsync(fixture.FromDistribution($"{ImportFixture.IndexRepository}:{ImportFixture.IndexTag}", [$"{repository}:copy"], mode: "Force"));

        var progress = Progress.Of(operation);
        Assert.Equal(3, progress.Manifests);
        Assert.Equal(3, progress.ManifestsTotal);
        Assert.Equal(0, progress.BlobsCopied);
        Assert.Equal(fixture.Index.AllBlobs.Count, progress.BlobsExisting);
        Assert.Equal(0, progress.BytesCopied);
        Assert.Equal("Force", operation.GetProperty("mode").GetString());
        await AssertHasTreeAsync(repository, "copy");
    }

    [Fact]
    public async Task NoForce_onto_a_tag_that_already_points_at_the_same_digest_is_accepted_and_succeeds()
    {
        fixture.AssertFirstImportSucceeded();
        var (repository, tag) = Split(ImportFixture.FirstTarget);

        var operation = await fixture.Import.ImportAsync(fixture.FromDistribution($"{ImportFixture.IndexRepository}:{ImportFixture.IndexTag}", [ImportFixture.FirstTarget], mode: "NoForce"));

        Assert.Equal(fixture.Index.Digest, operation.GetProperty("digest").GetString());
        Assert.Equal(fixture.Index.Digest, await fixture.TargetOci.ResolveAsync(repository, tag));
    }

    [Fact]
    public async Task A_Docker_manifest_list_keeps_its_media_types_and_digests()
    {
        // The same two platforms converted to Docker schema 2 by skopeo: a manifest list of Docker manifests.
        var sourceRepository = "library/dockerlist" + Guid.NewGuid().ToString("N")[..8];
        await Cli.RunCheckedAsync(
            "skopeo",
            ["copy", "--all", "--format", "v2s2", "--dest-tls-verify=false",
                $"oci:{Path.Combine(Registry.Testing.RepositoryPaths.Tools, "tiny-index")}:multi", $"docker://{fixture.Distribution.Host}/{sourceRepository}:multi"],
            fixture.Describe);
        var source = await SourceManifest.ReadAsync(fixture.DistributionOci, sourceRepository, "multi");
        Assert.Equal("application/vnd.docker.distribution.manifest.list.v2+json", source.MediaType);
        var repository = ImportFixture.NewRepository("dockerlist");

        var operation = await fixture.Import.ImportAsync(fixture.FromDistribution($"{sourceRepository}:multi", [$"{repository}:multi"]));

        Assert.Equal(source.Digest, operation.GetProperty("digest").GetString());
        Assert.Equal(source.MediaType, operation.GetProperty("mediaType").GetString());
        Assert.Equal(3, Progress.Of(operation).Manifests);
        await AssertHasTreeAsync(source, repository, "multi");
    }

    [Fact]
    public async Task Without_targets_the_image_lands_under_the_source_repository_and_tag()
    {
        var operation = await fixture.Import.ImportAsync(new
        {
            source = new { registryUri = fixture.DistributionUri, sourceImage = $"{ImportFixture.IndexRepository}:{ImportFixture.IndexTag}" },
        });

        Assert.Equal([$"{ImportFixture.IndexRepository}:{ImportFixture.IndexTag}"], operation.GetProperty("targetTags").EnumerateArray().Select(tag => tag.GetString()));
        Assert.Equal([ImportFixture.IndexTag], await fixture.TargetOci.TagsAsync(ImportFixture.IndexRepository));
        await AssertHasTreeAsync(ImportFixture.IndexRepository, ImportFixture.IndexTag);
    }

    [Fact]
    public async Task Without_targets_a_source_named_by_digest_lands_in_the_source_repository_by_digest_only()
    {
        var source = await SourceManifest.ReadAsync(fixture.DistributionOci, ImportFixture.DigestOnlyRepository, ImportFixture.IndexTag);

        await fixture.Import.ImportAsync(new
        {
            source = new { registryUri = fixture.DistributionUri, sourceImage = $"{ImportFixture.DigestOnlyRepository}@{source.Digest}" },
        });

        Assert.Empty(await fixture.TargetOci.TagsAsync(ImportFixture.DigestOnlyRepository));
        await AssertHasTreeAsync(ImportFixture.DigestOnlyRepository, source.Digest);
    }

    [Fact]
    public async Task Untagged_target_repositories_get_the_manifests_by_digest_and_no_tag()
    {
        var mirror = ImportFixture.NewRepository("mirror");

        var operation = await fixture.Import.ImportAsync(fixture.FromDistribution($"{ImportFixture.IndexRepository}:{ImportFixture.IndexTag}", untagged: [mirror]));

        Assert.Empty(operation.GetProperty("targetTags").EnumerateArray());
        Assert.Equal([mirror], operation.GetProperty("untaggedTargetRepositories").EnumerateArray().Select(repository => repository.GetString()));
        Assert.Empty(await fixture.TargetOci.TagsAsync(mirror));
        var byTag = await fixture.TargetOci.GetManifestAsync(mirror, ImportFixture.IndexTag);
        Assert.True(byTag.Status == HttpStatusCode.NotFound, byTag.Describe($"GET {mirror}:{ImportFixture.IndexTag}"));
        await AssertHasTreeAsync(mirror, fixture.Index.Digest);
    }

    [Fact]
    public async Task Target_tags_and_untagged_repositories_of_one_import_each_get_what_they_asked_for()
    {
        var tagged = ImportFixture.NewRepository("both-tagged");
        var untagged = ImportFixture.NewRepository("both-untagged");

        await fixture.Import.ImportAsync(fixture.FromDistribution($"{ImportFixture.IndexRepository}:{ImportFixture.IndexTag}", [$"{tagged}:v1", $"{tagged}:latest"], [untagged]));

        Assert.Equal(["latest", "v1"], (await fixture.TargetOci.TagsAsync(tagged)).Order());
        Assert.Equal(fixture.Index.Digest, await fixture.TargetOci.ResolveAsync(tagged, "latest"));
        await AssertHasTreeAsync(tagged, "v1");
        Assert.Empty(await fixture.TargetOci.TagsAsync(untagged));
        await AssertHasTreeAsync(untagged, fixture.Index.Digest);
    }

    /// <summary>
    /// The target's <paramref name="repository"/> serves, at <paramref name="reference"/>, the source index byte for byte
    /// with its media type, every child manifest by digest likewise, and every config and layer with its digest and size.
    /// </summary>
    private Task AssertHasTreeAsync(string repository, string reference) => AssertHasTreeAsync(fixture.Index, repository, reference);

    /// <summary>As above, for another source image.</summary>
    private async Task AssertHasTreeAsync(SourceManifest source, string repository, string reference)
    {
        var top = await fixture.TargetOci.GetManifestAsync(repository, reference);
        Assert.True(top.Status == HttpStatusCode.OK, top.Describe($"GET {repository} manifest {reference}") + Environment.NewLine + fixture.Describe());
        Assert.Equal(source.Digest, top.DockerContentDigest);
        Assert.Equal(source.Content, top.Content);
        Assert.Equal(source.MediaType, top.MediaType);

        foreach (var child in source.Children)
        {
            var served = await fixture.TargetOci.GetManifestAsync(repository, child.Digest);
            Assert.True(served.Status == HttpStatusCode.OK, served.Describe($"GET {repository} manifest {child.Digest}"));
            Assert.Equal(child.Digest, served.ComputedDigest);
            Assert.Equal(child.Content, served.Content);
            Assert.Equal(child.MediaType, served.MediaType);
        }

        foreach (var blob in source.AllBlobs)
        {
            var served = await fixture.TargetOci.GetBlobAsync(repository, blob.Digest);
            Assert.True(served.Status == HttpStatusCode.OK, served.Describe($"GET {repository} blob {blob.Digest}"));
            Assert.Equal(blob.Digest, served.ComputedDigest);
            Assert.Equal(blob.Size, served.Content.LongLength);
        }
    }

    private static string BlobPath(string layout, string digest) => Path.Combine(layout, "blobs", "sha256", digest["sha256:".Length..]);

    private static (string Repository, string Tag) Split(string image) => (image[..image.LastIndexOf(':')], image[(image.LastIndexOf(':') + 1)..]);
}
