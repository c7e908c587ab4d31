using Microsoft.Win32.SafeHandles;

namespace Registry.Storage.FileSystem;

/// <summary>
/// A forward-only read of a byte range of a local file. Reads are positional and synchronous even when called
/// through <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>: blobs being pulled are usually in the page
/// cache, where an inline read is cheaper than a thread-pool hop per chunk (Linux has no async file reads).
/// </summary>
internal sealed class LocalFileReadStream(SafeFileHandle handle, string path, long offset, long end, long fileSize) : Stream, ILocalFileContent
{
    private readonly long _start = offset;
    private long _position = offset;

    public string? WholeFilePath => _start == 0 && end == fileSize ? path : null;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => end - _start;

    public override long Position
    {
        get => _position - _start;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var wanted = (int)Math.Min(buffer.Length, end - _position);
        if (wanted <= 0)
        {
            return 0;
        }

        var read = RandomAccess.Read(handle, buffer[..wanted], _position);
        _position += read;
        return read;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            handle.Dispose();
        }

        base.Dispose(disposing);
    }
}
