using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Registry.Security;
using Registry.Storage;

namespace Registry.Auth.Identity;

/// <summary>
/// Registry records in the platform partition: one JSON document per registry, read through a short in-memory cache
/// (<see cref="AuthOptions.RecordCacheLifetime"/>) and changed only by compare-and-swap on its ETag.
/// It is also the registry directory of the process that hosts the auth service.
/// </summary>
internal sealed class RegistryStore(
    IStorageDriverFactory storage, RegistryHosts hosts, CustomDomainMap customDomains, IOptions<AuthOptions> options, TimeProvider time)
    : IRegistryDirectory
{
    private const int MaxAttempts = 16;

    private readonly ConcurrentDictionary<string, Cached> _cache = new(StringComparer.Ordinal);

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private IStorageDriver Platform => storage.ForPlatform();

    public async ValueTask<RegistryInfo?> FindAsync(string name, CancellationToken cancellationToken) =>
        await GetAsync(name, cancellationToken) is { } record
            ? new RegistryInfo(record.Name, hosts.LoginServer(record.Name), record.Tier) { Policies = record.Policies }
            : null;

    /// <summary>The names of every registry, in order.</summary>
    public async Task<IReadOnlyList<string>> ListNamesAsync(CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await foreach (var entry in Platform.ListAsync(StoragePaths.RegistryRecords, cancellationToken))
        {
            if (StoragePaths.RegistryOfRecord(entry) is { } name)
            {
                names.Add(name);
            }
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>Removes the record (the registry is unknown from then on); false when there was none.</summary>
    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var deleted = await Platform.DeleteAsync(StoragePaths.RegistryRecord(name), cancellationToken);
        _cache.TryRemove(name, out _);
        return deleted;
    }

    public async Task<IReadOnlyDictionary<string, string>> CustomDomainsAsync(CancellationToken cancellationToken) =>
        (await ReadDomainsAsync(cancellationToken)).Domains;

    /// <summary>
    /// Makes <paramref name="domains"/> exactly the custom domains of <paramref name="registry"/> (none to release them all),
    /// refusing a domain another registry holds; the map of this process changes at once, others' within seconds.
    /// </summary>
    public async Task SetCustomDomainsAsync(string registry, IReadOnlyCollection<string> domains, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var (current, etag) = await ReadDomainsAsync(cancellationToken);
            if (domains.FirstOrDefault(domain => current.GetValueOrDefault(domain) is { } owner && owner != registry) is { } taken)
            {
                throw ManagementException.Conflict($"custom domain '{taken}' already serves registry '{current[taken]}'");
            }

            var updated = current.Where(entry => entry.Value != registry).Concat(domains.Select(domain => KeyValuePair.Create(domain, registry)))
                .ToDictionary(StringComparer.Ordinal);
            if (updated.Count == current.Count && updated.All(entry => current.GetValueOrDefault(entry.Key) == entry.Value))
            {
                customDomains.Replace(updated);
                return;
            }

            try
            {
                await Platform.WriteAsync(StoragePaths.CustomDomains, JsonSerializer.SerializeToUtf8Bytes(updated, Json), StorageCondition.Replacing(etag), cancellationToken);
                customDomains.Replace(updated);
                return;
            }
            catch (StoragePreconditionFailedException)
            {
                // Another registry's domains changed in between: check again against what it wrote.
            }
        }

        throw new InvalidOperationException($"custom domains kept changing; gave up after {MaxAttempts} attempts");
    }

    private async Task<(IReadOnlyDictionary<string, string> Domains, string? ETag)> ReadDomainsAsync(CancellationToken cancellationToken)
    {
        var stored = await Platform.ReadAsync(StoragePaths.CustomDomains, cancellationToken);
        return stored is null
            ? (new Dictionary<string, string>(), null)
            : (JsonSerializer.Deserialize<Dictionary<string, string>>(stored.Content.Span, Json) ?? [], stored.ETag);
    }

    public async ValueTask<RegistryRecord?> GetAsync(string name, CancellationToken cancellationToken)
    {
        if (!Oci.OciGrammar.IsRegistryName(name))
        {
            return null;
        }

        var now = time.GetUtcNow();
        if (_cache.TryGetValue(name, out var cached) && cached.Expires > now)
        {
            return cached.Record;
        }

        var (record, _) = await ReadAsync(name, cancellationToken);
        _cache[name] = new Cached(record, now + options.Value.RecordCacheLifetime);
        return record;
    }

    /// <summary>Creates the record; false when a registry of that name already exists.</summary>
    public async Task<bool> CreateAsync(RegistryRecord record, CancellationToken cancellationToken)
    {
        try
        {
            await Platform.WriteAsync(StoragePaths.RegistryRecord(record.Name), Serialize(record), StorageCondition.NotExists, cancellationToken);
            _cache.TryRemove(record.Name, out _);
            return true;
        }
        catch (StoragePreconditionFailedException)
        {
            return false;
        }
    }

    /// <summary>Applies <paramref name="change"/> to the current record until it lands unopposed; the change may throw to refuse.</summary>
    public async Task<RegistryRecord> UpdateAsync(string name, Func<RegistryRecord, RegistryRecord> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var (current, etag) = await ReadAsync(name, cancellationToken);
            if (current is null)
            {
                throw new RegistryNotFoundException(name);
            }

            var updated = change(current);
            try
            {
                await Platform.WriteAsync(StoragePaths.RegistryRecord(name), Serialize(updated), StorageCondition.Matches(etag!), cancellationToken);
                _cache[name] = new Cached(updated, time.GetUtcNow() + options.Value.RecordCacheLifetime);
                return updated;
            }
            catch (StoragePreconditionFailedException)
            {
                // Another instance changed the record in between: apply the change again to what it wrote.
            }
        }

        throw new InvalidOperationException($"registry record '{name}' kept changing; gave up after {MaxAttempts} attempts");
    }

    private async Task<(RegistryRecord? Record, string? ETag)> ReadAsync(string name, CancellationToken cancellationToken)
    {
        var stored = await Platform.ReadAsync(StoragePaths.RegistryRecord(name), cancellationToken);
        return stored is null ? (null, null) : (JsonSerializer.Deserialize<RegistryRecord>(stored.Content.Span, Json), stored.ETag);
    }

    private static byte[] Serialize(RegistryRecord record) => JsonSerializer.SerializeToUtf8Bytes(record, Json);

    private sealed record Cached(RegistryRecord? Record, DateTimeOffset Expires);
}

internal sealed class RegistryNotFoundException(string name) : Exception($"registry '{name}' does not exist")
{
    public string Name { get; } = name;
}
