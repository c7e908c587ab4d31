using System.Collections.Concurrent;
using System.Text.Json;
using Registry.Distribution.Core;
using Registry.Oci;
using Registry.Security;
using Registry.Storage;

namespace Registry.Distribution.Apis;

/// <summary>
/// The registry's image policy on manifest pulls (<see cref="ScanPolicy"/>): an image in quarantine (not scanned yet, or
/// its scan failing the policy) is refused to all but quarantine readers; an image with a finding at or above the
/// blocking severity is refused to everyone, naming the worst finding; an unscanned image is refused when the policy
/// says so. Indexes and artifacts pass: the client fetches each platform's image manifest next, which is checked.
/// The policy is re-read every few seconds; without one, pulls cost nothing extra.
/// </summary>
public sealed class PullPolicyGate(IStorageDriverFactory storage, V2Access access, TimeProvider time)
{
    private static readonly TimeSpan PolicyLifetime = TimeSpan.FromSeconds(3);
    private readonly ConcurrentDictionary<string, (ScanPolicy? Policy, DateTimeOffset ReadAt)> _policies = new(StringComparer.Ordinal);

    public async Task<IResult?> CheckAsync(HttpContext context, RepositoryPath repository, ManifestDescriptor manifest)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(manifest);
        if (!IsImage(manifest) || await PolicyAsync(repository.Registry, context.RequestAborted) is not { IsActive: true } policy)
        {
            return null;
        }

        var image = $"{repository.Name}@{manifest.Digest}";
        var stored = await storage.ForRegistry(repository.Registry).ReadAsync(StoragePaths.ScanVerdict(Digest.Parse(manifest.Digest)), context.RequestAborted);
        var verdict = stored is null ? null : JsonSerializer.Deserialize(stored.Content.Span, ScanPolicyJson.Default.ScanVerdict);
        var blocking = verdict is null ? null : policy.Blocking(verdict);
        if (blocking is not null)
        {
            var fix = blocking.FixedVersion is { } fixedVersion ? $", fixed in {fixedVersion}" : ", no fix available";
            return Denied(
                $"{image} is blocked by the registry's image policy: {blocking.Id} ({blocking.Severity}) in {blocking.Package} {blocking.InstalledVersion}{fix}; images with {policy.BlockSeverity} or worse findings cannot be pulled",
                new { reason = "vulnerable", blocking.Id, blocking.Severity, blocking.Package, blocking.InstalledVersion, blocking.FixedVersion });
        }

        if (verdict is null && policy.Quarantine && !access.Allows(context, repository.Name, RegistryActions.QuarantineRead))
        {
            return Denied($"{image} is quarantined until its vulnerability scan passes; only quarantine readers may pull it now", new { reason = "quarantined" });
        }

        if (verdict is null && policy.BlockUnscanned && !policy.Quarantine)
        {
            return Denied($"{image} has not been scanned yet; the registry's image policy refuses unscanned images", new { reason = "unscanned" });
        }

        return null;
    }

    /// <summary>An image manifest with a container config: OCI 1.1 reports the config type as artifact type when none is set.</summary>
    private static bool IsImage(ManifestDescriptor manifest) =>
        MediaTypes.IsImageManifest(manifest.MediaType)
        && manifest.ArtifactType is null or MediaTypes.OciConfig or "application/vnd.docker.container.image.v1+json";

    private async Task<ScanPolicy?> PolicyAsync(string registry, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_policies.TryGetValue(registry, out var cached) && now - cached.ReadAt < PolicyLifetime)
        {
            return cached.Policy;
        }

        var stored = await storage.ForRegistry(registry).ReadAsync(StoragePaths.ScanPolicy, cancellationToken);
        var policy = stored is null ? null : JsonSerializer.Deserialize(stored.Content.Span, ScanPolicyJson.Default.ScanPolicy);
        _policies[registry] = (policy, now);
        return policy;
    }

    private static OciErrorResult Denied(string message, object detail) => OciErrorResult.Of(OciErrorCode.Denied, message, detail);
}
