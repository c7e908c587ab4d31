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

/// <summary>Side-by-side table of two sets of runs (ours vs a reference), with the targets.</summary>
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
