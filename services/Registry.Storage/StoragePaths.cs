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

    public static string Tags(string repository) => $"{Repository(repository)}/{ManifestsDirectory}/tags";

    public static string TagLink(string repository, string tag) =>
        OciGrammar.IsTag(tag) ? $"{Tags(repository)}/{tag}/current/link" : throw new ArgumentException("invalid tag", nameof(tag));

    public static string Tag(string repository, string tag) =>
        OciGrammar.IsTag(tag) ? $"{Tags(repository)}/{tag}" : throw new ArgumentException("invalid tag", nameof(tag));

    public static string Referrers(string repository, Digest subject) =>
        $"{Repository(repository)}/_referrers/{subject.Algorithm}/{subject.Hex}";

    public static string ReferrerLink(string repository, Digest subject, Digest referrer) =>
        $"{Referrers(repository, subject)}/{referrer.Algorithm}-{referrer.Hex}";

    public static string Upload(string uploadId) => $"{UploadsRoot}/{CheckedUpload(uploadId)}";

    public static string UploadData(string uploadId) => $"{Upload(uploadId)}/data";

    public static string UploadInfo(string uploadId) => $"{Upload(uploadId)}/info";

    /// <summary>Platform partition: one document per registry (record, settings and identities), owned by the auth service.</summary>
    public const string RegistryRecords = "registries";

    public static string RegistryRecord(string registry) =>
        OciGrammar.IsRegistryName(registry) ? $"{RegistryRecords}/{registry}.json" : throw new ArgumentException("invalid registry name", nameof(registry));

    /// <summary>Platform partition: the token signing key ring.</summary>
    public const string SigningKeys = "auth/signing-keys.json";

    /// <summary>Upload ids are 32 lowercase hex characters (a GUID in "N" format).</summary>
    public static bool IsUploadId(string? value) =>
        value is { Length: 32 } && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    private static string Checked(string repository) =>
        OciGrammar.IsRepositoryName(repository) ? repository : throw new ArgumentException("invalid repository name", nameof(repository));

    private static string CheckedUpload(string uploadId) =>
        IsUploadId(uploadId) ? uploadId : throw new ArgumentException("invalid upload id", nameof(uploadId));
}
