namespace Registry.Testing;

public static class TestDirectories
{
    /// <summary>Removes a test's temporary directory; a leftover file held open by a dying process is not a failure.</summary>
    public static void TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
