namespace Registry.Vulnerabilities;

/// <summary>CVSS v3.0/v3.1 base scores from vector strings (FIRST's specification, §7 and Appendix A's Roundup), and the qualitative rating.</summary>
public static class Cvss
{
    /// <summary>The base score of a <c>CVSS:3.0/…</c> or <c>CVSS:3.1/…</c> vector; null for any other or an incomplete vector.</summary>
    public static double? BaseScore(string? vector)
    {
        if (vector is null || !(vector.StartsWith("CVSS:3.0/", StringComparison.Ordinal) || vector.StartsWith("CVSS:3.1/", StringComparison.Ordinal)))
        {
            return null;
        }

        var metrics = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in vector.Split('/').Skip(1))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !metrics.TryAdd(part[..colon], part[(colon + 1)..]))
            {
                return null;
            }
        }

        if (!metrics.TryGetValue("S", out var scopeValue) || scopeValue is not ("U" or "C"))
        {
            return null;
        }

        var changed = scopeValue == "C";
        double? Weight(string metric, Func<string, double?> weights) => metrics.TryGetValue(metric, out var value) ? weights(value) : null;
        var av = Weight("AV", v => v switch { "N" => 0.85, "A" => 0.62, "L" => 0.55, "P" => 0.2, _ => null });
        var ac = Weight("AC", v => v switch { "L" => 0.77, "H" => 0.44, _ => null });
        var pr = Weight("PR", v => v switch { "N" => 0.85, "L" => changed ? 0.68 : 0.62, "H" => changed ? 0.5 : 0.27, _ => null });
        var ui = Weight("UI", v => v switch { "N" => 0.85, "R" => 0.62, _ => null });
        static double? Cia(string v) => v switch { "H" => 0.56, "L" => 0.22, "N" => 0, _ => null };
        var c = Weight("C", Cia);
        var i = Weight("I", Cia);
        var a = Weight("A", Cia);
        if (av is null || ac is null || pr is null || ui is null || c is null || i is null || a is null)
        {
            return null;
        }

        var iss = 1 - ((1 - c.Value) * (1 - i.Value) * (1 - a.Value));
        var impact = changed ? (7.52 * (iss - 0.029)) - (3.25 * Math.Pow(iss - 0.02, 15)) : 6.42 * iss;
        var exploitability = 8.22 * av.Value * ac.Value * pr.Value * ui.Value;
        if (impact <= 0)
        {
            return 0;
        }

        return RoundUp(Math.Min((changed ? 1.08 : 1) * (impact + exploitability), 10));
    }

    /// <summary><c>NONE</c> (0), <c>LOW</c> (0.1–3.9), <c>MEDIUM</c> (4.0–6.9), <c>HIGH</c> (7.0–8.9), <c>CRITICAL</c> (9.0–10.0).</summary>
    public static string SeverityOf(double score) => score switch
    {
        <= 0 => "NONE",
        < 4 => "LOW",
        < 7 => "MEDIUM",
        < 9 => "HIGH",
        _ => "CRITICAL",
    };

    /// <summary>CVSS 3.1's Roundup: the smallest one-decimal number not below the input, free of floating-point noise.</summary>
    private static double RoundUp(double value)
    {
        var scaled = (long)Math.Round(value * 100000);
        return scaled % 10000 == 0 ? scaled / 100000.0 : (Math.Floor(scaled / 10000.0) + 1) / 10.0;
    }
}
