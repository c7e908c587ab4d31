using System.Text.Json;
using Microsoft.Extensions.Options;
using Registry.Storage;

namespace Registry.Distribution.Cleanup;

/// <summary>The lease document: who holds the registry's clean-up until when, and when its last full pass finished.</summary>
internal sealed record CleanupLeaseRecord(string? Owner, DateTimeOffset ExpiresAt, DateTimeOffset? LastPassAt);

/// <summary>
/// One instance at a time does a registry's clean-up: the lease at <see cref="StoragePaths.CleanupLease"/> is taken and
/// renewed by ETag compare-and-swap and expires, so a crashed holder is replaced after <see cref="CleanupOptions.LeaseDuration"/>.
/// </summary>
internal sealed class CleanupLeases(IStorageDriverFactory storage, IOptions<CleanupOptions> options, TimeProvider time)
{
    private readonly string _owner = $"{Environment.MachineName}/{Guid.NewGuid():N}";

    /// <summary>The lease, or null when another instance holds it.</summary>
    public async Task<CleanupLease?> TryAcquireAsync(string registry, CancellationToken cancellationToken)
    {
        var driver = storage.ForRegistry(registry);
        var stored = await driver.ReadAsync(StoragePaths.CleanupLease, cancellationToken);
        var current = stored is null ? null : JsonSerializer.Deserialize(stored.Content.Span, CleanupJson.Default.CleanupLeaseRecord);
        var now = time.GetUtcNow();
        if (current is { } held && held.ExpiresAt > now && held.Owner != _owner)
        {
            return null;
        }

        var record = new CleanupLeaseRecord(_owner, now + options.Value.LeaseDuration, current?.LastPassAt);
        try
        {
            var etag = await driver.WriteAsync(StoragePaths.CleanupLease, Serialize(record), StorageCondition.Replacing(stored?.ETag), cancellationToken);
            return new CleanupLease(driver, record, etag, options.Value.LeaseDuration, time);
        }
        catch (StoragePreconditionFailedException)
        {
            return null; // another instance took it between our read and write
        }
    }

    internal static byte[] Serialize(CleanupLeaseRecord record) => JsonSerializer.SerializeToUtf8Bytes(record, CleanupJson.Default.CleanupLeaseRecord);
}

/// <summary>A held lease: renewed between steps, released (expired at once, keeping the last pass time) when disposed.</summary>
internal sealed class CleanupLease(IStorageDriver driver, CleanupLeaseRecord record, string etag, TimeSpan duration, TimeProvider time) : IAsyncDisposable
{
    private CleanupLeaseRecord _record = record;
    private string _etag = etag;

    public DateTimeOffset? LastPassAt => _record.LastPassAt;

    /// <summary>Extends the lease; throws when it was lost (taken over after expiring), so the holder stops.</summary>
    public Task RenewAsync(CancellationToken cancellationToken) =>
        WriteAsync(_record with { ExpiresAt = time.GetUtcNow() + duration }, cancellationToken);

    public Task MarkPassAsync(CancellationToken cancellationToken) =>
        WriteAsync(_record with { ExpiresAt = time.GetUtcNow() + duration, LastPassAt = time.GetUtcNow() }, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await WriteAsync(_record with { Owner = null, ExpiresAt = DateTimeOffset.MinValue }, CancellationToken.None);
        }
        catch (CleanupLeaseLostException)
        {
            // taken over already: nothing of ours to release
        }
    }

    private async Task WriteAsync(CleanupLeaseRecord next, CancellationToken cancellationToken)
    {
        try
        {
            _etag = await driver.WriteAsync(StoragePaths.CleanupLease, CleanupLeases.Serialize(next), StorageCondition.Matches(_etag), cancellationToken);
            _record = next;
        }
        catch (StoragePreconditionFailedException)
        {
            throw new CleanupLeaseLostException();
        }
    }
}

internal sealed class CleanupLeaseLostException() : Exception("the registry's clean-up lease was taken over by another instance");
