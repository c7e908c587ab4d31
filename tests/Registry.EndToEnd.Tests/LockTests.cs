using System.Net;
using System.Net.Http.Json;

namespace Registry.EndToEnd.Tests;

/// <summary>Locks and immutable tags as docker meets them: a refused push names the lock; nothing of the tag moves.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class LockTests(RegistryFixture registry)
{
    [Fact]
    public async Task Docker_push_to_a_write_locked_or_immutable_tag_is_denied_naming_why_and_the_tag_stays()
    {
        var repository = RegistryFixture.UniqueRepository("locks");
        var tagged = $"{registry.Host}/{repository}:1";
        var other = $"{registry.Host}/{repository}:2";
        await registry.Docker("tag", RegistryFixture.TinyImage1, tagged);
        try
        {
            await registry.Docker("push", tagged);
            var first = (await registry.GetManifestAsync(repository, "1")).DockerContentDigest;

            await PatchAsync($"/acr/v1/{repository}/_tags/1", new { writeEnabled = false });
            await registry.Docker("tag", RegistryFixture.TinyImage2, tagged);
            var locked = await registry.AdminDocker.TryRunAsync("push", tagged);
            Assert.False(locked.Succeeded, locked.Describe());
            Assert.Contains("denied", locked.StandardError, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("writeEnabled", locked.StandardError, StringComparison.Ordinal);
            Assert.Equal(first, (await registry.GetManifestAsync(repository, "1")).DockerContentDigest);

            await PatchAsync($"/acr/v1/{repository}/_tags/1", new { writeEnabled = true });
            await PatchAsync($"/acr/v1/{repository}", new { immutableTags = true });
            var immutable = await registry.AdminDocker.TryRunAsync("push", tagged);
            Assert.False(immutable.Succeeded, immutable.Describe());
            Assert.Contains("immutable", immutable.StandardError, StringComparison.Ordinal);
            Assert.Equal(first, (await registry.GetManifestAsync(repository, "1")).DockerContentDigest);

            // A new tag is still welcome, and an immutable tag cannot be deleted either.
            await registry.Docker("tag", RegistryFixture.TinyImage2, other);
            await registry.Docker("push", other);
            using var delete = await registry.Http.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"v2/{repository}/manifests/1"));
            Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
            Assert.Equal(first, (await registry.GetManifestAsync(repository, "1")).DockerContentDigest);
        }
        finally
        {
            await RegistryFixture.Quietly("docker", "rmi", tagged);
            await RegistryFixture.Quietly("docker", "rmi", other);
        }
    }

    private async Task PatchAsync(string path, object attributes)
    {
        using var response = await registry.Http.PatchAsJsonAsync(new Uri(path.TrimStart('/'), UriKind.Relative), attributes);
        Assert.True(response.IsSuccessStatusCode, $"PATCH {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}
