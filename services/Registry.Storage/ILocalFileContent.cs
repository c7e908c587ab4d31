namespace Registry.Storage;

/// <summary>
/// Implemented by a read stream that reads a local file, so a server can hand the file to the kernel
/// (<c>sendfile</c>) instead of copying it through user space.
/// </summary>
public interface ILocalFileContent
{
    /// <summary>The file's full path when the stream reads all of it, from its first byte to its last; otherwise null.</summary>
    string? WholeFilePath { get; }
}
