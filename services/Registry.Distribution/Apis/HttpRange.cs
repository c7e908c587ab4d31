using System.Globalization;

namespace Registry.Distribution.Apis;

/// <summary>Single byte ranges: <c>Range: bytes=a-b | a- | -n</c> for blob GETs, <c>Content-Range: a-b</c> for upload chunks.</summary>
internal static class HttpRange
{
    /// <returns>False when the header is absent or not a single byte range (the whole blob is served, as RFC 9110 allows).</returns>
    public static bool TryParseRange(string? header, long size, out long offset, out long length, out bool satisfiable)
    {
        offset = 0;
        length = size;
        satisfiable = true;
        if (string.IsNullOrWhiteSpace(header) || !header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || header.Contains(',', StringComparison.Ordinal))
        {
            return false;
        }

        var spec = header[6..].Trim();
        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            return false;
        }

        var startText = spec[..dash].Trim();
        var endText = spec[(dash + 1)..].Trim();
        if (startText.Length == 0)
        {
            if (!long.TryParse(endText, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix))
            {
                return false;
            }

            satisfiable = suffix > 0 && size > 0;
            offset = Math.Max(size - suffix, 0);
            length = size - offset;
            return true;
        }

        if (!long.TryParse(startText, NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            return false;
        }

        var end = size - 1;
        if (endText.Length > 0)
        {
            if (!long.TryParse(endText, NumberStyles.None, CultureInfo.InvariantCulture, out end) || end < start)
            {
                return false;
            }
        }

        satisfiable = start < size;
        offset = start;
        length = Math.Min(end, size - 1) - start + 1;
        return true;
    }

    /// <summary>Parses an upload chunk's <c>Content-Range</c>: <c>start-end</c>, tolerating a <c>bytes </c> prefix and <c>/total</c>.</summary>
    public static bool TryParseContentRange(string header, out long start, out long end)
    {
        start = end = 0;
        var value = header.Trim();
        if (value.StartsWith("bytes", StringComparison.OrdinalIgnoreCase))
        {
            value = value[5..].TrimStart(' ', '=');
        }

        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            value = value[..slash];
        }

        var dash = value.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 &&
               long.TryParse(value[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out start) &&
               long.TryParse(value[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out end) &&
               end >= start;
    }
}
