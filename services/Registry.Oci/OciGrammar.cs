using System.Text.RegularExpressions;

namespace Registry.Oci;

/// <summary>The distribution-spec grammar for repository names, tags and digest algorithms.</summary>
public static partial class OciGrammar
{
    /// <summary>Longest repository name accepted; Distribution and ACR stop at 255 characters with the host.</summary>
    public const int MaxNameLength = 255;

    public const int MaxTagLength = 128;

    public static bool IsRepositoryName(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= MaxNameLength && NameRegex().IsMatch(name);

    /// <summary>ACR's registry names: 5–50 lowercase letters and digits (the first label of the login server).</summary>
    public static bool IsRegistryName(string? name) =>
        name is { Length: >= 5 and <= 50 } && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c));

    /// <summary>ACR's region names (<c>eastus</c>, <c>westeurope</c>): 2–40 lowercase letters and digits.</summary>
    public static bool IsRegionName(string? name) =>
        name is { Length: >= 2 and <= 40 } && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c));

    public static bool IsTag(string? tag) => !string.IsNullOrEmpty(tag) && TagRegex().IsMatch(tag);

    public static bool IsDigestAlgorithm(string algorithm) => AlgorithmRegex().IsMatch(algorithm);

    /// <summary>Throws <see cref="OciErrorCode.NameInvalid"/> unless <paramref name="name"/> follows the grammar.</summary>
    public static string ValidateRepositoryName(string name)
    {
        if (name.Length > MaxNameLength)
        {
            throw new OciException(OciErrorCode.NameInvalid, $"repository name is longer than {MaxNameLength} characters", name);
        }

        if (!IsRepositoryName(name))
        {
            throw new OciException(
                OciErrorCode.NameInvalid,
                "repository name must be lowercase path components of [a-z0-9] separated by '.', '_', '__' or '-', joined by '/'",
                name);
        }

        return name;
    }

    public static string ValidateTag(string tag) =>
        IsTag(tag)
            ? tag
            : throw new OciException(OciErrorCode.TagInvalid, "tag must match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}", tag);

    [GeneratedRegex(@"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex NameRegex();

    [GeneratedRegex(@"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}\z", RegexOptions.CultureInvariant)]
    private static partial Regex TagRegex();

    [GeneratedRegex(@"^[a-z0-9]+([+._-][a-z0-9]+)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex AlgorithmRegex();
}
