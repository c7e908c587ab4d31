using System.CommandLine;
using System.Text.Json;
using Registry.Benchmarks;

var registry = new Option<string>("--registry") { Description = "Base URL of the registry, a loopback address only (e.g. http://127.0.0.1:5000)", Required = true };
var name = new Option<string>("--name") { Description = "Label for this registry in the output", DefaultValueFactory = _ => "registry" };
var json = new Option<FileInfo?>("--json") { Description = "Also write the results as JSON to this file" };
var markdown = new Option<FileInfo?>("--markdown") { Description = "Also write the Markdown table to this file" };
var phases = new Option<string>("--phases") { Description = "Comma-separated: blobs, manifests, small, memory, tokens", DefaultValueFactory = _ => "blobs,manifests,small" };
var mode = new Option<string?>("--mode") { Description = "Shortcut: 'memory' runs only the 2 GiB memory phase; 'all' runs every phase" };
var serverPid = new Option<int?>("--server-pid") { Description = "Process id of the registry server, to sample its RSS from /proc" };
var processes = new Option<string?>("--processes") { Description = "Further server processes whose CPU is reported per phase, as name=pid[,name=pid…] (e.g. gateway=1,auth=2,distribution=3)" };
var username = new Option<string?>("--username") { Description = "User for Docker token auth: on a 401 Bearer challenge a token is fetched from the realm with these Basic credentials" };
var password = new Option<string?>("--password") { Description = "Password of --username (default: the environment variable REGISTRY_BENCH_PASSWORD)" };
var seed = new Option<ulong?>("--seed") { Description = "Seed for the generated content (default: random, so each run pushes new blobs)" };
var blobSize = new Option<int>("--blob-size-mib") { DefaultValueFactory = _ => 64 };
var blobCount = new Option<int>("--blob-count") { DefaultValueFactory = _ => 16 };
var blobConcurrency = new Option<int>("--blob-concurrency") { DefaultValueFactory = _ => 4 };
var blobWarmup = new Option<int>("--blob-warmup") { Description = "Blobs pushed and pulled untimed before the measured blob pushes", DefaultValueFactory = _ => 48 };
var pullPasses = new Option<int>("--pull-passes") { Description = "How many times the pushed blobs are pulled", DefaultValueFactory = _ => 4 };
var manifestConcurrency = new Option<int>("--manifest-concurrency") { DefaultValueFactory = _ => 32 };
var manifestMethods = new Option<string>("--manifest-methods") { Description = "Comma-separated: head, get", DefaultValueFactory = _ => "head,get" };
var tokenConcurrency = new Option<int>("--token-concurrency") { Description = "Concurrent clients of the tokens phase", DefaultValueFactory = _ => 16 };
var tokenRefresh = new Option<bool>("--token-refresh") { Description = "Tokens phase: also measure with a refresh token as the password", DefaultValueFactory = _ => true };
var tokenService = new Option<string>("--token-service") { Description = "Tokens phase: the service to ask for when /v2/ sends no challenge (auth off)", DefaultValueFactory = _ => "default.localhost" };
var duration = new Option<double>("--duration") { Description = "Seconds measured for manifest HEAD, for GET and for each token measurement", DefaultValueFactory = _ => 10 };
var warmup = new Option<double>("--warmup") { Description = "Warm-up seconds before each manifest and token measurement", DefaultValueFactory = _ => 2 };
var images = new Option<int>("--images") { DefaultValueFactory = _ => 200 };
var imageConcurrency = new Option<int>("--image-concurrency") { DefaultValueFactory = _ => 16 };
var memoryGib = new Option<double>("--memory-blob-gib") { DefaultValueFactory = _ => 2 };

var root = new RootCommand("Registry benchmark: blob push/pull throughput, manifest HEAD/GET rate and latency, small images, memory under a large blob, token issuance")
{
    registry, name, json, markdown, phases, mode, serverPid, processes, username, password, seed, blobSize, blobCount, blobConcurrency, blobWarmup, pullPasses,
    manifestConcurrency, manifestMethods, tokenConcurrency, tokenRefresh, tokenService, duration, warmup, images, imageConcurrency, memoryGib,
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
    var unknown = selected.Except(["blobs", "manifests", "small", "memory", "tokens"]).ToList();
    if (unknown.Count > 0)
    {
        Console.Error.WriteLine($"unknown phase(s): {string.Join(", ", unknown)}");
        return 2;
    }

    var methods = new List<HttpMethod>();
    foreach (var method in parse.GetValue(manifestMethods)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
    {
        switch (method.ToLowerInvariant())
        {
            case "head": methods.Add(HttpMethod.Head); break;
            case "get": methods.Add(HttpMethod.Get); break;
            default:
                Console.Error.WriteLine($"--manifest-methods: unknown method {method}; use head, get");
                return 2;
        }
    }

    IReadOnlyList<NamedProcess> measured;
    try
    {
        measured = NamedProcess.ParseList(parse.GetValue(processes));
    }
    catch (ArgumentException exception)
    {
        Console.Error.WriteLine(exception.Message);
        return 2;
    }

    var user = parse.GetValue(username);
    var secret = parse.GetValue(password) ?? Environment.GetEnvironmentVariable("REGISTRY_BENCH_PASSWORD");
    if (user is not null && secret is null)
    {
        Console.Error.WriteLine("--username needs --password (or REGISTRY_BENCH_PASSWORD)");
        return 2;
    }

    var settings = new BenchSettings
    {
        Registry = target,
        Name = parse.GetValue(name)!,
        Phases = selected,
        Seed = parse.GetValue(seed) ?? (ulong)Random.Shared.NextInt64(1, long.MaxValue),
        ServerPid = parse.GetValue(serverPid),
        Processes = measured,
        Username = user,
        Password = secret,
        BlobSizeMib = Clamp(parse.GetValue(blobSize), 1, 1024),
        BlobCount = Clamp(parse.GetValue(blobCount), 1, 256),
        BlobConcurrency = Clamp(parse.GetValue(blobConcurrency), 1, 64),
        BlobWarmup = Clamp(parse.GetValue(blobWarmup), 0, 1000),
        PullPasses = Clamp(parse.GetValue(pullPasses), 1, 100),
        ManifestConcurrency = Clamp(parse.GetValue(manifestConcurrency), 1, 512),
        ManifestMethods = methods,
        TokenConcurrency = Clamp(parse.GetValue(tokenConcurrency), 1, 512),
        TokenRefresh = parse.GetValue(tokenRefresh),
        TokenService = parse.GetValue(tokenService)!,
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

var baseline = new Option<string[]>("--baseline") { Description = "JSON result(s) of the single-process host with auth off", Required = true, AllowMultipleArgumentsPerToken = true };
var standaloneAuth = new Option<string[]>("--standalone-auth") { Description = "JSON result(s) of the single-process host with auth on (manifests, tokens)", AllowMultipleArgumentsPerToken = true };
var gateway = new Option<string[]>("--gateway") { Description = "JSON result(s) through the gateway with auth on (manifests, tokens)", Required = true, AllowMultipleArgumentsPerToken = true };
var title = new Option<string?>("--title") { Description = "Heading of the manifest table (default: Manifest HEAD by tag)" };
var authReport = new Command("auth-report", "What auth and the gateway cost against the single-process host with auth off, and token issuance, with issue #3's targets")
{
    baseline, standaloneAuth, gateway, title, markdown,
};
authReport.SetAction(async (parse, cancellationToken) =>
{
    var table = AuthReport.ToMarkdown(
        parse.GetValue(baseline)!.Select(Comparison.Load).ToList(),
        (parse.GetValue(standaloneAuth) ?? []).Select(Comparison.Load).ToList(),
        parse.GetValue(gateway)!.Select(Comparison.Load).ToList(),
        parse.GetValue(title));
    Console.WriteLine(table);
    if (parse.GetValue(markdown) is { } markdownFile)
    {
        await File.WriteAllTextAsync(markdownFile.FullName, table, cancellationToken);
    }

    return 0;
});
root.Subcommands.Add(authReport);

var subscribers = new Option<int>("--subscribers") { Description = "Webhooks subscribed to every push", DefaultValueFactory = _ => 100 };
var pushRate = new Option<double>("--rate") { Description = "Paced run: pushes per second", DefaultValueFactory = _ => 6 };
var pacedPushes = new Option<int>("--pushes") { Description = "Paced run: how many manifests are pushed", DefaultValueFactory = _ => 120 };
var burstPushes = new Option<int>("--burst-pushes") { Description = "Burst run (as fast as acknowledged): how many manifests; 0 skips it", DefaultValueFactory = _ => 60 };
var webhooksCommand = new Command("webhooks", "Webhook push-to-delivery latency (p50/p90/p99) and deliveries per second with many subscribers (issue #4)")
{
    registry, username, password, subscribers, pushRate, pacedPushes, burstPushes, markdown,
};
webhooksCommand.SetAction(async (parse, cancellationToken) =>
{
    if (!Uri.TryCreate(parse.GetValue(registry), UriKind.Absolute, out var target) || !Target.IsLoopback(target))
    {
        Console.Error.WriteLine("--registry must be an http(s) URL of a loopback address");
        return 2;
    }

    var user = parse.GetValue(username) ?? "admin";
    var secret = parse.GetValue(password) ?? Environment.GetEnvironmentVariable("REGISTRY_BENCH_PASSWORD")
        ?? throw new ArgumentException("--password (or REGISTRY_BENCH_PASSWORD) is needed for the management API");
    var results = new List<WebhookResult>();
    var baseSettings = new WebhookBenchSettings
    {
        Registry = target,
        Username = user,
        Password = secret,
        Subscribers = Clamp(parse.GetValue(subscribers), 1, 500),
        Rate = Math.Max(0.1, parse.GetValue(pushRate)),
        Pushes = Clamp(parse.GetValue(pacedPushes), 1, 100_000),
        PushConcurrency = 4,
    };
    results.Add(await new WebhookBenchmark(baseSettings, Console.Error).RunAsync("paced", cancellationToken));
    if (parse.GetValue(burstPushes) is > 0 and var burst)
    {
        results.Add(await new WebhookBenchmark(baseSettings with { Rate = 0, Pushes = burst }, Console.Error).RunAsync("burst", cancellationToken));
    }

    var table = WebhookBenchmark.ToMarkdown(results);
    Console.WriteLine(table);
    if (parse.GetValue(markdown) is { } markdownFile)
    {
        await File.WriteAllTextAsync(markdownFile.FullName, table, cancellationToken);
    }

    return 0;
});
root.Subcommands.Add(webhooksCommand);

var osvDirectory = new Option<DirectoryInfo>("--osv") { Description = "OSV files to import as the vulnerability database", DefaultValueFactory = _ => new DirectoryInfo("../shared/testdata/vuln/osv/github") };
var imageMiB = new Option<int>("--image-mib") { Description = "Size of the large image's base layer", DefaultValueFactory = _ => 200 };
var smallImages = new Option<int>("--small-images") { Description = "Small images pushed at once for scans per second; 0 skips it", DefaultValueFactory = _ => 1000 };
var scannerCommand = new Command("scanner", "Scanner: push-to-findings for a large image and for one sharing its base layer, and scans per second (issue #6)")
{
    registry, username, password, osvDirectory, imageMiB, smallImages, markdown,
};
scannerCommand.SetAction(async (parse, cancellationToken) =>
{
    if (!Uri.TryCreate(parse.GetValue(registry), UriKind.Absolute, out var target) || !Target.IsLoopback(target))
    {
        Console.Error.WriteLine("--registry must be an http(s) URL of a loopback address");
        return 2;
    }

    var settings = new ScanBenchSettings
    {
        Registry = target,
        Username = parse.GetValue(username) ?? "admin",
        Password = parse.GetValue(password) ?? Environment.GetEnvironmentVariable("REGISTRY_BENCH_PASSWORD")
            ?? throw new ArgumentException("--password (or REGISTRY_BENCH_PASSWORD) is needed"),
        OsvDirectory = parse.GetValue(osvDirectory)!,
        ImageMiB = Clamp(parse.GetValue(imageMiB), 2, 4096),
        SmallImages = Clamp(parse.GetValue(smallImages), 0, 100_000),
    };
    var table = ScanBenchmark.ToMarkdown(await new ScanBenchmark(settings, Console.Error).RunAsync(cancellationToken));
    Console.WriteLine(table);
    if (parse.GetValue(markdown) is { } markdownFile)
    {
        await File.WriteAllTextAsync(markdownFile.FullName, table, cancellationToken);
    }

    return 0;
});
root.Subcommands.Add(scannerCommand);

return await root.Parse(args).InvokeAsync();

static int Clamp(int value, int min, int max) => Math.Clamp(value, min, max);
