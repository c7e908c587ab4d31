using Registry.Distribution.Caching;
using Registry.Distribution.Core;
using Registry.Oci;
using Registry.Security;

namespace Registry.Distribution.Tests;

/// <summary>The gateway reads distribution's cache keys back into the repository they belong to (ADR 0019).</summary>
public sealed class CacheInvalidationsTests
{
    private static readonly RepositoryPath Repository = new("myregistry", "team/app/web");
    private const string ManifestDigest = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

    [Theory]
    [InlineData("")]
    [InlineData("eastus/")]
    public void Tag_and_manifest_keys_name_their_registry_and_repository_with_or_without_a_region(string region)
    {
        foreach (var key in new[] { CacheKeys.Tag(Repository, "v1.2"), CacheKeys.Manifest(Repository, ManifestDigest) })
        {
            Assert.True(CacheInvalidations.TryParseManifestKey(region + key, out var registry, out var repository), key);
            Assert.Equal(("myregistry", "team/app/web"), (registry, repository));
        }
    }

    [Fact]
    public void Blob_and_content_keys_change_no_manifest_answer()
    {
        Assert.False(CacheInvalidations.TryParseManifestKey("eastus/" + CacheKeys.Blob(Repository, Digest.Parse(ManifestDigest)), out _, out _));
        Assert.False(CacheInvalidations.TryParseManifestKey("eastus/" + CacheKeys.Content(Repository, ManifestDigest), out _, out _));
        Assert.False(CacheInvalidations.TryParseManifestKey("eastus/tag:no-repository", out _, out _));
    }
}
