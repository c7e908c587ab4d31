using System.Collections.Concurrent;
using System.Text.Json;
using Registry.Storage;

namespace Registry.Replication.Geo;

/// <summary>
/// The replicas of every registry, kept in the platform partition of every region (each region's replication service
/// reads its own copy, so any region can replicate its pushes to the others). Writes go to every region.
/// </summary>
internal sealed class ReplicaStore(RegionalStorage regions, TimeProvider time)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, (IReadOnlyList<ReplicaRecord> Records, DateTimeOffset Expires)> _cache = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<ReplicaRecord>> ListAsync(string registry, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(registry, out var cached) && cached.Expires > time.GetUtcNow())
        {
            return cached.Records;
        }

        var driver = regions.For(regions.OwnRegion).ForPlatform();
        var records = new List<ReplicaRecord>();
        await foreach (var name in driver.ListAsync(StoragePaths.Replicas(registry), cancellationToken))
        {
            if (name.EndsWith(".json", StringComparison.Ordinal)
                && await driver.ReadAsync($"{StoragePaths.Replicas(registry)}/{name}", cancellationToken) is { } stored)
            {
                records.Add(JsonSerializer.Deserialize(stored.Content.Span, GeoJson.Default.ReplicaRecord)!);
            }
        }

        records.Sort((a, b) => (b.IsHome, a.Name).CompareTo((a.IsHome, b.Name)));
        _cache[registry] = (records, time.GetUtcNow() + Lifetime);
        return records;
    }

    /// <summary>The regions holding the registry: the home region and every replica's, configured here; one when it is not replicated.</summary>
    public async Task<IReadOnlyList<string>> RegionsOfAsync(string registry, CancellationToken cancellationToken)
    {
        var records = await ListAsync(registry, cancellationToken);
        return records.Count == 0
            ? [regions.OwnRegion]
            : records.Select(r => r.Location).Where(regions.Contains).Distinct(StringComparer.Ordinal).ToList();
    }

    public async IAsyncEnumerable<string> ListRegistriesAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var name in regions.For(regions.OwnRegion).ForPlatform().ListAsync(StoragePaths.ReplicasRoot, cancellationToken))
        {
            if (Oci.OciGrammar.IsRegistryName(name))
            {
                yield return name;
            }
        }
    }

    /// <summary>Writes the record to every region's platform partition; the first failure stops and is thrown (the call can be repeated).</summary>
    public async Task SaveAsync(string registry, ReplicaRecord record, CancellationToken cancellationToken)
    {
        var content = JsonSerializer.SerializeToUtf8Bytes(record, GeoJson.Default.ReplicaRecord);
        foreach (var region in regions.Regions)
        {
            await regions.For(region).ForPlatform().WriteAsync(StoragePaths.Replica(registry, record.Name), content, StorageCondition.None, cancellationToken);
        }

        _cache.TryRemove(registry, out _);
    }

    public async Task DeleteAsync(string registry, string name, CancellationToken cancellationToken)
    {
        foreach (var region in regions.Regions)
        {
            await regions.For(region).ForPlatform().DeleteAsync(StoragePaths.Replica(registry, name), cancellationToken);
        }

        _cache.TryRemove(registry, out _);
    }
}
