using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Registry.Distribution.Core;

/// <summary>
/// The running SHA-256 of uploads that this instance has streamed. .NET cannot export a hash's internal state, so an
/// upload continued on another instance is verified by re-reading its data from storage instead (see ADR 0003).
/// </summary>
internal sealed class UploadHashCache
{
    private const int MaxEntries = 4096;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Takes the hash for <paramref name="uploadId"/> if it has seen exactly <paramref name="offset"/> bytes.</summary>
    public IncrementalHash? Take(string uploadId, long offset)
    {
        if (!_entries.TryRemove(uploadId, out var entry))
        {
            return null;
        }

        if (entry.Offset == offset)
        {
            return entry.Hash;
        }

        entry.Hash.Dispose();
        return null;
    }

    public void Put(string uploadId, IncrementalHash hash, long offset)
    {
        if (_entries.Count >= MaxEntries)
        {
            // Abandoned uploads must not grow memory without bound; those evicted are rehashed from storage if resumed.
            foreach (var key in _entries.Keys.Take(MaxEntries / 4))
            {
                Drop(key);
            }
        }

        var entry = new Entry(hash, offset);
        var replaced = default(Entry);
        _entries.AddOrUpdate(uploadId, entry, (_, previous) =>
        {
            replaced = previous;
            return entry;
        });
        if (replaced is not null && !ReferenceEquals(replaced.Hash, hash))
        {
            replaced.Hash.Dispose();
        }
    }

    public void Drop(string uploadId)
    {
        if (_entries.TryRemove(uploadId, out var entry))
        {
            entry.Hash.Dispose();
        }
    }

    private sealed record Entry(IncrementalHash Hash, long Offset);
}
