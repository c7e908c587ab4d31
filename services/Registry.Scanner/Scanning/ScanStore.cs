using System.Text.Json;
using Registry.Oci;
using Registry.Security;
using Registry.Storage;
using Registry.Vulnerabilities.Inventory;

namespace Registry.Scanner.Scanning;

/// <summary>Per-layer inventories (the cache that makes shared base layers free) and the latest report per image, in the registry's partition.</summary>
internal sealed class ScanStore(IStorageDriverFactory storage)
{
    public async Task<LayerInventory?> FindLayerAsync(string registry, Digest layer, CancellationToken cancellationToken)
    {
        var stored = await storage.ForRegistry(registry).ReadAsync(StoragePaths.ScanLayer(layer), cancellationToken);
        return stored is null ? null : JsonSerializer.Deserialize(stored.Content.Span, ScanJson.Default.LayerInventory);
    }

    public Task SaveLayerAsync(string registry, Digest layer, LayerInventory inventory, CancellationToken cancellationToken) =>
        storage.ForRegistry(registry).WriteAsync(StoragePaths.ScanLayer(layer), JsonSerializer.SerializeToUtf8Bytes(inventory, ScanJson.Default.LayerInventory), cancellationToken: cancellationToken);

    public async Task<ScanReport?> FindReportAsync(string registry, Digest manifest, CancellationToken cancellationToken)
    {
        var stored = await storage.ForRegistry(registry).ReadAsync(StoragePaths.ScanReport(manifest), cancellationToken);
        return stored is null ? null : JsonSerializer.Deserialize(stored.Content.Span, ScanJson.Default.ScanReport);
    }

    /// <summary>The small verdict distribution reads on pulls when the registry has an image policy.</summary>
    public Task SaveVerdictAsync(string registry, ScanVerdict verdict, CancellationToken cancellationToken) =>
        storage.ForRegistry(registry).WriteAsync(StoragePaths.ScanVerdict(Digest.Parse(verdict.Digest)), JsonSerializer.SerializeToUtf8Bytes(verdict, ScanPolicyJson.Default.ScanVerdict), cancellationToken: cancellationToken);

    public async Task<ScanPolicy> PolicyAsync(string registry, CancellationToken cancellationToken)
    {
        var stored = await storage.ForRegistry(registry).ReadAsync(StoragePaths.ScanPolicy, cancellationToken);
        return stored is null ? new ScanPolicy() : JsonSerializer.Deserialize(stored.Content.Span, ScanPolicyJson.Default.ScanPolicy)!;
    }

    public Task SavePolicyAsync(string registry, ScanPolicy policy, CancellationToken cancellationToken) =>
        storage.ForRegistry(registry).WriteAsync(StoragePaths.ScanPolicy, JsonSerializer.SerializeToUtf8Bytes(policy, ScanPolicyJson.Default.ScanPolicy), cancellationToken: cancellationToken);

    public Task SaveReportAsync(ScanReport report, CancellationToken cancellationToken) =>
        storage.ForRegistry(report.Registry).WriteAsync(StoragePaths.ScanReport(Digest.Parse(report.Digest)), JsonSerializer.SerializeToUtf8Bytes(report, ScanJson.Default.ScanReport), cancellationToken: cancellationToken);
}
