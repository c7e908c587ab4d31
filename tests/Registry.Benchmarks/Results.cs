using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Registry.Benchmarks;

internal sealed record Metric(string Key, string Label, double Value, string Unit, bool HigherIsBetter);

internal sealed class RunResult
{
    public required string Name { get; init; }
    public required string Registry { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required string Machine { get; init; }
    public required Dictionary<string, string> Settings { get; init; }
    public List<Metric> Metrics { get; init; } = [];
    public List<string> Notes { get; init; } = [];

    public void Add(string key, string label, double value, string unit, bool higherIsBetter = true) =>
        Metrics.Add(new Metric(key, label, value, unit, higherIsBetter));

    public string ToMarkdown()
    {
        var builder = new StringBuilder();
        builder.AppendLine(CultureInfo.InvariantCulture, $"### {Name} ({Registry})");
        builder.AppendLine();
        builder.AppendLine("| metric | value | unit |");
        builder.AppendLine("|---|---:|---|");
        foreach (var metric in Metrics)
        {
            builder.AppendLine(CultureInfo.InvariantCulture, $"| {metric.Label} | {Format(metric.Value)} | {metric.Unit} |");
        }

        foreach (var note in Notes)
        {
            builder.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"- {note}");
        }

        return builder.ToString();
    }

    public static string Format(double value) => value switch
    {
        >= 100 => value.ToString("N0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("N1", CultureInfo.InvariantCulture),
        _ => value.ToString("N2", CultureInfo.InvariantCulture),
    };
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(RunResult))]
internal sealed partial class ResultJson : JsonSerializerContext;

/// <summary>Side-by-side table of two sets of runs (ours vs a reference), with the issue's targets.</summary>
internal static class Comparison
{
    private static readonly Dictionary<string, double> Targets = new()
    {
        ["blob_push_mbps"] = 1.5,
        ["blob_pull_mbps"] = 1.2,
        ["manifest_head_rps"] = 3,
        ["manifest_get_rps"] = 3,
        ["small_push_images_per_s"] = 1.5,
        ["small_pull_images_per_s"] = 1.5,
    };

    public static RunResult Load(string path) =>
        JsonSerializer.Deserialize(File.ReadAllText(path), ResultJson.Default.RunResult)
        ?? throw new InvalidDataException($"{path}: not a benchmark result");

    public static string ToMarkdown(IReadOnlyList<RunResult> ours, IReadOnlyList<RunResult> theirs)
    {
        var builder = new StringBuilder();
        var oursName = ours[0].Name;
        var theirsName = theirs[0].Name;
        builder.AppendLine(CultureInfo.InvariantCulture, $"Median of {ours.Count} run(s) of {oursName} and {theirs.Count} run(s) of {theirsName}.");
        builder.AppendLine("\"advantage\" is how many times better ours is (ours/theirs for rates, theirs/ours for latency and memory).");
        builder.AppendLine();
        builder.AppendLine(CultureInfo.InvariantCulture, $"| metric | {oursName} | {theirsName} | unit | advantage | target | met |");
        builder.AppendLine("|---|---:|---:|---|---:|---:|---|");
        var keys = ours.SelectMany(run => run.Metrics).Select(metric => metric.Key).Distinct();
        foreach (var key in keys)
        {
            var mine = Median(ours, key);
            var other = Median(theirs, key);
            if (mine is null)
            {
                continue;
            }

            var (label, unit, higher) = mine.Value.Metric;
            string advantage = "", target = "", met = "";
            if (other is { } reference && reference.Value > 0 && mine.Value.Value > 0)
            {
                var ratio = higher ? mine.Value.Value / reference.Value : reference.Value / mine.Value.Value;
                advantage = ratio.ToString("0.00", CultureInfo.InvariantCulture) + "×";
                if (Targets.TryGetValue(key, out var goal))
                {
                    target = "≥ " + goal.ToString("0.0", CultureInfo.InvariantCulture) + "×";
                    met = ratio >= goal ? "yes" : "**no**";
                }
            }

            builder.AppendLine(CultureInfo.InvariantCulture,
                $"| {label} | {RunResult.Format(mine.Value.Value)} | {(other is { } o ? RunResult.Format(o.Value) : "–")} | {unit} | {advantage} | {target} | {met} |");
        }

        return builder.ToString();
    }

    private static (double Value, (string Label, string Unit, bool Higher) Metric)? Median(IReadOnlyList<RunResult> runs, string key)
    {
        var values = runs.SelectMany(run => run.Metrics).Where(metric => metric.Key == key).ToList();
        if (values.Count == 0)
        {
            return null;
        }

        var sorted = values.Select(metric => metric.Value).Order().ToList();
        var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        return (median, (values[0].Label, values[0].Unit, values[0].HigherIsBetter));
    }
}

/// <summary>
/// The auth/gateway report (issue #3): manifest HEAD on the single-process host with auth off (the baseline), with auth
/// on, and through the gateway to separate auth and distribution processes with auth on; and token issuance on both.
/// </summary>
internal static class AuthReport
{
    /// <summary>Auth and the gateway together may cost less than this share of the baseline (fewer HEAD/s, or more latency).</summary>
    public const double MaxCost = 0.25;

    /// <summary>Tokens issued per second on this machine.</summary>
    public const double MinTokensPerSecond = 2000;

    private static readonly string[] ProcessNames = ["gateway", "auth", "distribution"];

    public static string ToMarkdown(IReadOnlyList<RunResult> baseline, IReadOnlyList<RunResult> standaloneAuth, IReadOnlyList<RunResult> gateway, string? title = null)
    {
        var builder = new StringBuilder();
        builder.AppendLine(CultureInfo.InvariantCulture,
            $"Median of {baseline.Count} / {standaloneAuth.Count} / {gateway.Count} run(s). \"cost\" = how much worse than the single-process host with auth off: % fewer requests/s, % more latency or CPU.");
        builder.AppendLine();
        builder.AppendLine(CultureInfo.InvariantCulture, $"#### {title ?? "Manifest HEAD by tag"}");
        builder.AppendLine();
        builder.AppendLine("| metric | single process, auth off | single process, auth on | gateway + auth + distribution, auth on | unit | cost of auth alone | cost of gateway + auth | target | met |");
        builder.AppendLine("|---|---:|---:|---:|---|---:|---:|---:|---|");
        var rows = new List<(string Key, string Label, bool Targeted)>
        {
            ("manifest_head_rps", "requests/s", true),
            ("manifest_head_p50_ms", "p50 latency", true),
            ("manifest_head_p99_ms", "p99 latency", false),
            ("manifest_head_server", "server CPU per 1000 requests (all server processes)", false),
        };
        rows.AddRange(ProcessNames.Select(name => ($"manifest_head_cpu_{name}", $"… of which the {name} process", false)));
        rows.Add(("manifest_head_client_cpu", "benchmark client CPU per 1000 requests", false));
        foreach (var (key, label, targeted) in rows)
        {
            var b = Value(baseline, key);
            var s = Value(standaloneAuth, key);
            var g = Value(gateway, key);
            if (b is null && s is null && g is null)
            {
                continue;
            }

            var higherIsBetter = key.EndsWith("_rps", StringComparison.Ordinal);
            var unit = higherIsBetter ? "req/s" : key.EndsWith("_ms", StringComparison.Ordinal) ? "ms" : "CPU s";
            var gatewayCost = Cost(b, g, higherIsBetter);
            var met = targeted && gatewayCost is { } c ? (c < MaxCost ? "yes" : "**no**") : "";
            builder.AppendLine(CultureInfo.InvariantCulture,
                $"| {label} | {Cell(b)} | {Cell(s)} | {Cell(g)} | {unit} | {Percent(Cost(b, s, higherIsBetter))} | {Percent(gatewayCost)} | {(targeted ? $"< {MaxCost * 100:0}%" : "")} | {met} |");
        }

        if (!standaloneAuth.Concat(gateway).SelectMany(run => run.Metrics).Any(m => m.Key.StartsWith("tokens_", StringComparison.Ordinal)))
        {
            return builder.ToString();
        }

        builder.AppendLine();
        builder.AppendLine("#### Token issuance (`GET /oauth2/token`, one repository pull scope)");
        builder.AppendLine();
        builder.AppendLine("| metric | single process | through the gateway (gateway + auth processes) | unit | target | met (single / gateway) |");
        builder.AppendLine("|---|---:|---:|---|---:|---|");
        foreach (var (prefix, what) in new[] { ("tokens_basic", "Basic admin credentials"), ("tokens_refresh", "refresh token (null-GUID user)") })
        {
            var tokenRows = new List<(string Key, string Label, string Unit)>
            {
                ($"{prefix}_per_s", $"{what}: tokens/s", "tokens/s"),
                ($"{prefix}_p50_ms", $"{what}: p50 latency", "ms"),
                ($"{prefix}_p99_ms", $"{what}: p99 latency", "ms"),
                ($"{prefix}_server", $"{what}: server CPU per 1000 tokens (all server processes)", "CPU s"),
            };
            tokenRows.AddRange(ProcessNames.Select(name => ($"{prefix}_cpu_{name}", $"… of which the {name} process", "CPU s")));
            tokenRows.Add(($"{prefix}_client_cpu", $"{what}: benchmark client CPU per 1000 tokens", "CPU s"));
            foreach (var (key, label, unit) in tokenRows)
            {
                var s = Value(standaloneAuth, key);
                var g = Value(gateway, key);
                if (s is null && g is null)
                {
                    continue;
                }

                var rate = key.EndsWith("_per_s", StringComparison.Ordinal);
                var met = rate ? $"{Met(s)} / {Met(g)}" : "";
                builder.AppendLine(CultureInfo.InvariantCulture,
                    $"| {label} | {Cell(s)} | {Cell(g)} | {unit} | {(rate ? $"> {MinTokensPerSecond:N0}" : "")} | {met} |");
            }
        }

        foreach (var note in baseline.Concat(standaloneAuth).Concat(gateway).SelectMany(run => run.Notes.Select(n => $"{run.Name}: {n}")).Distinct())
        {
            builder.AppendLine().Append("- ").AppendLine(note);
        }

        return builder.ToString();
    }

    private static string Met(double? tokensPerSecond) => tokensPerSecond is { } v ? (v > MinTokensPerSecond ? "yes" : "**no**") : "–";

    /// <summary>The median of a metric over runs; <c>…_server</c> means the server's CPU, or the sum of the named processes'.</summary>
    private static double? Value(IReadOnlyList<RunResult> runs, string key)
    {
        var values = runs.Select(run =>
        {
            if (key.EndsWith("_server", StringComparison.Ordinal))
            {
                return Find(run, key + "_cpu") ?? Find(run, key[..^"_server".Length] + "_processes_cpu");
            }

            return Find(run, key);
        }).OfType<double>().Order().ToList();
        return values.Count == 0 ? null
            : values.Count % 2 == 1 ? values[values.Count / 2] : (values[values.Count / 2 - 1] + values[values.Count / 2]) / 2;
    }

    private static double? Find(RunResult run, string key) => run.Metrics.FirstOrDefault(m => m.Key == key)?.Value;

    private static double? Cost(double? baseline, double? candidate, bool higherIsBetter) =>
        baseline is { } b && candidate is { } c && b > 0 && c > 0 ? (higherIsBetter ? 1 - c / b : c / b - 1) : null;

    private static string Cell(double? value) => value is { } v ? RunResult.Format(v) : "–";

    private static string Percent(double? value) => value is { } v ? v.ToString("+0.0%;-0.0%;0.0%", CultureInfo.InvariantCulture) : "";
}
