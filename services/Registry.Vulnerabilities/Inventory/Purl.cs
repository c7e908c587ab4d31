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

    /// <summary>
    /// Percent-encodes every UTF-8 octet but alphanumerics and <c>.-_~</c>, and leaves the colon alone: the purl spec says
    /// it "MUST NOT be encoded" (Debian epochs <c>1:2.3</c>, Maven classifiers).
    /// </summary>
    private static string Encode(string value)
    {
        var text = new StringBuilder(value.Length);
        foreach (var octet in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)octet;
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '~' or ':')
            {
                text.Append(c);
            }
            else
            {
                text.Append('%').Append(octet.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }
}
