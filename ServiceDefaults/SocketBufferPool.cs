using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The buffers Kestrel's socket transport receives into and sends from. Kestrel's own pool hands out 4 KiB blocks,
/// and the transport reads at most one block per <c>recv</c> — with its zero-byte "wait for data" read before each,
/// half a million system calls per GB uploaded. Blocks of <see cref="BlockSize"/> let one call take what a loopback or
/// LAN socket has queued (docs/benchmarks.md, ADR 0018).
/// </summary>
public sealed class SocketBufferPool : MemoryPool<byte>
{
    public const int BlockSize = 64 * 1024;

    /// <summary>Blocks kept for reuse beyond this many are left to the garbage collector.</summary>
    private const int MaxRetainedBlocks = 256;

    private readonly ConcurrentQueue<Block> retained = new();

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > BlockSize)
        {
            // A pipe never asks for more than MaxBufferSize; anyone else gets memory of their own.
            return new Block(null, minBufferSize);
        }

        return retained.TryDequeue(out var block) ? block.Reuse() : new Block(this, BlockSize);
    }

    private void Return(Block block)
    {
        if (retained.Count < MaxRetainedBlocks)
        {
            retained.Enqueue(block);
        }
    }

    protected override void Dispose(bool disposing) => retained.Clear();

    /// <summary>Hands Kestrel's socket transport this pool.</summary>
    public sealed class Factory : IMemoryPoolFactory<byte>
    {
        public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new SocketBufferPool();
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
