using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Registry.Storage.FileSystem;

/// <summary>
/// Starts writing a just-written range to disk without waiting (Linux <c>sync_file_range</c>), so the disk works
/// while the rest of the upload still streams in and the final fsync has little left to do.
/// Elsewhere it does nothing and the fsync does all the work.
/// </summary>
internal static partial class Writeback
{
    private const uint SyncFileRangeWrite = 2;

    private static bool _unavailable = !OperatingSystem.IsLinux();

    public static void Start(SafeFileHandle file, long offset, long length)
    {
        if (_unavailable)
        {
            return;
        }

        try
        {
            SyncFileRange(file, offset, length, SyncFileRangeWrite);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
        }
    }

    [LibraryImport("libc", EntryPoint = "sync_file_range")]
    private static partial int SyncFileRange(SafeFileHandle file, long offset, long length, uint flags);
}
