using System.Net;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Registry.Benchmarks;

/// <summary>Cheap deterministic pseudo-random bytes (xorshift64*), so the client never becomes the bottleneck.</summary>
internal struct Prng(ulong seed)
{
    private ulong _state = SplitMix(seed);

    public void Fill(Span<byte> destination)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(destination);
        var x = _state;
        for (var i = 0; i < words.Length; i++)
        {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            words[i] = x * 0x2545F4914F6CDD1DUL;
        }

        for (var i = words.Length * sizeof(ulong); i < destination.Length; i++)
        {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            destination[i] = (byte)(x * 0x2545F4914F6CDD1DUL);
        }

        _state = x;
    }

    private static ulong SplitMix(ulong value)
    {
        value += 0x9E3779B97F4A7C15UL;
        value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9UL;
        value = (value ^ (value >> 27)) * 0x94D049BB133111EBUL;
        value ^= value >> 31;
        return value == 0 ? 1 : value;
    }
}

internal static class Payload
{
    public static byte[] Create(ulong seed, int length)
    {
        var bytes = GC.AllocateUninitializedArray<byte>(length);
        new Prng(seed).Fill(bytes);
        return bytes;
    }

    public static string Digest(ReadOnlySpan<byte> content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
}

/// <summary>
/// A body of known bytes sent without Content-Length (Transfer-Encoding: chunked), the way docker streams a layer
/// in its single PATCH.
/// </summary>
internal sealed class StreamedMemoryContent(ReadOnlyMemory<byte> data) : HttpContent
{
    private const int WriteSize = 1 << 20;

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        for (var offset = 0; offset < data.Length; offset += WriteSize)
        {
            await stream.WriteAsync(data.Slice(offset, Math.Min(WriteSize, data.Length - offset)), cancellationToken);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}

/// <summary>
/// A body generated on the fly from a seed, one 1 MiB buffer at a time, hashed as it goes: never held in memory.
/// </summary>
internal sealed class GeneratedContent(ulong seed, long length) : HttpContent
{
    private const int BufferSize = 1 << 20;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>The digest of what was sent, once the body has been fully written.</summary>
    public string? SentDigest { get; private set; }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var prng = new Prng(seed);
        var buffer = new byte[BufferSize];
        var remaining = length;
        while (remaining > 0)
        {
            var count = (int)Math.Min(BufferSize, remaining);
            prng.Fill(buffer.AsSpan(0, count));
            _hash.AppendData(buffer, 0, count);
            await stream.WriteAsync(buffer.AsMemory(0, count), cancellationToken);
            remaining -= count;
        }

        SentDigest = "sha256:" + Convert.ToHexStringLower(_hash.GetHashAndReset());
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }
}
