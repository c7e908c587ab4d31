using System.Net;

namespace Registry.Replication.Tests;

/// <summary>
/// A source that needs credentials: another single-process host with Docker token auth, holding an image pushed there
/// with skopeo from the docker daemon. The import pulls with the given credentials; wrong or missing ones are the
/// caller's mistake (422), and the credentials never show in the operation.
/// </summary>
[Collection(ImportCollection.Name)]
public sealed class ImportWithCredentialsTests(ImportFixture fixture)
{
    private const string CredentialsRefused = "The source registry refused the credentials";

    [Fact]
    public async Task An_image_from_a_token_auth_registry_is_imported_with_the_given_credentials()
    {
        var repository = ImportFixture.NewRepository("token");
        var source = fixture.TokenSourceManifest;

        var accepted = await fixture.Import.StartAsync(Body(fixture.Source.AdminUsername, fixture.Source.AdminPassword, [$"{repository}:1"]));
        var (operation, text) = await fixture.Import.WaitAsync(accepted.Location);

        fixture.Import.AssertSucceeded(operation, text);
        Assert.Equal(source.Digest, operation.GetProperty("digest").GetString());
        Assert.Equal(source.MediaType, operation.GetProperty("mediaType").GetString());
        var progress = Progress.Of(operation);
        Assert.Equal(1, progress.Manifests);
        Assert.Equal(1, progress.ManifestsTotal);
        Assert.Equal(source.Blobs.Count, progress.BlobsCopied + progress.BlobsExisting);

        // The credentials are used, never shown.
        Assert.DoesNotContain(fixture.Source.AdminPassword, accepted.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Source.AdminPassword, text, StringComparison.Ordinal);
        Assert.False(operation.GetProperty("source").TryGetProperty("credentials", out _), text);

        var served = await fixture.TargetOci.GetManifestAsync(repository, "1");
        Assert.True(served.Status == HttpStatusCode.OK, served.Describe($"GET {repository}:1"));
        Assert.Equal(source.Digest, served.DockerContentDigest);
        Assert.Equal(source.Content, served.Content);
        Assert.Equal(source.MediaType, served.MediaType);
        foreach (var blob in source.Blobs)
        {
            var content = await fixture.TargetOci.GetBlobAsync(repository, blob.Digest);
            Assert.True(content.Status == HttpStatusCode.OK, content.Describe($"GET {repository} blob {blob.Digest}"));
            Assert.Equal(blob.Digest, content.ComputedDigest);
            Assert.Equal(blob.Size, content.Content.LongLength);
        }
    }

    [Fact]
    public async Task A_wrong_password_for_the_source_is_refused_with_422_and_imports_nothing()
    {
        var repository = ImportFixture.NewRepository("wrong-password");

        await Problem.AssertAsync(
            await fixture.Import.PostAsync(Body(fixture.Source.AdminUsername, "not-" + fixture.Source.AdminPassword, [$"{repository}:1"])),
            HttpStatusCode.UnprocessableEntity,
            title: CredentialsRefused,
            context: fixture.Describe);

        Assert.Empty(await fixture.TargetOci.TagsAsync(repository));
    }

    [Fact]
    public async Task No_credentials_for_a_source_that_needs_them_is_refused_with_422_and_imports_nothing()
    {
        var repository = ImportFixture.NewRepository("no-credentials");

        await Problem.AssertAsync(
            await fixture.Import.PostAsync(new
            {
                source = new { registryUri = fixture.SourceUri, sourceImage = ImportFixture.TokenSourceImage },
                targetTags = new[] { $"{repository}:1" },
            }),
            HttpStatusCode.UnprocessableEntity,
            title: CredentialsRefused,
            context: fixture.Describe);

        Assert.Empty(await fixture.TargetOci.TagsAsync(repository));
    }

    [Fact]
    public async Task A_repository_the_source_lets_anyone_pull_is_imported_without_credentials_through_an_anonymous_token()
    {
        var publicRepository = "public/" + Guid.NewGuid().ToString("N")[..10];
        using (var source = new ImportClient(fixture.Source))
        using (var patched = await source.SendManagementAsync(HttpMethod.Patch, string.Empty, new { properties = new { anonymousPullRepositories = new[] { "public/*" } } }))
        {
            Assert.True(patched.IsSuccessStatusCode, $"anonymous pull of public/* on the source: {(int)patched.StatusCode} {await patched.Content.ReadAsStringAsync()}");
        }

        await Cli.RunCheckedAsync(
            "skopeo",
            ["copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--src-creds", fixture.Source.AdminCreds, "--dest-creds", fixture.Source.AdminCreds,
                $"docker://{fixture.Source.Host}/{ImportFixture.TokenSourceImage}", $"docker://{fixture.Source.Host}/{publicRepository}:1"],
            fixture.Describe);
        var repository = ImportFixture.NewRepository("anonymous");

        var operation = await fixture.Import.ImportAsync(new
        {
            source = new { registryUri = fixture.SourceUri, sourceImage = $"{publicRepository}:1" },
            targetTags = new[] { $"{repository}:1" },
        });

        Assert.Equal(fixture.TokenSourceManifest.Digest, operation.GetProperty("digest").GetString());
        Assert.Equal(fixture.TokenSourceManifest.Digest, await fixture.TargetOci.ResolveAsync(repository, "1"));
    }

    private object Body(string username, string password, string[] targetTags) => new
    {
        source = new
        {
            registryUri = fixture.SourceUri,
            sourceImage = ImportFixture.TokenSourceImage,
            credentials = new { username, password },
        },
        targetTags,
    };
}
