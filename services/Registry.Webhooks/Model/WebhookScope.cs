namespace Registry.Webhooks.Model;

/// <summary>
/// ACR's webhook scope: empty for every event; <c>repository:tag</c>, either part with <c>*</c> wildcards
/// (<c>samples/*:*</c>, <c>app:v1*</c>); a repository without a tag means <c>repository:latest</c>.
/// </summary>
internal static class WebhookScope
{
    /// <summary>Null when valid; else what is wrong.</summary>
    public static string? Validate(string? scope)
    {
        if (string.IsNullOrEmpty(scope))
        {
            return null;
        }

        var (repository, tag) = Split(scope);
        if (repository.Length == 0 || repository.Length > 256 || !repository.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-' or '/' or '*'))
        {
            return $"scope '{scope}': the repository part may hold lowercase letters, digits, '.', '_', '-', '/' and '*'";
        }

        if (tag.Length == 0 || tag.Length > 128 || !tag.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '*'))
        {
            return $"scope '{scope}': the tag part may hold letters, digits, '.', '_', '-' and '*'";
        }

        return null;
    }

    /// <summary>
    /// Whether an event of <paramref name="repository"/> touching <paramref name="tags"/> is in scope. An event without a
    /// tag (a push or delete by digest, a repository delete) matches only scopes whose tag part is <c>*</c>.
    /// </summary>
    public static bool Matches(string scope, string repository, IReadOnlyList<string> tags)
    {
        if (string.IsNullOrEmpty(scope))
        {
            return true;
        }

        var (repositoryPattern, tagPattern) = Split(scope);
        if (!Glob(repositoryPattern, repository))
        {
            return false;
        }

        return tags.Count == 0 ? tagPattern == "*" : tags.Any(tag => Glob(tagPattern, tag));
    }

    private static (string Repository, string Tag) Split(string scope)
    {
        var colon = scope.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (scope, "latest") : (scope[..colon], scope[(colon + 1)..]);
    }

    /// <summary><c>*</c> matches any run of characters (including <c>/</c>); everything else matches itself.</summary>
    internal static bool Glob(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (p < pattern.Length && pattern[p] == text[t])
            {
                p++;
                t++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
