using System.Buffers;
using Microsoft.Win32.SafeHandles;
using System.Runtime.CompilerServices;

namespace Registry.Storage.FileSystem;

/// <summary>
/// Stores objects as files under one root directory. Small writes go to a temporary file and are renamed into place
/// (atomic on POSIX); conditional writes hold an exclusive lock file so instances sharing the directory agree.
/// </summary>
public sealed class FileSystemStorageDriver : IStorageDriver
{
    private const string TempSuffix = ".tmp";
    private const string LockSuffix = ".lock";
    private const int CopyBufferSize = 1024 * 1024;

    private readonly string _root;
    private readonly bool _flushToDisk;

    public FileSystemStorageDriver(string rootDirectory, bool flushToDisk = true)
    {
        _root = Path.GetFullPath(rootDirectory);
        _flushToDisk = flushToDisk;
        Directory.CreateDirectory(_root);
    }

    public string RootDirectory => _root;

    public Task<StorageObjectInfo?> GetInfoAsync(string path, CancellationToken cancellationToken = default)
    {
        var file = new FileInfo(Resolve(path));
        return Task.FromResult(file.Exists ? new StorageObjectInfo(file.Length, ETagOf(file), file.LastWriteTimeUtc) : null);
    }

    /// <remarks>
    /// Synchronous: the objects read whole are small (links, manifests, records) and nearly always in the page cache, so
    /// a read inline costs microseconds where a hop to the thread pool and back costs more than the read.
    /// </remarks>
    public Task<StorageObject?> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        try
        {
            using var handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            // ETag and time from the opened handle, so they belong to the content read even if the path is replaced meanwhile.
            var modified = File.GetLastWriteTimeUtc(handle);
            var content = new byte[RandomAccess.GetLength(handle)];
            using (var stream = new FileStream(handle, FileAccess.Read, 1))
            {
                stream.ReadExactly(content);
            }

            return Task.FromResult<StorageObject?>(new StorageObject(content, ETagOf(modified, content.Length), modified));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<StorageObject?>(null);
        }
    }

    public Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new StorageNotFoundException(path);
        }

        var size = RandomAccess.GetLength(handle);
        var start = Math.Min(offset, size);
        var end = length is { } count ? Math.Min(size, start + count) : size;
        return Task.FromResult<Stream>(new LocalFileReadStream(handle, full, start, end, size));
    }

    public async Task<string> WriteAsync(string path, ReadOnlyMemory<byte> content, StorageCondition condition = default, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        var temp = $"{full}.{Guid.NewGuid():N}{TempSuffix}";
        // Synchronous, as the fsync that follows is: the content is small and lands in the page cache.
        using (var stream = InFolder(temp, () => new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None)))
        {
            stream.Write(content.Span);
            if (_flushToDisk)
            {
                stream.Flush(flushToDisk: true);
            }
        }

        try
        {
            if (condition == default)
            {
                var stamp = Stamp(temp, full);
                File.Move(temp, full, overwrite: true);
                return ETagOf(stamp, content.Length);
            }

            using (await AcquireLockAsync(full, cancellationToken))
            {
                var current = new FileInfo(full);
                var holds = condition.IfNotExists ? !current.Exists : current.Exists && ETagOf(current) == condition.IfMatch;
                if (!holds)
                {
                    throw new StoragePreconditionFailedException(path);
                }

                var stamp = Stamp(temp, full);
                File.Move(temp, full, overwrite: true);
                return ETagOf(stamp, content.Length);
            }
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    public async Task<long> AppendAsync(string path, Stream content, long expectedOffset, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        if (expectedOffset != 0 && !File.Exists(full))
        {
            throw new StoragePreconditionFailedException(path);
        }

        // Check-then-write under the path's lock file, so two appenders at the same offset cannot both pass the check.
        // Waiting long is pointless: whoever holds the lock is moving the offset on.
        IDisposable appendLock;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                appendLock = await AcquireLockAsync(full, cancellationToken, maxAttempts: 50);
                break;
            }
            catch (DirectoryNotFoundException) when (attempt < 10)
            {
                // The folder was pruned by a delete of its last entry between creating it and locking: make it again.
            }
            catch (IOException)
            {
                throw new StoragePreconditionFailedException(path);
            }
        }

        using (appendLock)
        {
            SafeFileHandle file;
            try
            {
                file = File.OpenHandle(full, expectedOffset == 0 ? FileMode.OpenOrCreate : FileMode.Open, FileAccess.Write, FileShare.Read | FileShare.Delete);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new StoragePreconditionFailedException(path);
            }

            using (file)
            {
                if (RandomAccess.GetLength(file) != expectedOffset)
                {
                    throw new StoragePreconditionFailedException(path);
                }

                var length = await CopyToFileAsync(content, file, expectedOffset, cancellationToken);
                if (_flushToDisk)
                {
                    RandomAccess.FlushToDisk(file);
                }

                return length;
            }
        }
    }

    /// <summary>
    /// Copies <paramref name="content"/> into <paramref name="file"/> from <paramref name="position"/> on, with synchronous
    /// writes into the page cache (cheaper inline than through a thread-pool hop), each of a whole buffer read from the
    /// request; when the append is to be flushed, <see cref="Writeback"/> starts writing each one out at once.
    /// </summary>
    /// <returns>The file's length after the copy.</returns>
    private async Task<long> CopyToFileAsync(Stream content, SafeFileHandle file, long position, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            int read;
            while ((read = await content.ReadAtLeastAsync(buffer.AsMemory(0, CopyBufferSize), CopyBufferSize, throwOnEndOfStream: false, cancellationToken)) > 0)
            {
                RandomAccess.Write(file, buffer.AsSpan(0, read), position);
                if (_flushToDisk)
                {
                    Writeback.Start(file, position, read);
                }

                position += read;
            }

            return position;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public Task MoveAsync(string source, string destination, CancellationToken cancellationToken = default)
    {
        var from = Resolve(source);
        var to = Resolve(destination);
        if (!File.Exists(from))
        {
            throw new StorageNotFoundException(source);
        }

        InFolder(to, () =>
        {
            File.Move(from, to, overwrite: true);
            return true;
        });
        return Task.CompletedTask;
    }

    public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        if (!File.Exists(full))
        {
            return Task.FromResult(false);
        }

        try
        {
            File.Delete(full);
            File.Delete(full + LockSuffix);
        }
        catch (DirectoryNotFoundException)
        {
            // A concurrent delete removed the file and pruned its emptied folder: it is gone either way.
        }

        PruneEmptyDirectories(Path.GetDirectoryName(full)!);
        return Task.FromResult(true);
    }

    public async Task DeletePrefixAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var full = Resolve(prefix);
        await DeleteTreeAsync(full, cancellationToken);
        PruneEmptyDirectories(Path.GetDirectoryName(full)!);
    }

    /// <summary>
    /// Deletes a folder and everything in it. A writer still busy in the tree (a scan, an event or an upload finishing)
    /// may create a file while it is being deleted ("Directory not empty"): what is there then goes on the next attempt.
    /// </summary>
    internal static async Task DeleteTreeAsync(string directory, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Directory.Delete(directory, recursive: true);
                return;
            }
            catch (DirectoryNotFoundException)
            {
                return;
            }
            catch (IOException) when (attempt < TreeDeleteAttempts)
            {
                await Task.Delay(Math.Min(attempt * 10, 100), cancellationToken);
            }
        }
    }

    /// <summary>About 1.5 s of attempts: outlasts the writes a request or background task already under way makes.</summary>
    private const int TreeDeleteAttempts = 20;

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var full = Resolve(prefix);
        if (!Directory.Exists(full))
        {
            yield break;
        }

        List<FileSystemInfo> entries;
        try
        {
            entries = new DirectoryInfo(full).EnumerateFileSystemInfos().ToList();
        }
        catch (DirectoryNotFoundException)
        {
            yield break;
        }

        foreach (var entry in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = entry.Name;
            if (entry is FileInfo && (name.EndsWith(TempSuffix, StringComparison.Ordinal) || name.EndsWith(LockSuffix, StringComparison.Ordinal)))
            {
                continue;
            }

            yield return name;
        }

        await Task.CompletedTask;
    }

    private string Resolve(string path) => Path.Join(_root, StoragePathGuard.Check(path));

    /// <summary>
    /// Makes the folder of <paramref name="file"/>, then creates the file there with <paramref name="create"/>. A delete
    /// of the folder's last other file removes the folder and its empty parents (<see cref="PruneEmptyDirectories"/>),
    /// possibly in the middle of this: then both steps are taken again. Once the file exists the folder is no longer
    /// empty, so a retry wins unless deletes keep emptying the folder at that very moment; on a busy machine they can,
    /// several times in a row, hence a short random pause between later attempts.
    /// </summary>
    private static T InFolder<T>(string file, Func<T> create)
    {
        var folder = Path.GetDirectoryName(file)!;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Directory.CreateDirectory(folder);
                return create();
            }
            catch (IOException) when (attempt < FolderRaceAttempts)
            {
                // The folder (or a parent) went away meanwhile; .NET reports it as a missing folder or file, or as a
                // file in the way when making a folder that was removed while being checked.
                if (attempt > 2)
                {
                    Thread.Sleep(Random.Shared.Next(1, Math.Min(attempt, 10)));
                }
            }
        }
    }

    /// <summary>Enough to outlast a burst of deletes (a few hundred ms at most) before an error that is no race surfaces.</summary>
    private const int FolderRaceAttempts = 50;

    private void PruneEmptyDirectories(string directory)
    {
        while (directory.Length > _root.Length && directory.StartsWith(_root, StringComparison.Ordinal))
        {
            try
            {
                if (Directory.EnumerateFileSystemEntries(directory).Any())
                {
                    return;
                }

                Directory.Delete(directory);
            }
            catch (IOException)
            {
                return;
            }

            directory = Path.GetDirectoryName(directory)!;
        }
    }

    private static string ETagOf(FileInfo file) => ETagOf(file.LastWriteTimeUtc, file.Length);

    private static string ETagOf(DateTime lastWriteTimeUtc, long length) => $"\"{lastWriteTimeUtc.Ticks:x}-{length:x}\"";

    /// <summary>
    /// Gives <paramref name="temp"/> a precise modification time later than the file it replaces: the kernel stamps files
    /// with a coarse clock (one tick is milliseconds), so two same-length writes within a tick would share an ETag and a
    /// conditional write against the older one would wrongly succeed.
    /// </summary>
    private static DateTime Stamp(string temp, string full)
    {
        var stamp = DateTime.UtcNow;
        var previous = File.GetLastWriteTimeUtc(full); // 1601-01-01 when absent
        if (stamp <= previous)
        {
            stamp = previous.AddTicks(1);
        }

        File.SetLastWriteTimeUtc(temp, stamp);
        return stamp;
    }

    /// <summary>An exclusive lock file: serialises conditional writes and appends across threads and processes sharing the directory.</summary>
    /// <exception cref="IOException">Still held by another after <paramref name="maxAttempts"/> tries.</exception>
    private static async Task<IDisposable> AcquireLockAsync(string full, CancellationToken cancellationToken, int maxAttempts = 2000)
    {
        var lockPath = full + LockSuffix;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException ex) when (ex is not DirectoryNotFoundException && attempt < maxAttempts)
            {
                await Task.Delay(attempt < 10 ? 1 : 5, cancellationToken);
            }
        }
    }
}
