namespace Registry.Security;

/// <summary>
/// The Redis channel on which every writer of registry content announces what it changed: each message is a key of the
/// shared cache it just invalidated (ADR 0004), <c>&lt;region&gt;/&lt;kind&gt;:&lt;registry&gt;:&lt;repository&gt;:…</c>.
/// The gateway listens to drop the manifest answers it keeps (ADR 0019).
/// </summary>
public static class CacheInvalidations
{
    public const string Channel = "registry:invalidated";

    /// <summary>The repository a tag or manifest key belongs to; false for keys that do not change a manifest's answer (blobs).</summary>
    public static bool TryParseManifestKey(string key, out string registry, out string repository)
    {
        registry = repository = string.Empty;

        // The region prefix ends at the first '/' before the first ':' (repository names have '/' too, regions do not).
        var firstColon = key.IndexOf(':');
        var unscoped = key.AsSpan(firstColon < 0 ? 0 : key.IndexOf('/', 0, firstColon) + 1);
        var kind = unscoped.IndexOf(':');
        if (kind < 0 || !(unscoped[..kind] is "tag" or "manifest"))
        {
            return false;
        }

        var rest = unscoped[(kind + 1)..];
        var registryEnd = rest.IndexOf(':');
        var repositoryEnd = registryEnd < 0 ? -1 : rest[(registryEnd + 1)..].IndexOf(':');
        if (registryEnd <= 0 || repositoryEnd <= 0)
        {
            return false;
        }

        registry = rest[..registryEnd].ToString();
        repository = rest.Slice(registryEnd + 1, repositoryEnd).ToString();
        return true;
    }
}
