using System.Net;
using System.Text;

namespace Registry.EndToEnd.Tests;

/// <summary>
/// docker, skopeo and podman logged in as the registry's identities: tokens bound to system and made scope maps, service
/// principals with roles, and docker's refresh token. Each docker identity has a configuration directory of its own.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class IdentityTests(RegistryFixture registry)
{
    private const string NullGuidUser = "00000000-0000-0000-0000-000000000000";

    [Fact]
    public async Task Docker_login_with_a_wrong_password_fails_as_unauthorized_and_stores_nothing()
    {
        using var docker = registry.NewDockerClient("wrong-password");
        var login = await docker.TryLoginAsync(registry.Host, registry.Admin with { Password = "not-the-admin-password" });
        Assert.False(login.Succeeded, $"docker login with a wrong password succeeded:{Environment.NewLine}{login.Describe()}");
        Assert.Contains("unauthorized", login.StandardError, StringComparison.OrdinalIgnoreCase);
        Assert.Null(docker.StoredLogin(registry.Host));
    }

    [Fact]
    public async Task Token_with_the_system_pull_scope_map_pulls_what_the_admin_pushed_cannot_push_and_stops_when_disabled()
    {
        var image = $"{registry.Host}/{RegistryFixture.UniqueRepository("pull-token")}:1";
        var elsewhere = $"{registry.Host}/{RegistryFixture.UniqueRepository("pull-token-push")}:1";
        var token = await registry.CreateTokenAsync("_repositories_pull");
        using var docker = await registry.LoginDockerAsync(token, "pull-token");
        await registry.Docker("tag", RegistryFixture.TinyImage1, image);
        await registry.Docker("tag", RegistryFixture.TinyImage1, elsewhere);
        try
        {
            var pushed = DockerTests.PushedDigest(await registry.Docker("push", image));
            await registry.Docker("rmi", image);
            var pull = await docker.RunAsync("pull", image);
            Assert.Contains($"Digest: {pushed}", pull.StandardOutput, StringComparison.Ordinal);
            Assert.Equal(registry.TinyImage1Id, await DockerTests.ImageIdAsync(image));

            // Push is refused everywhere: into the repository it may pull from, and into a new one.
            (await docker.TryRunAsync("push", image)).EnsureRefused("docker push with a pull-only token");
            (await docker.TryRunAsync("push", elsewhere)).EnsureRefused("docker push of a new repository with a pull-only token");
            Assert.Equal(HttpStatusCode.NotFound, await ManifestStatusAsync(elsewhere));

            // Disabled, the token's stored login pulls nothing.
            await registry.ManageAsync(HttpMethod.Patch, $"/tokens/{token.Username}", new { properties = new { status = "disabled" } });
            await registry.Docker("rmi", image);
            (await docker.TryRunAsync("pull", image)).EnsureRefused("docker pull with a disabled token");
        }
        finally
        {
            await RegistryFixture.Quietly("docker", "rmi", image);
            await RegistryFixture.Quietly("docker", "rmi", elsewhere);
        }
    }

    [Fact]
    public async Task Token_with_a_team_scope_map_pushes_and_pulls_the_team_repositories_and_cannot_pull_or_push_another_team()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var teamA = $"team-a-{id}";
        var teamB = $"team-b-{id}";
        var map = await registry.CreateScopeMapAsync(
            $"repositories/{teamA}/*/content/read", $"repositories/{teamA}/*/content/write", $"repositories/{teamA}/*/metadata/read");
        var token = await registry.CreateTokenAsync(map);
        using var docker = await registry.LoginDockerAsync(token, "team-a");
        var mine = $"{registry.Host}/{teamA}/app:1";
        var theirs = $"{registry.Host}/{teamB}/app:1";
        await registry.Docker("tag", RegistryFixture.TinyImage2, theirs);
        await registry.Docker("tag", RegistryFixture.TinyImage1, mine);
        try
        {
            await registry.Docker("push", theirs);
            await registry.Docker("rmi", theirs);

            var pushed = DockerTests.PushedDigest(await docker.RunAsync("push", mine));
            Assert.Equal(pushed, (await registry.GetManifestAsync($"{teamA}/app", "1")).DockerContentDigest);
            await registry.Docker("rmi", mine);
            await docker.RunAsync("pull", mine);
            Assert.Equal(registry.TinyImage1Id, await DockerTests.ImageIdAsync(mine));

            (await docker.TryRunAsync("pull", theirs)).EnsureRefused($"docker pull of {teamB}/app with a {teamA} token");
            await registry.Docker("tag", RegistryFixture.TinyImage1, theirs);
            (await docker.TryRunAsync("push", theirs)).EnsureRefused($"docker push to {teamB}/app with a {teamA} token");
            Assert.Equal(registry.TinyImage2Id, await ManifestConfigAsync($"{teamB}/app", "1"));
        }
        finally
        {
            await RegistryFixture.Quietly("docker", "rmi", mine);
            await RegistryFixture.Quietly("docker", "rmi", theirs);
        }
    }

    [Fact]
    public async Task Service_principal_with_AcrPush_pushes_and_pulls_and_one_with_AcrPull_pulls_but_cannot_push()
    {
        var image = $"{registry.Host}/{RegistryFixture.UniqueRepository("sp-push")}:1";
        var elsewhere = $"{registry.Host}/{RegistryFixture.UniqueRepository("sp-pull")}:1";
        var pusher = await registry.CreateServicePrincipalAsync("AcrPush");
        var puller = await registry.CreateServicePrincipalAsync("AcrPull");
        using var pushing = await registry.LoginDockerAsync(pusher, "acrpush");
        using var pulling = await registry.LoginDockerAsync(puller, "acrpull");
        await registry.Docker("tag", RegistryFixture.TinyImage2, image);
        try
        {
            var pushed = DockerTests.PushedDigest(await pushing.RunAsync("push", image));
            await registry.Docker("rmi", image);
            await pushing.RunAsync("pull", image);
            Assert.Equal(registry.TinyImage2Id, await DockerTests.ImageIdAsync(image));

            await registry.Docker("rmi", image);
            var pull = await pulling.RunAsync("pull", image);
            Assert.Contains($"Digest: {pushed}", pull.StandardOutput, StringComparison.Ordinal);
            await registry.Docker("tag", RegistryFixture.TinyImage2, elsewhere);
            (await pulling.TryRunAsync("push", elsewhere)).EnsureRefused("docker push as a service principal with AcrPull");
            (await pulling.TryRunAsync("push", image)).EnsureRefused("docker push over an existing tag as a service principal with AcrPull");
            Assert.Equal(HttpStatusCode.NotFound, await ManifestStatusAsync(elsewhere));
        }
        finally
        {
            await RegistryFixture.Quietly("docker", "rmi", image);
            await RegistryFixture.Quietly("docker", "rmi", elsewhere);
        }
    }

    [Fact]
    public async Task Service_principal_with_AcrPush_on_a_repository_prefix_pushes_only_there()
    {
        var prefix = $"sp-scope-{Guid.NewGuid().ToString("N")[..8]}";
        var inside = $"{registry.Host}/{prefix}/app:1";
        var outside = $"{registry.Host}/{RegistryFixture.UniqueRepository("sp-outside")}:1";
        var principal = await registry.CreateServicePrincipalAsync("AcrPush", $"repositories/{prefix}/*");
        using var docker = await registry.LoginDockerAsync(principal, "sp-scope");
        await registry.Docker("tag", RegistryFixture.TinyImage1, inside);
        await registry.Docker("tag", RegistryFixture.TinyImage1, outside);
        try
        {
            await docker.RunAsync("push", inside);
            Assert.Equal(registry.TinyImage1Id, await ManifestConfigAsync($"{prefix}/app", "1"));
            (await docker.TryRunAsync("push", outside)).EnsureRefused($"docker push outside {prefix}/* with AcrPush on {prefix}/*");
            Assert.Equal(HttpStatusCode.NotFound, await ManifestStatusAsync(outside));
        }
        finally
        {
            await RegistryFixture.Quietly("docker", "rmi", inside);
            await RegistryFixture.Quietly("docker", "rmi", outside);
        }
    }

    [Fact]
    public async Task Skopeo_pushes_with_a_push_token_and_not_with_a_pull_token_and_podman_pulls_with_the_pull_token_but_cannot_push()
    {
        var pushToken = await registry.CreateTokenAsync("_repositories_push");
        var pullToken = await registry.CreateTokenAsync("_repositories_pull");
        var repository = RegistryFixture.UniqueRepository("skopeo-token");
        var remote = $"{registry.Host}/{repository}:1";
        var refused = $"{registry.Host}/{RegistryFixture.UniqueRepository("skopeo-refused")}:1";
        var temp = RegistryFixture.NewTempDirectory("skopeo-token");
        try
        {
            var digestFile = Path.Combine(temp, "digest");
            await registry.Skopeo(
                "copy", "--dest-tls-verify=false", "--dest-creds", pushToken.Creds, "--digestfile", digestFile, $"docker-daemon:{RegistryFixture.TinyImage1}", $"docker://{remote}");
            var pushed = (await File.ReadAllTextAsync(digestFile)).Trim();
            Assert.Equal(pushed, (await registry.GetManifestAsync(repository, "1")).DockerContentDigest);

            (await Cli.RunAsync("skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", pullToken.Creds, $"docker-daemon:{RegistryFixture.TinyImage1}", $"docker://{refused}"))
                .EnsureRefused("skopeo copy with a pull-only token");
            Assert.Equal(HttpStatusCode.NotFound, await ManifestStatusAsync(refused));

            await registry.Podman("pull", "--tls-verify=false", "--creds", pullToken.Creds, remote);
            var pulled = (await registry.Podman("image", "inspect", "--format", "{{.Id}} {{.Digest}}", remote)).StandardOutput.Trim();
            Assert.Equal($"{registry.TinyImage1Id["sha256:".Length..]} {pushed}", pulled);
            (await Cli.RunAsync("podman", "push", "--tls-verify=false", "--creds", pullToken.Creds, remote, $"docker://{refused}"))
                .EnsureRefused("podman push with a pull-only token");
            Assert.Equal(HttpStatusCode.NotFound, await ManifestStatusAsync(refused));
        }
        finally
        {
            await RegistryFixture.Quietly("podman", "rmi", remote);
            RegistryFixture.DeleteDirectory(temp);
        }
    }

    [Fact]
    public async Task Docker_login_keeps_a_refresh_token_not_the_password_and_pushes_use_it_until_the_password_is_regenerated()
    {
        var token = await registry.CreateTokenAsync("_repositories_push");
        var repository = RegistryFixture.UniqueRepository("refresh");
        var image = $"{registry.Host}/{repository}:1";
        using var docker = await registry.LoginDockerAsync(token, "refresh");

        // docker login asked GET /oauth2/token with offline_token=true and kept the refresh token it got: the stored
        // "auth" is the user name with an empty password, and the password is nowhere in config.json.
        var stored = docker.StoredLogin(registry.Host) ?? throw new InvalidOperationException("docker login stored nothing for " + registry.Host);
        var identityToken = stored.TryGetProperty("identitytoken", out var value) ? value.GetString() : null;
        Assert.False(string.IsNullOrEmpty(identityToken), $"docker login stored no identity token: {stored}");
        Assert.Equal($"{token.Username}:", Encoding.UTF8.GetString(Convert.FromBase64String(stored.GetProperty("auth").GetString()!)));
        Assert.DoesNotContain(token.Password, await File.ReadAllTextAsync(Path.Combine(docker.ConfigDirectory, "config.json")), StringComparison.Ordinal);

        await registry.Docker("tag", RegistryFixture.TinyImage1, image);
        try
        {
            // So every later operation trades the refresh token (POST /oauth2/token grant_type=refresh_token) for access.
            var pushed = DockerTests.PushedDigest(await docker.RunAsync("push", image));
            Assert.Equal(pushed, (await registry.GetManifestAsync(repository, "1")).DockerContentDigest);

            // The refresh token is also a password, of the null-GUID user (ACR's `az acr login --expose-token`).
            using var exposed = await registry.LoginDockerAsync(new RegistryCredential(NullGuidUser, identityToken!), "null-guid");
            await registry.Docker("rmi", image);
            await exposed.RunAsync("pull", image);
            Assert.Equal(registry.TinyImage1Id, await DockerTests.ImageIdAsync(image));

            // It is bound to the password it was issued for: a regenerated password1 ends both stored logins.
            await registry.RegeneratePasswordAsync(token);
            (await docker.TryRunAsync("push", image)).EnsureRefused("docker push with a refresh token of a regenerated password");
            await registry.Docker("rmi", image);
            (await exposed.TryRunAsync("pull", image)).EnsureRefused("docker pull as the null-GUID user with a refresh token of a regenerated password");
        }
        finally
        {
            await RegistryFixture.Quietly("docker", "rmi", image);
        }
    }

    /// <summary>The status of <c>HEAD /v2/&lt;name&gt;/manifests/&lt;tag&gt;</c> (as the admin user) for <c>host/name:tag</c>.</summary>
    private async Task<HttpStatusCode> ManifestStatusAsync(string image)
    {
        var nameAndTag = image[(registry.Host.Length + 1)..];
        var colon = nameAndTag.LastIndexOf(':');
        using var request = new HttpRequestMessage(HttpMethod.Head, $"v2/{nameAndTag[..colon]}/manifests/{nameAndTag[(colon + 1)..]}");
        foreach (var mediaType in RegistryFixture.ManifestMediaTypes)
        {
            request.Headers.Accept.Add(new System.Net.Http.Headers.MediaTypeWithQualityHeaderValue(mediaType));
        }

        using var response = await registry.Http.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>The config digest (docker's image ID) of a stored image manifest.</summary>
    private async Task<string?> ManifestConfigAsync(string repository, string reference)
    {
        using var manifest = (await registry.GetManifestAsync(repository, reference)).Parse();
        return manifest.RootElement.GetProperty("config").GetProperty("digest").GetString();
    }
}
