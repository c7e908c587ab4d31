using Registry.Oci;

namespace Registry.Storage;

/// <summary>
/// The one place that knows where things live inside a registry's storage, in the spirit of Distribution's layout.
/// Every argument is validated by the OCI grammar before it reaches here, so no name, tag or digest can leave its prefix.
/// </summary>
public static class StoragePaths
{
    public const string RepositoriesRoot = "repositories";
    public const string UploadsRoot = "uploads";
    public const string LayersDirectory = "_layers";
    public const string ManifestsDirectory = "_manifests";

    public static string BlobData(Digest digest) => $"blobs/{digest.Algorithm}/{digest.Hex[..2]}/{digest.Hex}/data";

    public static string Repository(string repository) => $"{RepositoriesRoot}/{Checked(repository)}";

    public static string LayerLink(string repository, Digest digest) =>
        $"{Repository(repository)}/{LayersDirectory}/{digest.Algorithm}/{digest.Hex}/link";

    public static string ManifestRevision(string repository, Digest digest) =>
        $"{Repository(repository)}/{ManifestsDirectory}/revisions/{digest.Algorithm}/{digest.Hex}/link";

    public static string ManifestRevisions(string repository, string algorithm) =>
        $"{Repository(repository)}/{ManifestsDirectory}/revisions/{algorithm}";

    /// <summary>
    /// Written when a manifest loses a tag (the tag moved to another manifest or was deleted): the retention policy and
    /// <c>purge --untagged --ago</c> count an untagged manifest's age from then, as ACR does, not from its push.
    /// </summary>
    public static string ManifestUntagged(string repository, Digest digest) =>
        $"{ManifestsUntagged(repository, digest.Algorithm)}/{digest.Hex}";

    public static string ManifestsUntagged(string repository, string algorithm) =>
        $"{Repository(repository)}/{ManifestsDirectory}/untagged/{algorithm}";

    public static string Tags(string repository) => $"{Repository(repository)}/{ManifestsDirectory}/tags";

    public static string TagLink(string repository, string tag) =>
        OciGrammar.IsTag(tag) ? $"{Tags(repository)}/{tag}/current/link" : throw new ArgumentException("invalid tag", nameof(tag));

    public static string Tag(string repository, string tag) =>
        OciGrammar.IsTag(tag) ? $"{Tags(repository)}/{tag}" : throw new ArgumentException("invalid tag", nameof(tag));

    /// <summary>
    /// What a repository itself holds (manifests and tags, layer links, referrers), not the repositories nested under
    /// its name (<c>app/sub</c> lives under <c>app</c>'s directory too).
    /// </summary>
    public static IReadOnlyList<string> RepositoryOwnData(string repository) =>
        [$"{Repository(repository)}/{ManifestsDirectory}", $"{Repository(repository)}/{LayersDirectory}", $"{Repository(repository)}/_referrers"];

    /// <summary>Repository metadata beside its content: ACR's changeable attributes (locks) and tag history.</summary>
    public const string MetadataDirectory = "_meta";

    /// <summary>The repository's own changeable attributes and settings (locks, tag immutability).</summary>
    public static string RepositoryAttributes(string repository) => $"{Repository(repository)}/{MetadataDirectory}/attributes.json";

    /// <summary>A tag's metadata: when it was created, and its changeable attributes.</summary>
    public static string TagAttributes(string repository, string tag) =>
        OciGrammar.IsTag(tag) ? $"{TagsAttributes(repository)}/{tag}.json" : throw new ArgumentException("invalid tag", nameof(tag));

    public static string TagsAttributes(string repository) => $"{Repository(repository)}/{MetadataDirectory}/tags";

    /// <summary>A manifest's changeable attributes.</summary>
    public static string ManifestAttributes(string repository, Digest manifest) =>
        $"{ManifestsAttributes(repository, manifest.Algorithm)}/{manifest.Hex}.json";

    public static string ManifestsAttributes(string repository, string algorithm) =>
        $"{Repository(repository)}/{MetadataDirectory}/manifests/{algorithm}";

    /// <summary>Pull counts and last-pull times of the repository, its tags and its manifests (merged from every instance).</summary>
    public static string PullStatistics(string repository) => $"{Repository(repository)}/{MetadataDirectory}/pulls.json";

    /// <summary>Soft-deleted manifests of a repository, restorable until the registry's soft-delete retention passes.</summary>
    public const string SoftDeletedDirectory = "_deleted";

    public static string SoftDeletedManifests(string repository) => $"{Repository(repository)}/{SoftDeletedDirectory}";

    /// <summary>One soft-deleted manifest: its descriptor, the tags it had, and when and by whom it was deleted.</summary>
    public static string SoftDeletedManifest(string repository, Digest manifest) =>
        $"{SoftDeletedManifests(repository)}/{manifest.Algorithm}-{manifest.Hex}.json";

    /// <summary>Registry partition: the storage usage figures last reconciled from storage, adjusted by every change since.</summary>
    public const string UsageSummary = "usage/summary.json";

    /// <summary>Registry partition: present while garbage collection sweeps the registry (pushes wait for it to end).</summary>
    public const string GarbageCollectionSweep = "cleanup/sweep.json";

    /// <summary>Registry partition: purge rules (declarative clean-up), one document per rule.</summary>
    public const string PurgeRulesRoot = "cleanup/purge-rules";

    public static string PurgeRule(string name) =>
        IsWebhookName(name) ? $"{PurgeRulesRoot}/{name}.json" : throw new ArgumentException("invalid purge rule name", nameof(name));

    /// <summary>Registry partition: clean-up runs (purge, retention, garbage collection) and what each removed, newest first.</summary>
    public const string CleanupRunsRoot = "cleanup/runs";

    /// <summary>Registry partition: who does the registry's clean-up now (ETag compare-and-swap, expiring), and when the last pass ran.</summary>
    public const string CleanupLease = "cleanup/lease.json";

    public static string CleanupRun(DateTimeOffset startedAt, Guid runId) => $"{CleanupRunsRoot}/{DateTimeOffset.MaxValue.UtcTicks - startedAt.UtcTicks:D19}-{runId:N}.json";

    public static string LayerLinks(string repository, string algorithm) => $"{Repository(repository)}/{LayersDirectory}/{algorithm}";

    public static string Referrers(string repository, Digest subject) =>
        $"{Repository(repository)}/_referrers/{subject.Algorithm}/{subject.Hex}";

    public static string ReferrerLink(string repository, Digest subject, Digest referrer) =>
        $"{Referrers(repository, subject)}/{referrer.Algorithm}-{referrer.Hex}";

    public static string Upload(string uploadId) => $"{UploadsRoot}/{CheckedUpload(uploadId)}";

    public static string UploadData(string uploadId) => $"{Upload(uploadId)}/data";

    public static string UploadInfo(string uploadId) => $"{Upload(uploadId)}/info";

    /// <summary>Platform partition: one document per registry (record, settings and identities), owned by the auth service.</summary>
    public const string RegistryRecords = "registries";

    /// <summary>Platform partition: every custom domain and the registry it serves (one document, changed by compare-and-swap).</summary>
    public const string CustomDomains = "registry-domains.json";

    public static string RegistryRecord(string registry) =>
        OciGrammar.IsRegistryName(registry) ? $"{RegistryRecords}/{registry}.json" : throw new ArgumentException("invalid registry name", nameof(registry));

    /// <summary>The registry an entry of a <see cref="RegistryRecords"/> listing is the record of, or null for anything else.</summary>
    public static string? RegistryOfRecord(string entry) =>
        entry.EndsWith(".json", StringComparison.Ordinal) && OciGrammar.IsRegistryName(entry[..^".json".Length]) ? entry[..^".json".Length] : null;

    /// <summary>Platform partition: the token signing key ring.</summary>
    public const string SigningKeys = "auth/signing-keys.json";

    /// <summary>Platform partition: registry events written before their write is acknowledged, until the bus has them.</summary>
    public const string OutboxRoot = "outbox/events";

    /// <summary>Named so that an ordinal sort of a listing is the order the events happened in.</summary>
    public static string OutboxEntry(DateTimeOffset occurredAt, Guid eventId) => $"{OutboxRoot}/{occurredAt.UtcTicks:D19}-{eventId:N}.json";

    /// <summary>Registry partition: one document per webhook.</summary>
    public const string WebhooksRoot = "webhooks/config";

    public static string Webhook(string name) => $"{WebhooksRoot}/{CheckedWebhook(name)}.json";

    /// <summary>Registry partition: how a webhook's deliveries have been going.</summary>
    public static string WebhookHealth(string name) => $"webhooks/health/{CheckedWebhook(name)}.json";

    /// <summary>Registry partition: a webhook's delivery record (its attempts), named so listings sort newest first.</summary>
    public static string WebhookDeliveries(string webhook) => $"webhooks/history/{CheckedWebhook(webhook)}";

    public static string WebhookDelivery(string webhook, string deliveryId) =>
        IsDeliveryId(deliveryId) ? $"{WebhookDeliveries(webhook)}/{deliveryId}.json" : throw new ArgumentException("invalid delivery id", nameof(deliveryId));

    /// <summary>Platform partition: deliveries not yet finished (delivered or given up), by batch (one event's fan-out, a ping, a redelivery).</summary>
    public const string PendingDeliveriesRoot = "webhooks/pending";

    /// <summary>Registry partition: what the scanner found in one layer (independent of the other layers), by layer digest.</summary>
    public static string ScanLayer(Digest layer) => $"scans/layers/{layer.Algorithm}/{layer.Hex}.json";

    /// <summary>Registry partition: the latest scan report of an image manifest, by its digest.</summary>
    public static string ScanReport(Digest manifest) => $"scans/reports/{manifest.Algorithm}/{manifest.Hex}.json";

    /// <summary>Registry partition: what distribution needs of an image's latest scan to apply the registry's image policy.</summary>
    public static string ScanVerdict(Digest manifest) => $"scans/verdicts/{manifest.Algorithm}/{manifest.Hex}.json";

    /// <summary>Registry partition: the image policy (quarantine, pull prevention).</summary>
    public const string ScanPolicy = "policies/scanning.json";

    /// <summary>Platform partition: the vulnerability database's current version and the sources it was built from.</summary>
    public const string VulnerabilityDatabase = "vulndb/database.json";

    /// <summary>Platform partition: one imported advisory source (OSV JSON or zip) as it was uploaded.</summary>
    public static string VulnerabilitySource(string name) =>
        name.Length is > 0 and <= 100 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.') ? $"vulndb/sources/{name}" : throw new ArgumentException("invalid source name", nameof(name));

    /// <summary>An import operation of a registry (registry partition): its request, status and progress.</summary>
    public static string ImportOperation(Guid operationId) => $"imports/{operationId:N}.json";

    /// <summary>Platform partition of the home region: the replicas of every registry, one folder per registry.</summary>
    public const string ReplicasRoot = "replication/replicas";

    public static string Replicas(string registry) =>
        OciGrammar.IsRegistryName(registry) ? $"{ReplicasRoot}/{registry}" : throw new ArgumentException("invalid registry name", nameof(registry));

    public static string Replica(string registry, string name) =>
        name.Length is >= 2 and <= 50 && name.All(char.IsAsciiLetterOrDigit) ? $"{Replicas(registry)}/{name}.json" : throw new ArgumentException("invalid replication name", nameof(name));

    /// <summary>Registry partition of each region: the newest change of a tag this region has applied (convergence of concurrent pushes).</summary>
    public static string ReplicationTagMarker(string repository, string tag) =>
        OciGrammar.IsTag(tag) ? $"replication/tags/{Checked(repository)}/_tags/{tag}.json" : throw new ArgumentException("invalid tag", nameof(tag));

    /// <summary>Registry partition of the receiving region: a blob copy in progress (its upload), so an interrupted copy resumes.</summary>
    public static string ReplicationCopy(Digest blob) => $"replication/copies/{blob.Algorithm}/{blob.Hex}.json";

    public static string PendingDeliveries(Guid batchId) => $"{PendingDeliveriesRoot}/{batchId:N}.json";

    /// <summary>ACR's rule for webhook names: 5 to 50 ASCII letters and digits.</summary>
    public static bool IsWebhookName(string? value) =>
        value is { Length: >= 5 and <= 50 } && value.All(char.IsAsciiLetterOrDigit);

    /// <summary>Delivery ids are 19 digits (inverted ticks, newest first), a dash and 32 lowercase hex characters.</summary>
    public static bool IsDeliveryId(string? value) =>
        value is { Length: 52 } && value[19] == '-' && value[..19].All(char.IsAsciiDigit) && IsUploadId(value[20..]);

    /// <summary>Upload ids are 32 lowercase hex characters (a GUID in "N" format).</summary>
    public static bool IsUploadId(string? value) =>
        value is { Length: 32 } && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    private static string Checked(string repository) =>
        OciGrammar.IsRepositoryName(repository) ? repository : throw new ArgumentException("invalid repository name", nameof(repository));

    private static string CheckedWebhook(string name) =>
        IsWebhookName(name) ? name : throw new ArgumentException("invalid webhook name", nameof(name));

    private static string CheckedUpload(string uploadId) =>
        IsUploadId(uploadId) ? uploadId : throw new ArgumentException("invalid upload id", nameof(uploadId));
}
