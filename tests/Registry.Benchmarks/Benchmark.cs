using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Registry.Benchmarks;

internal sealed record BenchSettings
{
    public required Uri Registry { get; init; }
    public required string Name { get; init; }
    public required IReadOnlySet<string> Phases { get; init; }
    public required ulong Seed { get; init; }
    public int? ServerPid { get; init; }

    /// <summary>Further server processes whose CPU is reported per phase (the gateway, auth and distribution processes).</summary>
    public IReadOnlyList<NamedProcess> Processes { get; init; } = [];

    public string? Username { get; init; }
    public string? Password { get; init; }
    public int BlobSizeMib { get; init; } = 64;
    public int BlobCount { get; init; } = 16;
    public int BlobConcurrency { get; init; } = 4;
    public int PullPasses { get; init; } = 4;

    /// <summary>Blobs pushed and pulled once, untimed, before the measured pushes.</summary>
    public int BlobWarmup { get; init; } = 48;
    public int ManifestConcurrency { get; init; } = 32;
    public IReadOnlyList<HttpMethod> ManifestMethods { get; init; } = [HttpMethod.Head, HttpMethod.Get];
    public int TokenConcurrency { get; init; } = 16;
    public bool TokenRefresh { get; init; } = true;

    /// <summary>The token service to ask when the registry sends no challenge (auth off): the default registry's login server.</summary>
    public string TokenService { get; init; } = "default.localhost";
    public TimeSpan ManifestDuration { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);
    public int Images { get; init; } = 200;
    public int ImageConcurrency { get; init; } = 16;
    public int SmallLayerKib { get; init; } = 16;
    public double MemoryBlobGib { get; init; } = 2;
}

/// <summary>The benchmark phases, each bounded in count and in time.</summary>
internal sealed class Benchmark(BenchSettings settings, TextWriter log)
{
    private const double MB = 1_000_000;

    /// <summary>docker's user name when the password is a refresh token (its identity token).</summary>
    private const string RefreshTokenUser = "00000000-0000-0000-0000-000000000000";
    private static readonly TimeSpan PhaseTimeout = TimeSpan.FromMinutes(10);

    private readonly string _runId = settings.Seed.ToString("x", CultureInfo.InvariantCulture);

    public async Task<RunResult> RunAsync(CancellationToken cancellationToken)
    {
        var result = new RunResult
        {
            Name = settings.Name,
            Registry = settings.Registry.ToString(),
            StartedAt = DateTimeOffset.UtcNow,
            Machine = Machine.Describe(),
            Settings = new()
            {
                ["phases"] = string.Join(',', settings.Phases),
                ["seed"] = _runId,
                ["blob"] = $"{settings.BlobCount} x {settings.BlobSizeMib} MiB, {settings.BlobConcurrency} concurrent, {settings.PullPasses} pull passes, after {settings.BlobWarmup} blobs pushed and pulled untimed",
                ["manifest"] = $"{string.Join('+', settings.ManifestMethods)}, {settings.ManifestConcurrency} connections, {settings.ManifestDuration.TotalSeconds} s after {settings.Warmup.TotalSeconds} s warm-up",
                ["tokens"] = $"{settings.TokenConcurrency} clients, {settings.ManifestDuration.TotalSeconds} s after {settings.Warmup.TotalSeconds} s warm-up, refresh token too: {settings.TokenRefresh}",
                ["auth"] = settings.Username is null ? "no credentials" : $"Basic credentials of {settings.Username} for bearer tokens",
                ["processes"] = string.Join(',', settings.Processes.Select(p => p.Name)),
                ["small"] = $"{settings.Images} images ({settings.SmallLayerKib} KiB layer), {settings.ImageConcurrency} concurrent",
                ["memory"] = $"{settings.MemoryBlobGib} GiB blob",
            },
        };

        var connections = Math.Max(Math.Max(settings.ManifestConcurrency, settings.TokenConcurrency), Math.Max(settings.ImageConcurrency, settings.BlobConcurrency)) + 8;
        using var client = new RegistryClient(settings.Registry, connections, settings.Username, settings.Password);
        var (ping, challenge) = await client.PingAsync(cancellationToken);
        if (ping != System.Net.HttpStatusCode.OK)
        {
            throw new InvalidOperationException(challenge is null
                ? $"GET {settings.Registry}v2/ answered {(int)ping}"
                : $"GET {settings.Registry}v2/ answered {(int)ping} even with a token from {challenge.Realm}; check --username and --password");
        }

        result.Settings["registry_auth"] = challenge is null ? "none (anonymous /v2)" : $"bearer tokens from {challenge.Realm} for {challenge.Service}";

        if (settings.Phases.Contains("blobs"))
        {
            await BlobsAsync(client, result, cancellationToken);
        }

        if (settings.Phases.Contains("manifests"))
        {
            await ManifestsAsync(client, result, cancellationToken);
        }

        if (settings.Phases.Contains("small"))
        {
            await SmallImagesAsync(client, result, cancellationToken);
        }

        if (settings.Phases.Contains("memory"))
        {
            await MemoryAsync(client, result, cancellationToken);
        }

        if (settings.Phases.Contains("tokens"))
        {
            await TokensAsync(client, challenge, result, cancellationToken);
        }

        if (client.Auth.Fetched > 0)
        {
            result.Notes.Add($"{client.Auth.Fetched} bearer token(s) fetched by the client outside the token phase (one per repository scope, reused until shortly before expiry)");
        }

        return result;
    }

    private async Task BlobsAsync(RegistryClient client, RunResult result, CancellationToken cancellationToken)
    {
        var repository = $"bench-{_runId}/blobs";
        var size = settings.BlobSizeMib << 20;
        log.WriteLine($"[{settings.Name}] blobs: generating {settings.BlobCount} x {settings.BlobSizeMib} MiB and their digests");
        var blobs = new (byte[] Content, string Digest)[settings.BlobCount];
        Parallel.For(0, blobs.Length, i =>
        {
            var content = Payload.Create(settings.Seed * 1_000_003 + (ulong)i, size);
            blobs[i] = (content, Payload.Digest(content));
        });

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PhaseTimeout);
        await WarmUpBlobsAsync(client, size, timeout.Token);
        var rssBefore = RssSampler.CurrentMib(settings.ServerPid);
        await using var sampler = RssSampler.Start(settings.ServerPid);

        log.WriteLine($"[{settings.Name}] blobs: pushing, {settings.BlobConcurrency} concurrent");
        var next = -1;
        var cpu = StartCpu();
        var pushWatch = Stopwatch.StartNew();
        await RunWorkersAsync(settings.BlobConcurrency, async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < blobs.Length)
            {
                await client.PushBlobAsync(repository, blobs[index].Content, blobs[index].Digest, timeout.Token);
            }
        });
        pushWatch.Stop();
        var pushed = (double)size * blobs.Length;
        result.Add("blob_push_mbps", $"blob push ({settings.BlobSizeMib} MiB, {settings.BlobConcurrency} concurrent)", pushed / MB / pushWatch.Elapsed.TotalSeconds, "MB/s");
        AddCpu(result, "blob_push", "blob push", cpu, pushed / 1e9, "GB");

        log.WriteLine($"[{settings.Name}] blobs: pulling, {settings.BlobConcurrency} concurrent, {settings.PullPasses} passes");
        var pulls = blobs.Length * settings.PullPasses;
        next = -1;
        long pulledBytes = 0;
        cpu = StartCpu();
        var pullWatch = Stopwatch.StartNew();
        await RunWorkersAsync(settings.BlobConcurrency, async () =>
        {
            var buffer = new byte[1 << 20];
            int index;
            while ((index = Interlocked.Increment(ref next)) < pulls)
            {
                var blob = blobs[index % blobs.Length];
                var read = await client.PullBlobAsync(repository, blob.Digest, buffer, null, timeout.Token);
                if (read != size)
                {
                    throw new InvalidDataException($"GET blob {blob.Digest}: {read} bytes, expected {size}");
                }

                Interlocked.Add(ref pulledBytes, read);
            }
        });
        pullWatch.Stop();
        result.Add("blob_pull_mbps", $"blob pull ({settings.BlobSizeMib} MiB, {settings.BlobConcurrency} concurrent)", pulledBytes / MB / pullWatch.Elapsed.TotalSeconds, "MB/s");
        AddCpu(result, "blob_pull", "blob pull", cpu, pulledBytes / 1e9, "GB");

        if (sampler is not null)
        {
            var peak = await sampler.StopAsync();
            if (rssBefore is { } before)
            {
                result.Add("blob_rss_before_mib", "server RSS before blob phases", before, "MiB", higherIsBetter: false);
            }

            result.Add("blob_rss_peak_mib", "server peak RSS during blob push+pull", peak, "MiB", higherIsBetter: false);
        }
    }

    /// <summary>
    /// Pushes and pulls other blobs of the same size, untimed, as the manifest phases warm up before measuring: a
    /// JIT-compiled server reaches its steady speed only once tiered compilation has recompiled its hot paths, which
    /// takes more requests than the measured pushes make, while a server compiled ahead of time starts at it.
    /// </summary>
    private async Task WarmUpBlobsAsync(RegistryClient client, int size, CancellationToken cancellationToken)
    {
        if (settings.BlobWarmup == 0)
        {
            return;
        }

        log.WriteLine($"[{settings.Name}] blobs: warm-up, {settings.BlobWarmup} x {settings.BlobSizeMib} MiB pushed and pulled, {settings.BlobConcurrency} concurrent");
        var repository = $"bench-{_runId}/blobs-warmup";
        var next = -1;
        await RunWorkersAsync(settings.BlobConcurrency, async () =>
        {
            var content = GC.AllocateUninitializedArray<byte>(size);
            var buffer = new byte[1 << 20];
            int index;
            while ((index = Interlocked.Increment(ref next)) < settings.BlobWarmup)
            {
                new Prng(~settings.Seed * 1_000_003 + (ulong)index).Fill(content);
                var digest = Payload.Digest(content);
                await client.PushBlobAsync(repository, content, digest, cancellationToken);
                await client.PullBlobAsync(repository, digest, buffer, null, cancellationToken);
            }
        });
    }

    private async Task ManifestsAsync(RegistryClient client, RunResult result, CancellationToken cancellationToken)
    {
        var repository = $"bench-{_runId}/manifest";
        const string tag = "latest";
        await PushSmallImageAsync(client, repository, tag, settings.Seed ^ 0x5EED, cancellationToken);

        foreach (var method in settings.ManifestMethods)
        {
            var name = method.Method.ToLowerInvariant();
            log.WriteLine($"[{settings.Name}] manifest {method}: {settings.Warmup.TotalSeconds} s warm-up, {settings.ManifestDuration.TotalSeconds} s measured, {settings.ManifestConcurrency} connections");
            Task Request(byte[] buffer, CancellationToken token) => client.ManifestAsync(method, repository, tag, buffer, token);
            await HammerAsync(settings.ManifestConcurrency, settings.Warmup, Request, cancellationToken);
            var cpu = StartCpu();
            var (count, errors, elapsed, latencies) = await HammerAsync(settings.ManifestConcurrency, settings.ManifestDuration, Request, cancellationToken);
            var used = cpu;
            Array.Sort(latencies);
            result.Add($"manifest_{name}_rps", $"manifest {method} by tag ({settings.ManifestConcurrency} connections)", count / elapsed.TotalSeconds, "req/s");
            result.Add($"manifest_{name}_p50_ms", $"manifest {method} p50 latency", Percentile(latencies, 0.50), "ms", higherIsBetter: false);
            result.Add($"manifest_{name}_p99_ms", $"manifest {method} p99 latency", Percentile(latencies, 0.99), "ms", higherIsBetter: false);
            AddCpu(result, $"manifest_{name}", $"manifest {method}", used, count / 1000.0, "1000 requests");
            if (errors > 0)
            {
                result.Notes.Add($"manifest {method}: {errors} failed requests");
            }
        }
    }

    /// <summary>
    /// Token issuance: <see cref="BenchSettings.TokenConcurrency"/> clients each asking the token server in a loop, as docker
    /// does before a pull (<c>GET realm?service=…&amp;scope=repository:&lt;repo&gt;:pull</c> with Basic credentials); then the
    /// same with docker's identity token (the null-GUID user with a refresh token as its password).
    /// </summary>
    private async Task TokensAsync(RegistryClient client, BearerChallenge? challenge, RunResult result, CancellationToken cancellationToken)
    {
        if (client.Auth.Basic is not { } basic)
        {
            throw new InvalidOperationException("the tokens phase needs --username and --password (the registry's admin user)");
        }

        // Where a client would be sent: the realm and service of the challenge; without one (auth off), this host's token endpoint.
        var realm = challenge?.Realm ?? new Uri(settings.Registry, "/oauth2/token");
        var service = challenge?.Service is { Length: > 0 } named ? named : settings.TokenService;
        if (!Target.IsLoopback(realm))
        {
            throw new InvalidOperationException($"the token realm {realm} is not a loopback address");
        }

        var scope = $"repository:bench-{_runId}/tokens:pull";
        var url = TokenAuthenticator.TokenUrl(realm, service, scope);
        var variants = new List<(string Key, string Label, AuthenticationHeaderValue Authorization)>
        {
            ("tokens_basic", "token (Basic admin credentials)", basic),
        };
        if (settings.TokenRefresh)
        {
            var refresh = await client.Auth.RefreshTokenAsync(realm, service, scope, cancellationToken);
            variants.Add(("tokens_refresh", "token (refresh token as password)", TokenAuthenticator.BasicHeader(RefreshTokenUser, refresh)));
        }

        foreach (var (key, label, authorization) in variants)
        {
            // One checked answer first: a real token, not an error page that happens to be 200.
            var (token, lifetime, _) = TokenAuthenticator.ParseResponse(await client.TokenResponseAsync(url, authorization, cancellationToken));
            if (token.Count(c => c == '.') != 2)
            {
                throw new InvalidDataException($"{url}: the token is not a JWT");
            }

            log.WriteLine($"[{settings.Name}] {label}: {settings.Warmup.TotalSeconds} s warm-up, {settings.ManifestDuration.TotalSeconds} s measured, {settings.TokenConcurrency} clients, {url.GetLeftPart(UriPartial.Path)} (lifetime {lifetime.TotalSeconds} s)");
            Task Request(byte[] buffer, CancellationToken token) => client.TokenRequestAsync(url, authorization, buffer, token);
            await HammerAsync(settings.TokenConcurrency, settings.Warmup, Request, cancellationToken);
            var cpu = StartCpu();
            var (count, errors, elapsed, latencies) = await HammerAsync(settings.TokenConcurrency, settings.ManifestDuration, Request, cancellationToken);
            Array.Sort(latencies);
            result.Add($"{key}_per_s", $"{label} issued ({settings.TokenConcurrency} clients, GET /oauth2/token, one repository scope)", count / elapsed.TotalSeconds, "tokens/s");
            result.Add($"{key}_p50_ms", $"{label} p50 latency", Percentile(latencies, 0.50), "ms", higherIsBetter: false);
            result.Add($"{key}_p99_ms", $"{label} p99 latency", Percentile(latencies, 0.99), "ms", higherIsBetter: false);
            AddCpu(result, key, label, cpu, count / 1000.0, "1000 tokens");
            if (errors > 0)
            {
                result.Notes.Add($"{label}: {errors} failed requests");
            }
        }
    }

    /// <summary><paramref name="concurrency"/> workers repeat <paramref name="request"/> until <paramref name="duration"/> is over (bounded in count too).</summary>
    private static async Task<(long Count, long Errors, TimeSpan Elapsed, double[] LatenciesMs)> HammerAsync(
        int concurrency, TimeSpan duration, Func<byte[], CancellationToken, Task> request, CancellationToken cancellationToken)
    {
        const int maxRequestsPerWorker = 2_000_000;
        var perWorker = new List<double>[concurrency];
        long errors = 0;
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(duration + TimeSpan.FromSeconds(30));
        var watch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var latencies = perWorker[worker] = new List<double>(65_536);
            var buffer = new byte[16 * 1024];
            for (var i = 0; i < maxRequestsPerWorker && Stopwatch.GetTimestamp() < deadline; i++)
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    await request(buffer, timeout.Token);
                    latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
                catch (HttpRequestException)
                {
                    if (Interlocked.Increment(ref errors) > 1000)
                    {
                        throw;
                    }
                }
            }
        }, cancellationToken)).ToArray();
        await Task.WhenAll(workers);
        watch.Stop();
        var all = perWorker.SelectMany(list => list).ToArray();
        return (all.Length, errors, watch.Elapsed, all);
    }

    private async Task SmallImagesAsync(RegistryClient client, RunResult result, CancellationToken cancellationToken)
    {
        var layerSize = settings.SmallLayerKib * 1024;
        var images = new SmallImage[settings.Images];
        for (var i = 0; i < images.Length; i++)
        {
            var layer = Payload.Create(settings.Seed * 7_919 + (ulong)i + 1, layerSize);
            var layerDigest = Payload.Digest(layer);
            var config = RegistryClient.ImageConfig(layerDigest, $"{_runId}-{i}");
            var configDigest = Payload.Digest(config);
            var manifest = RegistryClient.ImageManifest((configDigest, config.Length), (layerDigest, layer.Length));
            images[i] = new SmallImage($"bench-{_runId}/small-{i % 20}", $"img-{i}", layer, layerDigest, config, configDigest, manifest);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PhaseTimeout);

        log.WriteLine($"[{settings.Name}] small images: pushing {images.Length}, {settings.ImageConcurrency} concurrent");
        var next = -1;
        var cpu = StartCpu();
        var watch = Stopwatch.StartNew();
        await RunWorkersAsync(settings.ImageConcurrency, async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < images.Length)
            {
                var image = images[index];
                await PushIfMissingAsync(client, image.Repository, image.Layer, image.LayerDigest, timeout.Token);
                await PushIfMissingAsync(client, image.Repository, image.Config, image.ConfigDigest, timeout.Token);
                await client.PutManifestAsync(image.Repository, image.Tag, image.Manifest, timeout.Token);
            }
        });
        watch.Stop();
        result.Add("small_push_images_per_s", $"small images pushed ({settings.ImageConcurrency} concurrent; HEAD+POST+PATCH+PUT per blob, PUT manifest)", images.Length / watch.Elapsed.TotalSeconds, "images/s");
        AddCpu(result, "small_push", "small image push", cpu, images.Length / 100.0, "100 images");

        log.WriteLine($"[{settings.Name}] small images: pulling {images.Length}, {settings.ImageConcurrency} concurrent");
        next = -1;
        cpu = StartCpu();
        watch.Restart();
        await RunWorkersAsync(settings.ImageConcurrency, async () =>
        {
            var buffer = new byte[64 * 1024];
            int index;
            while ((index = Interlocked.Increment(ref next)) < images.Length)
            {
                var image = images[index];
                var manifestLength = await client.ManifestAsync(HttpMethod.Get, image.Repository, image.Tag, buffer, timeout.Token);
                var configLength = await client.PullBlobAsync(image.Repository, image.ConfigDigest, buffer, null, timeout.Token);
                var layerLength = await client.PullBlobAsync(image.Repository, image.LayerDigest, buffer, null, timeout.Token);
                if (manifestLength != image.Manifest.Length || configLength != image.Config.Length || layerLength != image.Layer.Length)
                {
                    throw new InvalidDataException($"{image.Repository}:{image.Tag}: pulled sizes do not match what was pushed");
                }
            }
        });
        watch.Stop();
        result.Add("small_pull_images_per_s", $"small images pulled ({settings.ImageConcurrency} concurrent; GET manifest by tag + 2 blob GETs)", images.Length / watch.Elapsed.TotalSeconds, "images/s");
        AddCpu(result, "small_pull", "small image pull", cpu, images.Length / 100.0, "100 images");
    }

    private CpuMeter StartCpu() => CpuMeter.Start(settings.ServerPid, settings.Processes);

    private static void AddCpu(RunResult result, string key, string label, CpuMeter meter, double units, string unit)
    {
        var (server, system, client) = meter.Elapsed();
        if (server is { } seconds && system is { } kernel && units > 0)
        {
            result.Add($"{key}_server_cpu", $"{label}: server CPU per {unit}", seconds / units, "CPU s", higherIsBetter: false);
            result.Add($"{key}_server_sys_cpu", $"{label}: of which kernel (sys)", kernel / units, "CPU s", higherIsBetter: false);
        }

        var processes = meter.ProcessesElapsed();
        if (processes.Count > 0 && units > 0 && processes.All(p => p.Total is not null && p.System is not null))
        {
            foreach (var (name, total, processKernel) in processes)
            {
                result.Add($"{key}_cpu_{name}", $"{label}: {name} process CPU per {unit}", total!.Value / units, "CPU s", higherIsBetter: false);
                result.Add($"{key}_sys_cpu_{name}", $"{label}: {name} process, of which kernel (sys)", processKernel!.Value / units, "CPU s", higherIsBetter: false);
            }

            result.Add($"{key}_processes_cpu", $"{label}: all server processes CPU per {unit}", processes.Sum(p => p.Total!.Value) / units, "CPU s", higherIsBetter: false);
        }

        result.Add($"{key}_client_cpu", $"{label}: benchmark client CPU per {unit}", client / units, "CPU s", higherIsBetter: false);
    }

    private async Task MemoryAsync(RegistryClient client, RunResult result, CancellationToken cancellationToken)
    {
        var repository = $"bench-{_runId}/memory";
        var length = (long)(settings.MemoryBlobGib * (1L << 30));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PhaseTimeout);
        if (settings.ServerPid is null)
        {
            result.Notes.Add("memory: no --server-pid, so the server's RSS was not measured");
        }

        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        var before = RssSampler.CurrentMib(settings.ServerPid);
        await using var sampler = RssSampler.Start(settings.ServerPid);

        log.WriteLine($"[{settings.Name}] memory: pushing one {settings.MemoryBlobGib} GiB blob, generated on the fly");
        using var content = new GeneratedContent(settings.Seed ^ 0xB16B10B, length);
        var watch = Stopwatch.StartNew();
        await client.PushBlobAsync(repository, content, () => content.SentDigest ?? throw new InvalidOperationException("the body was not sent"), timeout.Token);
        var pushSeconds = watch.Elapsed.TotalSeconds;
        var digest = content.SentDigest!;

        log.WriteLine($"[{settings.Name}] memory: pulling it back and verifying its digest");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        watch.Restart();
        var read = await client.PullBlobAsync(repository, digest, new byte[1 << 20], hash, timeout.Token);
        var pullSeconds = watch.Elapsed.TotalSeconds;
        var pulledDigest = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
        if (read != length || pulledDigest != digest)
        {
            throw new InvalidDataException($"memory: pulled {read} bytes with {pulledDigest}, pushed {length} with {digest}");
        }

        var peak = sampler is null ? (double?)null : await sampler.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        var after = RssSampler.CurrentMib(settings.ServerPid);

        var gib = $"{settings.MemoryBlobGib} GiB";
        result.Add("memory_push_mbps", $"{gib} blob push (one streamed PATCH, client generates+hashes)", length / MB / pushSeconds, "MB/s");
        result.Add("memory_pull_mbps", $"{gib} blob pull (client hashes)", length / MB / pullSeconds, "MB/s");
        if (before is { } b && peak is { } p)
        {
            result.Add("memory_rss_before_mib", $"server RSS before {gib} push", b, "MiB", higherIsBetter: false);
            result.Add("memory_rss_peak_mib", $"server peak RSS during {gib} push+pull", p, "MiB", higherIsBetter: false);
            if (after is { } a)
            {
                result.Add("memory_rss_after_mib", $"server RSS 2 s after {gib} pull", a, "MiB", higherIsBetter: false);
            }

            result.Add("memory_rss_increase_mib", $"server RSS increase (peak − before), {gib} push+pull", p - b, "MiB", higherIsBetter: false);
        }
    }

    private async Task PushSmallImageAsync(RegistryClient client, string repository, string tag, ulong seed, CancellationToken cancellationToken)
    {
        var layer = Payload.Create(seed, settings.SmallLayerKib * 1024);
        var layerDigest = Payload.Digest(layer);
        var config = RegistryClient.ImageConfig(layerDigest, _runId);
        var configDigest = Payload.Digest(config);
        await PushIfMissingAsync(client, repository, layer, layerDigest, cancellationToken);
        await PushIfMissingAsync(client, repository, config, configDigest, cancellationToken);
        await client.PutManifestAsync(repository, tag, RegistryClient.ImageManifest((configDigest, config.Length), (layerDigest, layer.Length)), cancellationToken);
    }

    private static async Task PushIfMissingAsync(RegistryClient client, string repository, byte[] content, string digest, CancellationToken cancellationToken)
    {
        if (!await client.BlobExistsAsync(repository, digest, cancellationToken))
        {
            await client.PushBlobAsync(repository, content, digest, cancellationToken);
        }
    }

    private static Task RunWorkersAsync(int count, Func<Task> worker) =>
        Task.WhenAll(Enumerable.Range(0, count).Select(_ => Task.Run(worker)));

    private static double Percentile(double[] sorted, double fraction) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(fraction * sorted.Length) - 1)];

    private sealed record SmallImage(string Repository, string Tag, byte[] Layer, string LayerDigest, byte[] Config, string ConfigDigest, byte[] Manifest);
}

internal static class Machine
{
    public static string Describe()
    {
        var cpu = "unknown CPU";
        long memoryKib = 0;
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
            var total = File.ReadLines("/proc/meminfo").FirstOrDefault(line => line.StartsWith("MemTotal:", StringComparison.Ordinal));
            if (total is not null)
            {
                memoryKib = long.Parse(total.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
        }

        return $"{Environment.ProcessorCount} cores ({cpu}), {memoryKib / 1024 / 1024.0:0.#} GiB RAM, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }
}
