using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Registry.Storage.FileSystem;

/// <summary>
/// Linux <c>O_DIRECT</c> for durable appends: blocks go from an aligned buffer straight to the device. Through the page
/// cache every byte is first copied into newly allocated pages — on a virtual machine the first touch of each fresh page
/// is what a blob push spent most of its CPU on (≈ 1.5 CPU-s per GB here, against 0.2 to overwrite cached pages) — only
/// for the fsync to write them out at once. Elsewhere, or on a file system that refuses it, appends stay buffered.
/// </summary>
internal static partial class DirectIo
{
    /// <summary>Buffer address, file offset and length of a direct write are multiples of this (any device's logical block).</summary>
    public const int Alignment = 4096;

    private const int GetStatusFlags = 3;
    private const int SetStatusFlags = 4;

    private static readonly int DirectFlag = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x4000,
        Architecture.Arm64 or Architecture.Arm => 0x10000,
        _ => 0,
    };

    private static bool _unavailable = !OperatingSystem.IsLinux() || DirectFlag == 0;

    /// <summary>Turns direct writes on for <paramref name="file"/>; false when the platform or file system cannot.</summary>
    public static bool TryEnable(SafeFileHandle file) => TrySet(file, enable: true);

    public static void Disable(SafeFileHandle file)
    {
        if (!TrySet(file, enable: false))
        {
            throw new IOException("could not turn O_DIRECT off for the rest of the append");
        }
    }

    private static bool TrySet(SafeFileHandle file, bool enable)
    {
        if (_unavailable)
        {
            return false;
        }

        try
        {
            var flags = Fcntl(file, GetStatusFlags, 0);
            return flags >= 0 && Fcntl(file, SetStatusFlags, enable ? flags | DirectFlag : flags & ~DirectFlag) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "fcntl")]
    private static partial int Fcntl(SafeFileHandle file, int command, int argument);
}

/// <summary>A pooled copy buffer whose memory starts on a <see cref="DirectIo.Alignment"/> boundary and never moves.</summary>
internal sealed class AlignedBuffer : IDisposable
{
    public const int Size = 1024 * 1024;

    private static readonly ConcurrentQueue<AlignedBuffer> Pool = new();
    private static readonly int PoolLimit = Environment.ProcessorCount * 4;

    private AlignedBuffer()
    {
        // The pinned object heap never compacts, so an offset that aligns the address once aligns it for good.
        var array = GC.AllocateUninitializedArray<byte>(Size + DirectIo.Alignment, pinned: true);
        var address = (long)Marshal.UnsafeAddrOfPinnedArrayElement(array, 0);
        var offset = (int)((DirectIo.Alignment - address % DirectIo.Alignment) % DirectIo.Alignment);
        Memory = array.AsMemory(offset, Size);
    }

    public Memory<byte> Memory { get; }

    public static AlignedBuffer Rent() => Pool.TryDequeue(out var buffer) ? buffer : new AlignedBuffer();

    public void Dispose()
    {
        if (Pool.Count < PoolLimit)
        {
            Pool.Enqueue(this);
        }
    }
}
