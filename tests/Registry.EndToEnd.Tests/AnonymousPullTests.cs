using System.Text.Json;

namespace Registry.EndToEnd.Tests;

/// <summary>
/// Anonymous pull of the default registry, registry-wide and per repository, through docker and skopeo without
/// credentials. These tests change the registry's settings and put them back: the collection runs its classes one at a
/// time, so no other test ever sees anonymous pull on (it would let every identity pull everything).
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class AnonymousPullTests(RegistryFixture registry)
{
    [Fact]
    public async Task Anonymous_docker_pull_is_refused_until_anonymous_pull_is_enabled_and_anonymous_push_stays_refused()
    {
        var image = $"{registry.Host}/{RegistryFixture.UniqueRepository("anonymous")}:1";
        var elsewhere = $"{registry.Host}/{RegistryFixture.UniqueRepository("anonymous-push")}:1";
        var token = await registry.CreateTokenAsync("_repositories_push");
        using var docker = await registry.LoginDockerAsync(token, "anonymous");
        await registry.Docker("tag", RegistryFixture.TinyImage1, image);
        await registry.Docker("tag", RegistryFixture.TinyImage2, elsewhere);
        try
        {
            await registry.Docker("push", image);
            await registry.Docker("rmi", image);

            // Logged out, the client is anonymous; by default nothing is anonymous.
            await docker.RunAsync("logout", registry.Host);
            Assert.Null(docker.StoredLogin(registry.Host));
            (await docker.TryRunAsync("pull", image)).EnsureRefused("anonymous docker pull with anonymous pull off");

            AssertSettings(await registry.UpdateRegistryAsync(new { anonymousPullEnabled = true }), anonymous: true, []);
            await docker.RunAsync("pull", image);
            Assert.Equal(registry.TinyImage1Id, await DockerTests.ImageIdAsync(image));
            (await docker.TryRunAsync("push", image)).EnsureRefused("anonymous docker push over a pullable tag");
            (await docker.TryRunAsync("push", elsewhere)).EnsureRefused("anonymous docker push of a new repository");

            AssertSettings(await registry.UpdateRegistryAsync(new { anonymousPullEnabled = false }), anonymous: false, []);
            await registry.Docker("rmi", image);
            (await docker.TryRunAsync("pull", image)).EnsureRefused("anonymous docker pull after anonymous pull was turned off again");
        }
        finally
        {
            await RestoreSettingsAsync();
            await RegistryFixture.Quietly("docker", "rmi", image);
            await RegistryFixture.Quietly("docker", "rmi", elsewhere);
        }
    }

    [Fact]
    public async Task Per_repository_anonymous_pull_lets_only_the_listed_repositories_be_pulled_without_credentials()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var open = $"{registry.Host}/public-{id}/app:1";
        var closed = $"{registry.Host}/private-{id}/app:1";
        var temp = RegistryFixture.NewTempDirectory("anonymous-repositories");
        using var docker = registry.NewDockerClient("anonymous-repositories");
        try
        {
            var digestFile = Path.Combine(temp, "digest");
            await registry.Skopeo(
                "copy", "--dest-tls-verify=false", "--dest-creds", registry.Admin.Creds, "--digestfile", digestFile, $"docker-daemon:{RegistryFixture.TinyImage1}", $"docker://{open}");
            var pushed = (await File.ReadAllTextAsync(digestFile)).Trim();
            await registry.Skopeo("copy", "--dest-tls-verify=false", "--dest-creds", registry.Admin.Creds, $"docker-daemon:{RegistryFixture.TinyImage1}", $"docker://{closed}");
            (await Inspect(open)).EnsureRefused("skopeo inspect --no-creds before any repository is anonymous");

            AssertSettings(await registry.UpdateRegistryAsync(new { anonymousPullRepositories = new[] { $"public-{id}/*" } }), anonymous: false, [$"public-{id}/*"]);
            Assert.Equal(pushed, (await Inspect(open)).EnsureSuccess(registry.ServerOutput()).StandardOutput.Trim());
            (await Inspect(closed)).EnsureRefused("skopeo inspect --no-creds of a repository that is not listed");

            await docker.RunAsync("pull", open);
            Assert.Equal(registry.TinyImage1Id, await DockerTests.ImageIdAsync(open));
            (await docker.TryRunAsync("pull", closed)).EnsureRefused("anonymous docker pull of a repository that is not listed");
            (await Cli.RunAsync("skopeo", "copy", "--dest-tls-verify=false", "--dest-no-creds", $"docker-daemon:{RegistryFixture.TinyImage2}", $"docker://{open}"))
                .EnsureRefused("anonymous skopeo copy into an anonymously pullable repository");
            Assert.Equal(pushed, (await registry.GetManifestAsync($"public-{id}/app", "1")).DockerContentDigest);
        }
        finally
        {
            await RestoreSettingsAsync();
            await RegistryFixture.Quietly("docker", "rmi", open);
            RegistryFixture.DeleteDirectory(temp);
        }
    }

    private static void AssertSettings(JsonElement updated, bool anonymous, string[] repositories)
    {
        var properties = updated.GetProperty("properties");
        Assert.Equal(anonymous, properties.GetProperty("anonymousPullEnabled").GetBoolean());
        Assert.Equal(repositories, properties.GetProperty("anonymousPullRepositories").EnumerateArray().Select(r => r.GetString()!));
    }

    /// <summary><c>skopeo inspect --no-creds</c>: the manifest digest, or a refusal.</summary>
    private static Task<CliResult> Inspect(string image) =>
        Cli.RunAsync("skopeo", "inspect", "--tls-verify=false", "--no-creds", "--format", "{{.Digest}}", $"docker://{image}");

    /// <summary>Back to the default: nothing anonymous.</summary>
    private async Task RestoreSettingsAsync() =>
        AssertSettings(await registry.UpdateRegistryAsync(new { anonymousPullEnabled = false, anonymousPullRepositories = Array.Empty<string>() }), anonymous: false, []);
}
