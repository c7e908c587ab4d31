using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The buffers Kestrel's socket transport receives into and sends from. Kestrel's own pool hands out 4 KiB blocks,
/// and the transport reads at most one block per <c>recv</c> — with its zero-byte "wait for data" read before each,
/// half a million system calls per GB uploaded. Blocks of <see cref="BlockSize"/> let one call take what a loopback or
/// LAN socket has queued (docs/benchmarks.md, ADR 0018).
/// </summary>
public sealed class SocketBufferPool(Counter<long>? allocatedBytes = null) : MemoryPool<byte>
{
    public const int BlockSize = 64 * 1024;

    public const string MeterName = "Registry.SocketBuffers";

    /// <summary>Blocks kept for reuse beyond this many are left to the garbage collector.</summary>
    private const int MaxRetainedBlocks = 256;

    private readonly ConcurrentQueue<Block> retained = new();

    public override int MaxBufferSize => BlockSize;

    /// <summary>Bytes held for reuse, not rented.</summary>
    public long PooledBytes => (long)retained.Count * BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > BlockSize)
        {
            // A pipe never asks for more than MaxBufferSize; anyone else gets memory of their own.
            allocatedBytes?.Add(minBufferSize);
            return new Block(null, minBufferSize);
        }

        if (retained.TryDequeue(out var block))
        {
            return block.Reuse();
        }

        allocatedBytes?.Add(BlockSize);
        return new Block(this, BlockSize);
    }

    private void Return(Block block)
    {
        if (retained.Count < MaxRetainedBlocks)
        {
            retained.Enqueue(block);
        }
    }

    protected override void Dispose(bool disposing) => retained.Clear();

    /// <summary>
    /// Hands Kestrel's socket transport this pool, and reports what Kestrel's own pool reported: bytes allocated
    /// (<c>registry.socket_buffers.allocated</c>) and bytes held for reuse (<c>registry.socket_buffers.pooled</c>).
    /// </summary>
    public sealed class Factory : IMemoryPoolFactory<byte>
    {
        private readonly ConcurrentBag<SocketBufferPool> pools = [];
        private readonly Counter<long> allocated;

        public Factory(IMeterFactory meters)
        {
            var meter = meters.Create(MeterName);
            allocated = meter.CreateCounter<long>("registry.socket_buffers.allocated", "By", "Bytes of socket buffers allocated");
            meter.CreateObservableUpDownCounter("registry.socket_buffers.pooled", () => pools.Sum(pool => pool.PooledBytes), "By", "Bytes of socket buffers held for reuse");
        }

        public MemoryPool<byte> Create(MemoryPoolOptions? options = null)
        {
            var pool = new SocketBufferPool(allocated);
            pools.Add(pool);
            return pool;
        }
    }

    private sealed class Block : IMemoryOwner<byte>
    {
        private readonly SocketBufferPool? pool;
        private int rented = 1;

        public Block(SocketBufferPool? pool, int size)
        {
            this.pool = pool;
            // Pinned on allocation, so the socket's receive and send need not pin each time.
            Memory = MemoryMarshal.CreateFromPinnedArray(GC.AllocateUninitializedArray<byte>(size, pinned: true), 0, size);
        }

        public Memory<byte> Memory { get; }

        public Block Reuse()
        {
            rented = 1;
            return this;
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref rented, 0) == 1)
            {
                pool?.Return(this);
            }
        }
    }
}
