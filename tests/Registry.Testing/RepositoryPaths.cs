namespace Registry.Testing;

/// <summary>Finds the repository (the directory holding <c>Registry.sln</c>) and its well-known folders.</summary>
public static class RepositoryPaths
{
    public const string SolutionFileName = "Registry.sln";

    private static readonly Lazy<string> RootValue = new(FindRoot);

    /// <summary>The repository root, found by walking up from the test assembly (then the working directory).</summary>
    public static string Root => RootValue.Value;

    /// <summary>Where <c>eng/setup.sh</c> installs tools that are not system packages (<c>.tools/</c>).</summary>
    public static string Tools => Path.Combine(Root, ".tools");

    /// <summary>Walks up from <paramref name="start"/> to the first directory containing <c>Registry.sln</c>, or null.</summary>
    public static string? FindRootFrom(string start)
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, SolutionFileName)))
            {
                return directory.FullName;
            }
        }

        return null;
    }

    private static string FindRoot() =>
        FindRootFrom(AppContext.BaseDirectory) ?? FindRootFrom(Directory.GetCurrentDirectory()) ??
        throw new InvalidOperationException(
            $"could not find {SolutionFileName} above '{AppContext.BaseDirectory}' or '{Directory.GetCurrentDirectory()}'");
}
