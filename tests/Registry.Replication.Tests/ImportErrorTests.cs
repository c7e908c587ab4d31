using System.Net;
using Registry.Testing;

namespace Registry.Replication.Tests;

/// <summary>
/// The usual mistakes fail at once, before anything is copied, with a precise ProblemDetails — and change nothing in the
/// target: malformed bodies (400), a source that refuses or lacks the image or serves no manifest (422), a source that
/// cannot be reached or fails (502), a tag NoForce may not move (409), no or bad credentials for our API (401).
/// </summary>
[Collection(ImportCollection.Name)]
public sealed class ImportErrorTests(ImportFixture fixture)
{
    private const string SourceImage = ImportFixture.IndexRepository + ":" + ImportFixture.IndexTag;
    private const string NotFound = "The source image was not found";

    /// <summary>Bodies with one mistake each; <c>{uri}</c> is the Distribution registry, <c>{repo}</c> a fresh target repository.</summary>
    [Theory]
    [InlineData("no body", "")]
    [InlineData("not JSON", "{\"source\":")]
    [InlineData("JSON that is not an object", "[1,2]")]
    [InlineData("no source", """{"targetTags":["{repo}:v1"]}""")]
    [InlineData("no registryUri", """{"source":{"sourceImage":"library/tiny:multi"},"targetTags":["{repo}:v1"]}""")]
    [InlineData("registryUri with a path", """{"source":{"registryUri":"{uri}/v2/library","sourceImage":"library/tiny:multi"},"targetTags":["{repo}:v1"]}""")]
    [InlineData("no sourceImage", """{"source":{"registryUri":"{uri}"},"targetTags":["{repo}:v1"]}""")]
    [InlineData("sourceImage with capitals", """{"source":{"registryUri":"{uri}","sourceImage":"Library/Tiny:multi"},"targetTags":["{repo}:v1"]}""")]
    [InlineData("sourceImage with a bad tag", """{"source":{"registryUri":"{uri}","sourceImage":"library/tiny:bad tag"},"targetTags":["{repo}:v1"]}""")]
    [InlineData("sourceImage with a bad digest", """{"source":{"registryUri":"{uri}","sourceImage":"library/tiny@sha256:1234"},"targetTags":["{repo}:v1"]}""")]
    [InlineData("mode neither NoForce nor Force", """{"source":{"registryUri":"{uri}","sourceImage":"library/tiny:multi"},"targetTags":["{repo}:v1"],"mode":"Overwrite"}""")]
    [InlineData("target tag with a bad tag", """{"source":{"registryUri":"{uri}","sourceImage":"library/tiny:multi"},"targetTags":["{repo}:v1","{repo}:bad tag"]}""")]
    [InlineData("target tag with a bad repository", """{"source":{"registryUri":"{uri}","sourceImage":"library/tiny:multi"},"targetTags":["{repo}:v1","Bad Repo:v1"]}""")]
    [InlineData("bad untagged repository", """{"source":{"registryUri":"{uri}","sourceImage":"library/tiny:multi"},"targetTags":["{repo}:v1"],"untaggedTargetRepositories":["{repo}/UPPER"]}""")]
    public async Task A_malformed_body_is_400_and_imports_nothing(string mistake, string template)
    {
        var repository = ImportFixture.NewRepository("bad");
        var body = template.Replace("{uri}", fixture.DistributionUri, StringComparison.Ordinal).Replace("{repo}", repository, StringComparison.Ordinal);

        await Problem.AssertAsync(await fixture.Import.PostRawAsync(body), HttpStatusCode.BadRequest, context: () => $"{mistake}: {body}");

        Assert.Empty(await fixture.TargetOci.TagsAsync(repository));
    }

    [Theory]
    [InlineData("library/tiny:nothere")]
    [InlineData("library/nothere:multi")]
    [InlineData("library/tiny@sha256:0000000000000000000000000000000000000000000000000000000000000000")]
    public async Task A_source_image_the_source_does_not_have_is_422_and_imports_nothing(string sourceImage)
    {
        var repository = ImportFixture.NewRepository("missing");

        await Problem.AssertAsync(
            await fixture.Import.PostAsync(fixture.FromDistribution(sourceImage, [$"{repository}:v1"])),
            HttpStatusCode.UnprocessableEntity,
            title: NotFound,
            context: fixture.Describe);

        Assert.Empty(await fixture.TargetOci.TagsAsync(repository));
    }

    [Fact]
    public async Task A_source_that_serves_something_other_than_a_manifest_is_422()
    {
        var repository = ImportFixture.NewRepository("not-a-manifest");
        await fixture.Receiver.SetModeAsync("/v2/notregistry/app/manifests/v1", new ReceiverMode(Status: 200, Body: "this is not a manifest"));

        await Problem.AssertAsync(
            await fixture.Import.PostAsync(new
            {
                source = new { registryUri = fixture.Receiver.BaseAddress.GetLeftPart(UriPartial.Authority), sourceImage = "notregistry/app:v1" },
                targetTags = new[] { $"{repository}:v1" },
            }),
            HttpStatusCode.UnprocessableEntity,
            context: fixture.Describe);

        Assert.Empty(await fixture.TargetOci.TagsAsync(repository));
    }

    [Fact]
    public async Task A_source_that_answers_with_a_server_error_is_502()
    {
        var repository = ImportFixture.NewRepository("source-error");
        await fixture.Receiver.SetModeAsync("/v2/broken/app/manifests/v1", new ReceiverMode(Status: 500, Body: "upstream broke"));

        await Problem.AssertAsync(
            await fixture.Import.PostAsync(new
            {
                source = new { registryUri = fixture.Receiver.BaseAddress.GetLeftPart(UriPartial.Authority), sourceImage = "broken/app:v1" },
                targetTags = new[] { $"{repository}:v1" },
            }),
            HttpStatusCode.BadGateway,
            context: fixture.Describe);

        Assert.Empty(await fixture.TargetOci.TagsAsync(repository));
    }

    [Fact]
    public async Task A_source_nothing_listens_on_is_502_and_imports_nothing()
    {
        var repository = ImportFixture.NewRepository("unreachable");
        var closed = FreePort.Next();

        await Problem.AssertAsync(
            await fixture.Import.PostAsync(new
            {
                source = new { registryUri = $"http://127.0.0.1:{closed}", sourceImage = SourceImage },
                targetTags = new[] { $"{repository}:v1" },
            }),
            HttpStatusCode.BadGateway,
            context: fixture.Describe);

        Assert.Empty(await fixture.TargetOci.TagsAsync(repository));
    }

    [Fact]
    public async Task A_registryUri_without_a_scheme_means_HTTPS_so_a_plain_HTTP_source_is_502()
    {
        var repository = ImportFixture.NewRepository("https");

        await Problem.AssertAsync(
            await fixture.Import.PostAsync(new
            {
                source = new { registryUri = fixture.Distribution.Host, sourceImage = SourceImage },
                targetTags = new[] { $"{repository}:v1" },
            }),
            HttpStatusCode.BadGateway,
            context: fixture.Describe);

        Assert.Empty(await fixture.TargetOci.TagsAsync(repository));
    }

    [Fact]
    public async Task A_source_missing_a_blob_its_manifest_references_fails_the_operation_and_tags_nothing()
    {
        // A real image in Distribution whose config blob is then deleted there: the manifest still resolves (202), the
        // copy cannot finish.
        var sourceRepository = "library/broken" + Guid.NewGuid().ToString("N")[..8];
        await Cli.RunCheckedAsync(
            "skopeo",
            ["copy", "--dest-tls-verify=false", "docker-daemon:registry-test/tiny:2", $"docker://{fixture.Distribution.Host}/{sourceRepository}:2"],
            fixture.Describe);
        var source = await SourceManifest.ReadAsync(fixture.DistributionOci, sourceRepository, "2");
        var config = source.Blobs[0];
        using (var http = new HttpClient { BaseAddress = fixture.Distribution.BaseAddress })
        using (var deleted = await http.DeleteAsync(new Uri($"v2/{sourceRepository}/blobs/{config.Digest}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        }

        var repository = ImportFixture.NewRepository("broken");
        var accepted = await fixture.Import.StartAsync(fixture.FromDistribution($"{sourceRepository}:2", [$"{repository}:2"]));
        Assert.Equal(source.Digest, accepted.Operation.GetProperty("digest").GetString());
        var (operation, text) = await fixture.Import.WaitAsync(accepted.Location);

        Assert.True(operation.GetProperty("status").GetString() == "Failed", text);
        var error = operation.GetProperty("error");
        Assert.False(string.IsNullOrEmpty(error.GetProperty("code").GetString()), text);
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()), text);
        Assert.Equal(0, Progress.Of(operation).Manifests);

        // No tag points at something incomplete, and the manifest itself was not stored.
        Assert.Empty(await fixture.TargetOci.TagsAsync(repository));
        var byDigest = await fixture.TargetOci.GetManifestAsync(repository, source.Digest);
        Assert.True(byDigest.Status == HttpStatusCode.NotFound, byDigest.Describe($"GET {repository}@{source.Digest}"));
    }

    [Fact]
    public async Task NoForce_onto_a_tag_at_another_digest_is_409_and_leaves_the_tag_then_Force_moves_it()
    {
        var repository = ImportFixture.NewRepository("conflict");
        var child = fixture.Index.Children[0];
        await fixture.Import.ImportAsync(fixture.FromDistribution($"{ImportFixture.IndexRepository}@{child.Digest}", [$"{repository}:v1"]));
        Assert.Equal(child.Digest, await fixture.TargetOci.ResolveAsync(repository, "v1"));

        await Problem.AssertAsync(
            await fixture.Import.PostAsync(fixture.FromDistribution(SourceImage, [$"{repository}:other", $"{repository}:v1"], mode: "NoForce")),
            HttpStatusCode.Conflict,
            context: fixture.Describe);
        await Problem.AssertAsync(
            await fixture.Import.PostAsync(fixture.FromDistribution(SourceImage, [$"{repository}:v1"])),
            HttpStatusCode.Conflict,
            context: () => "mode defaults to NoForce" + Environment.NewLine + fixture.Describe());

        Assert.Equal(child.Digest, await fixture.TargetOci.ResolveAsync(repository, "v1"));
        Assert.Equal(["v1"], await fixture.TargetOci.TagsAsync(repository));

        var forced = await fixture.Import.ImportAsync(fixture.FromDistribution(SourceImage, [$"{repository}:v1"], mode: "Force"));
        Assert.Equal(fixture.Index.Digest, forced.GetProperty("digest").GetString());
        Assert.Equal(fixture.Index.Digest, await fixture.TargetOci.ResolveAsync(repository, "v1"));
    }

    [Fact]
    public async Task Our_management_API_without_credentials_or_with_a_wrong_password_is_401_and_imports_nothing()
    {
        var repository = ImportFixture.NewRepository("unauthenticated");
        var body = fixture.FromDistribution(SourceImage, [$"{repository}:v1"]);

        using (var anonymous = await fixture.Import.PostAsync(body, anonymous: true))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Contains(anonymous.Headers.WwwAuthenticate, challenge => challenge.Scheme == "Basic");
        }

        using (var wrong = await fixture.Import.PostAsync(body, ImportClient.Basic(fixture.Target.AdminUsername, "not-" + fixture.Target.AdminPassword)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        Assert.Empty(await fixture.TargetOci.TagsAsync(repository));
    }

    [Fact]
    public async Task Following_an_operation_needs_credentials_and_an_unknown_operation_is_404()
    {
        fixture.AssertFirstImportSucceeded();
        using (var anonymous = await fixture.Import.GetAsync(fixture.FirstImport.Location!.OriginalString, anonymous: true))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        await Problem.AssertAsync(await fixture.Import.GetAsync($"{ImportClient.ImportPath}/operations/{Guid.NewGuid()}"), HttpStatusCode.NotFound);
    }
}
