using System.Net;
using System.Security.Cryptography;

namespace Registry.Auth.Tests;

/// <summary>What a token let a client do to a repository through real /v2 calls.</summary>
public sealed record Abilities(bool Pull, bool Push, bool Delete);

/// <summary>A repository the admin filled: an image tagged <c>v1</c> (to pull) and a second manifest (to delete).</summary>
public sealed record SeededRepository(string Name, TestImage Image, string DoomedDigest);

/// <summary>Tries pull, push and delete with a token and reports which were allowed; a refusal must be a proper 401 DENIED.</summary>
public static class Probe
{
    public static async Task<SeededRepository> SeedAsync(RegistryClient client, string repository)
    {
        var token = await client.AdminTokenAsync($"repository:{repository}:pull,push");
        var image = await client.PushImageAsync(repository, "v1", token);
        using var doomed = await client.PutManifestAsync(repository, "doomed", image.Manifest("doomed"), token);
        await Expect.StatusAsync(doomed, HttpStatusCode.Created);
        return new SeededRepository(repository, image, image.ManifestDigest("doomed"));
    }

    public static async Task<Abilities> AbilitiesAsync(RegistryClient client, SeededRepository seeded, string token) =>
        new(await PullAsync(client, seeded, token), await PushAsync(client, seeded, token), await DeleteAsync(client, seeded, token));

    /// <summary>GET the manifest by tag and the layer blob: both answered, or both refused for want of <c>pull</c>.</summary>
    public static async Task<bool> PullAsync(RegistryClient client, SeededRepository seeded, string token)
    {
        var scope = $"repository:{seeded.Name}:pull";
        using var manifest = await client.GetManifestAsync(seeded.Name, "v1", token);
        using var blob = await client.SendAsync(HttpMethod.Get, $"/v2/{seeded.Name}/blobs/{seeded.Image.LayerDigest}", token);
        if (manifest.StatusCode == HttpStatusCode.OK)
        {
            Assert.Equal(seeded.Image.Manifest(), await manifest.Content.ReadAsByteArrayAsync());
            await Expect.StatusAsync(blob, HttpStatusCode.OK);
            Assert.Equal(seeded.Image.LayerDigest, RegistryClient.DigestOf(await blob.Content.ReadAsByteArrayAsync()));
            return true;
        }

        await Expect.DeniedAsync(manifest, scope);
        await Expect.DeniedAsync(blob, scope);
        return false;
    }

    /// <summary>A new blob (monolithic upload) and a new tagged manifest: both stored, or both refused for want of <c>pull,push</c>.</summary>
    public static async Task<bool> PushAsync(RegistryClient client, SeededRepository seeded, string token)
    {
        var scope = $"repository:{seeded.Name}:pull,push";
        using var blob = await client.PushBlobAsync(seeded.Name, RandomNumberGenerator.GetBytes(64), token);
        var tag = "p" + Guid.NewGuid().ToString("N")[..10];
        using var manifest = await client.PutManifestAsync(seeded.Name, tag, seeded.Image.Manifest(tag), token);
        if (blob.StatusCode == HttpStatusCode.Created)
        {
            await Expect.StatusAsync(manifest, HttpStatusCode.Created);
            return true;
        }

        await Expect.DeniedAsync(blob, scope);
        await Expect.DeniedAsync(manifest, scope);
        return false;
    }

    /// <summary>DELETE the second manifest by digest: accepted, or refused for want of <c>delete</c>.</summary>
    public static async Task<bool> DeleteAsync(RegistryClient client, SeededRepository seeded, string token)
    {
        using var response = await client.SendAsync(HttpMethod.Delete, $"/v2/{seeded.Name}/manifests/{seeded.DoomedDigest}", token);
        if (response.StatusCode == HttpStatusCode.Accepted)
        {
            return true;
        }

        await Expect.DeniedAsync(response, $"repository:{seeded.Name}:delete");
        return false;
    }
}
