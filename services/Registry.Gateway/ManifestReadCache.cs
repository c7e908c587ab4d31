using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Registry.Gateway;

/// <summary>
/// Distribution's answers to manifest reads, kept by the gateway so a repeated <c>HEAD</c> is answered without the hop
/// (ADR 0019). Every entry carries the generations it was filled under — of the whole cache and of its repository — and
/// is used only while both are unchanged and its lifetime lasts: an invalidation bumps a generation, so a slow filler
/// that read before a write can never be served after it (ADR 0004's rule, in process). Entries are used only while the
/// gateway hears the platform's invalidations (<see cref="SetListening"/>).
/// </summary>
internal sealed class ManifestReadCache
{
    public const string MeterName = "Registry.Gateway";

    /// <summary>Marks an answer the gateway gave from what it kept, for operators tracing a response.</summary>
    public const string CacheHeader = "X-Registry-Cache";

    /// <summary>The headers of a manifest answer that describe the manifest; everything else is per request.</summary>
    private static readonly string[] KeptHeaders =
    [
        HeaderNames.ContentType, HeaderNames.ContentLength, HeaderNames.ETag, "Docker-Content-Digest", "Docker-Distribution-API-Version",
    ];

    private readonly ConcurrentDictionary<EntryKey, Entry> _entries = new();
    private readonly ConcurrentDictionary<RepositoryKey, long> _repositoryGenerations = new();
    private readonly IOptions<GatewayOptions> _options;
    private readonly TimeProvider _time;
    private readonly Counter<long> _lookups;
    private long _generation;
    private volatile bool _listening;

    public ManifestReadCache(IOptions<GatewayOptions> options, TimeProvider time, IMeterFactory meters)
    {
        _options = options;
        _time = time;
        _lookups = meters.Create(MeterName).CreateCounter<long>(
            "registry.gateway.manifest_cache.lookups", "{lookup}", "Manifest HEAD requests the gateway looked up, by result (hit, miss)");
    }

    public bool IsEnabled => _options.Value.ManifestCache;

    /// <summary>Whether kept answers may be used: only while the platform's invalidations reach this gateway.</summary>
    public bool IsServing => _listening && IsEnabled;

    /// <summary>Starts or stops using kept answers; either way what was kept is dropped (invalidations may have been missed).</summary>
    public void SetListening(bool listening)
    {
        _listening = listening;
        InvalidateAll();
    }

    /// <summary>The generations a filler reads before asking distribution; its answer is kept under them.</summary>
    public Ticket TicketFor(string registry, string repository) =>
        new(Volatile.Read(ref _generation), _repositoryGenerations.GetValueOrDefault(new RepositoryKey(registry, repository)));

    /// <summary>Answers <paramref name="context"/> from a kept entry; false (nothing written) when there is none usable.</summary>
    public bool TryServe(HttpContext context, EntryKey key)
    {
        Entry? entry = null;
        var hit = IsServing
            && _entries.TryGetValue(key, out entry)
            && entry.Expires > _time.GetUtcNow()
            && entry.Ticket == TicketFor(key.Registry, key.Repository);
        _lookups.Add(1, new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));
        if (!hit)
        {
            return false;
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        foreach (var (name, value) in entry!.Headers)
        {
            response.Headers[name] = value;
        }

        response.Headers[CacheHeader] = "hit";
        return true;
    }

    /// <summary>Keeps distribution's successful answer to a manifest read, unless something changed since <paramref name="ticket"/>.</summary>
    public void Add(EntryKey key, Ticket ticket, IHeaderDictionary headers)
    {
        if (!IsServing || ticket != TicketFor(key.Registry, key.Repository))
        {
            return;
        }

        if (_entries.Count >= _options.Value.ManifestCacheMaxEntries)
        {
            _entries.Clear();
        }

        var kept = KeptHeaders.Where(name => headers.ContainsKey(name)).Select(name => (name, headers[name])).ToArray();
        _entries[key] = new Entry(ticket, kept, _time.GetUtcNow() + _options.Value.ManifestCacheLifetime);
    }

    /// <summary>Drops every kept answer of a repository (a push, tag move or delete there).</summary>
    public void InvalidateRepository(string registry, string repository)
    {
        if (_repositoryGenerations.Count >= _options.Value.ManifestCacheMaxEntries)
        {
            // Every entry is checked against the cache's generation too: bumping it first makes the reset safe.
            InvalidateAll();
            _repositoryGenerations.Clear();
        }

        _repositoryGenerations.AddOrUpdate(new RepositoryKey(registry, repository), 1, static (_, generation) => generation + 1);
    }

    /// <summary>Drops every kept answer (a change the gateway cannot pin to one repository).</summary>
    public void InvalidateAll()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    /// <summary>One manifest read: the distribution cluster that answers it (a region), the registry, repository and reference.</summary>
    public readonly record struct EntryKey(string Cluster, string Registry, string Repository, string Reference);

    public readonly record struct Ticket(long All, long Repository);

    private readonly record struct RepositoryKey(string Registry, string Repository);

    private sealed record Entry(Ticket Ticket, (string Name, StringValues Value)[] Headers, DateTimeOffset Expires);
}
