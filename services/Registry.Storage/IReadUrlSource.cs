namespace Registry.Storage;

/// <summary>
/// Implemented by a driver whose objects a client can read straight from storage at a time-limited URL (Azure Blob: a
/// read-only SAS), so a registry can redirect blob downloads there as ACR does.
/// </summary>
public interface IReadUrlSource
{
    /// <summary>A URL that reads the object for <paramref name="lifetime"/>; null when this driver's credentials cannot sign one.</summary>
    Uri? ReadUrl(string path, TimeSpan lifetime);
}
