using System.Text;

namespace Registry.Inventory.Tests.Support;

/// <summary>
/// An independent reading of the package-url specification (github.com/package-url/purl-spec,
/// docs/standard/characters-and-encoding.md and components.md), used to check the library's purls:
/// <list type="bullet">
/// <item>the allowed set is the alphanumerics and <c>.-_~</c>; every other octet of the UTF-8 string is percent-encoded
/// (<c>%XX</c>), except that "the colon ':', whether used as a Separator Character or otherwise" MUST NOT be encoded;</item>
/// <item>namespace segments are encoded one by one and joined by unencoded '/';</item>
/// <item>qualifiers are sorted by key, empty values are left out.</item>
/// </list>
/// </summary>
internal static class PurlSpec
{
    public static string Encode(string value)
    {
        var text = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '~' or ':')
            {
                text.Append(c);
            }
            else
            {
                text.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }

    /// <summary><c>pkg:type/namespace/name@version</c> without qualifiers.</summary>
    public static string Build(string type, string? @namespace, string name, string version)
    {
        var purl = new StringBuilder("pkg:").Append(type).Append('/');
        if (!string.IsNullOrEmpty(@namespace))
        {
            purl.AppendJoin('/', @namespace.Split('/').Select(Encode)).Append('/');
        }

        return purl.Append(Encode(name)).Append('@').Append(Encode(version)).ToString();
    }

    public static string Build(string type, string? @namespace, string name, string version, IEnumerable<KeyValuePair<string, string?>> qualifiers)
    {
        var present = qualifiers.Where(q => !string.IsNullOrEmpty(q.Value)).OrderBy(q => q.Key, StringComparer.Ordinal).ToList();
        var purl = Build(type, @namespace, name, version);
        return present.Count == 0 ? purl : purl + "?" + string.Join('&', present.Select(q => $"{q.Key}={Encode(q.Value!)}"));
    }

    /// <summary>Splits a purl into the part before <c>?</c> and its qualifiers (keys in their order, values percent-decoded).</summary>
    public static (string Head, IReadOnlyList<KeyValuePair<string, string>> Qualifiers) Split(string purl)
    {
        var question = purl.IndexOf('?', StringComparison.Ordinal);
        if (question < 0)
        {
            return (purl, []);
        }

        var qualifiers = purl[(question + 1)..].Split('&')
            .Select(pair => pair.Split('=', 2))
            .Select(pair => new KeyValuePair<string, string>(pair[0], Uri.UnescapeDataString(pair[1])))
            .ToList();
        return (purl[..question], qualifiers);
    }
}
