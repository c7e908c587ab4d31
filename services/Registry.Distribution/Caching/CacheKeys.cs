using Registry.Distribution.Core;
using Registry.Oci;

namespace Registry.Distribution.Caching;

internal static class CacheKeys
{
    /// <summary>Bounds how long a value can outlive a lost invalidation (a crash between storage write and cache set).</summary>
    public static readonly TimeSpan Mutable = TimeSpan.FromMinutes(5);

    /// <summary>Content addressed by digest never changes.</summary>
    public static readonly TimeSpan Immutable = TimeSpan.FromHours(1);

    public static readonly TimeSpan Absent = TimeSpan.FromSeconds(30);

    public static string Blob(RepositoryPath repository, Digest digest) => $"blob:{repository.Registry}:{repository.Name}:{digest}";

    public static string Tag(RepositoryPath repository, string tag) => $"tag:{repository.Registry}:{repository.Name}:{tag}";

    public static string Manifest(RepositoryPath repository, string digest) => $"manifest:{repository.Registry}:{repository.Name}:{digest}";

    public static string Content(RepositoryPath repository, string digest) => $"content:{repository.Registry}:{digest}";
}
