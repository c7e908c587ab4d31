using System.Text;

namespace Registry.Vulnerabilities.Inventory;

/// <summary>Package URLs (purl-spec): <c>pkg:type/namespace/name@version?qualifiers</c>, each part percent-encoded.</summary>
public static class Purl
{
    public static string Of(string type, string? @namespace, string name, string version, params (string Key, string? Value)[] qualifiers)
    {
        var purl = new StringBuilder("pkg:").Append(type).Append('/');
        if (!string.IsNullOrEmpty(@namespace))
        {
            purl.AppendJoin('/', @namespace.Split('/').Select(Encode)).Append('/');
        }

        purl.Append(Encode(name)).Append('@').Append(Encode(version));
        var present = qualifiers.Where(q => !string.IsNullOrEmpty(q.Value)).OrderBy(q => q.Key, StringComparer.Ordinal).ToList();
        if (present.Count > 0)
        {
            purl.Append('?').AppendJoin('&', present.Select(q => $"{q.Key}={Encode(q.Value!)}"));
        }

        return purl.ToString();
    }

    /// <summary>Percent-encodes all but unreserved characters (and keeps <c>+</c>, common in versions, readable as <c>%2B</c>).</summary>
    private static string Encode(string value) => Uri.EscapeDataString(value);
}
