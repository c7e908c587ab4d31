using System.CommandLine;
using System.Text.Json;
using Registry.Benchmarks;

var registry = new Option<string>("--registry") { Description = "Base URL of the registry, a loopback address only (e.g. http://127.0.0.1:5000)", Required = true };
var name = new Option<string>("--name") { Description = "Label for this registry in the output", DefaultValueFactory = _ => "registry" };
var json = new Option<FileInfo?>("--json") { Description = "Also write the results as JSON to this file" };
var markdown = new Option<FileInfo?>("--markdown") { Description = "Also write the Markdown table to this file" };
var phases = new Option<string>("--phases") { Description = "Comma-separated: blobs, manifests, small, memory", DefaultValueFactory = _ => "blobs,manifests,small" };
var mode = new Option<string?>("--mode") { Description = "Shortcut: 'memory' runs only the 2 GiB memory phase; 'all' runs every phase" };
var serverPid = new Option<int?>("--server-pid") { Description = "Process id of the registry server, to sample its RSS from /proc" };
var seed = new Option<ulong?>("--seed") { Description = "Seed for the generated content (default: random, so each run pushes new blobs)" };
var blobSize = new Option<int>("--blob-size-mib") { DefaultValueFactory = _ => 64 };
var blobCount = new Option<int>("--blob-count") { DefaultValueFactory = _ => 16 };
var blobConcurrency = new Option<int>("--blob-concurrency") { DefaultValueFactory = _ => 4 };
var pullPasses = new Option<int>("--pull-passes") { Description = "How many times the pushed blobs are pulled", DefaultValueFactory = _ => 4 };
var manifestConcurrency = new Option<int>("--manifest-concurrency") { DefaultValueFactory = _ => 32 };
var duration = new Option<double>("--duration") { Description = "Seconds measured for manifest HEAD and for GET", DefaultValueFactory = _ => 10 };
var warmup = new Option<double>("--warmup") { Description = "Warm-up seconds before each manifest measurement", DefaultValueFactory = _ => 2 };
var images = new Option<int>("--images") { DefaultValueFactory = _ => 200 };
var imageConcurrency = new Option<int>("--image-concurrency") { DefaultValueFactory = _ => 16 };
var memoryGib = new Option<double>("--memory-blob-gib") { DefaultValueFactory = _ => 2 };

var root = new RootCommand("Registry benchmark: blob push/pull throughput, manifest HEAD/GET rate and latency, small images, memory under a large blob")
{
    registry, name, json, markdown, phases, mode, serverPid, seed, blobSize, blobCount, blobConcurrency, pullPasses,
    manifestConcurrency, duration, warmup, images, imageConcurrency, memoryGib,
};

root.SetAction(async (parse, cancellationToken) =>
{
    if (!Uri.TryCreate(parse.GetValue(registry), UriKind.Absolute, out var target) || target.Scheme is not ("http" or "https") || !Target.IsLoopback(target))
    {
        Console.Error.WriteLine($"--registry must be an http(s) URL of a loopback address (127.0.0.1), not {parse.GetValue(registry)}");
        return 2;
    }

    var selected = (parse.GetValue(mode) switch
    {
        "memory" => "memory",
        "all" => "blobs,manifests,small,memory",
        null or "" => parse.GetValue(phases)!,
        var other => throw new ArgumentException($"unknown --mode {other}"),
    }).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
    var unknown = selected.Except(["blobs", "manifests", "small", "memory"]).ToList();
    if (unknown.Count > 0)
    {
        Console.Error.WriteLine($"unknown phase(s): {string.Join(", ", unknown)}");
        return 2;
    }

    var settings = new BenchSettings
    {
        Registry = target,
        Name = parse.GetValue(name)!,
        Phases = selected,
        Seed = parse.GetValue(seed) ?? (ulong)Random.Shared.NextInt64(1, long.MaxValue),
        ServerPid = parse.GetValue(serverPid),
        BlobSizeMib = Clamp(parse.GetValue(blobSize), 1, 1024),
        BlobCount = Clamp(parse.GetValue(blobCount), 1, 256),
        BlobConcurrency = Clamp(parse.GetValue(blobConcurrency), 1, 64),
        PullPasses = Clamp(parse.GetValue(pullPasses), 1, 100),
        ManifestConcurrency = Clamp(parse.GetValue(manifestConcurrency), 1, 512),
        ManifestDuration = TimeSpan.FromSeconds(Math.Clamp(parse.GetValue(duration), 0.5, 300)),
        Warmup = TimeSpan.FromSeconds(Math.Clamp(parse.GetValue(warmup), 0, 60)),
        Images = Clamp(parse.GetValue(images), 1, 100_000),
        ImageConcurrency = Clamp(parse.GetValue(imageConcurrency), 1, 512),
        MemoryBlobGib = Math.Clamp(parse.GetValue(memoryGib), 0.01, 64),
    };

    var result = await new Benchmark(settings, Console.Error).RunAsync(cancellationToken);
    var table = result.ToMarkdown();
    Console.WriteLine(table);
    if (parse.GetValue(markdown) is { } markdownFile)
    {
        await File.WriteAllTextAsync(markdownFile.FullName, table, cancellationToken);
    }

    if (parse.GetValue(json) is { } jsonFile)
    {
        await File.WriteAllTextAsync(jsonFile.FullName, JsonSerializer.Serialize(result, ResultJson.Default.RunResult), cancellationToken);
    }

    return 0;
});

var ours = new Option<string[]>("--ours") { Description = "JSON result(s) of our registry", Required = true, AllowMultipleArgumentsPerToken = true };
var theirs = new Option<string[]>("--theirs") { Description = "JSON result(s) of the reference registry", Required = true, AllowMultipleArgumentsPerToken = true };
var compare = new Command("compare", "Side-by-side Markdown table of two sets of JSON results, with ratios and the issue's targets") { ours, theirs, markdown };
compare.SetAction(async (parse, cancellationToken) =>
{
    var table = Comparison.ToMarkdown(
        parse.GetValue(ours)!.Select(Comparison.Load).ToList(),
        parse.GetValue(theirs)!.Select(Comparison.Load).ToList());
    Console.WriteLine(table);
    if (parse.GetValue(markdown) is { } markdownFile)
    {
        await File.WriteAllTextAsync(markdownFile.FullName, table, cancellationToken);
    }

    return 0;
});
root.Subcommands.Add(compare);

return await root.Parse(args).InvokeAsync();

static int Clamp(int value, int min, int max) => Math.Clamp(value, min, max);
