namespace Registry.Storage;

/// <summary>The one check every driver applies: a storage path is relative, '/'-separated, with no empty, "." or ".." segment.</summary>
internal static class StoragePathGuard
{
    /// <summary>Returns <paramref name="path"/> unchanged when clean.</summary>
    /// <exception cref="ArgumentException">The path is empty, absolute, uses '\', or has an empty, "." or ".." segment.</exception>
    public static string Check(string path)
    {
        if (string.IsNullOrEmpty(path) || path.StartsWith('/') || path.Contains('\\', StringComparison.Ordinal) ||
            path.Split('/').Any(segment => segment is "" or "." or ".."))
        {
            throw new ArgumentException($"storage path '{path}' is not a clean relative path", nameof(path));
        }

        return path;
    }
}
