namespace Registry.Oci;

/// <summary>One entry of the error catalogue: the wire code, its HTTP status and the spec's message.</summary>
public sealed record OciErrorCode(string Code, int Status, string Message)
{
    public static readonly OciErrorCode BlobUnknown = new("BLOB_UNKNOWN", 404, "blob unknown to registry");
    public static readonly OciErrorCode BlobUploadInvalid = new("BLOB_UPLOAD_INVALID", 400, "blob upload invalid");
    public static readonly OciErrorCode BlobUploadUnknown = new("BLOB_UPLOAD_UNKNOWN", 404, "blob upload unknown to registry");
    public static readonly OciErrorCode DigestInvalid = new("DIGEST_INVALID", 400, "provided digest did not match uploaded content");
    public static readonly OciErrorCode ManifestBlobUnknown = new("MANIFEST_BLOB_UNKNOWN", 400, "manifest references a manifest or blob unknown to registry");
    public static readonly OciErrorCode ManifestInvalid = new("MANIFEST_INVALID", 400, "manifest invalid");
    public static readonly OciErrorCode ManifestUnknown = new("MANIFEST_UNKNOWN", 404, "manifest unknown to registry");
    public static readonly OciErrorCode NameInvalid = new("NAME_INVALID", 400, "invalid repository name");
    public static readonly OciErrorCode NameUnknown = new("NAME_UNKNOWN", 404, "repository name not known to registry");
    public static readonly OciErrorCode SizeInvalid = new("SIZE_INVALID", 400, "provided length did not match content length");
    public static readonly OciErrorCode TagInvalid = new("TAG_INVALID", 400, "manifest tag did not match URI");
    public static readonly OciErrorCode Unauthorized = new("UNAUTHORIZED", 401, "authentication required");
    public static readonly OciErrorCode Denied = new("DENIED", 403, "requested access to the resource is denied");
    public static readonly OciErrorCode Unsupported = new("UNSUPPORTED", 405, "the operation is unsupported");
    public static readonly OciErrorCode TooManyRequests = new("TOOMANYREQUESTS", 429, "too many requests");
    /// <summary>A service the request needs does not answer (Distribution's code; not in the OCI catalogue).</summary>
    public static readonly OciErrorCode Unavailable = new("UNAVAILABLE", 503, "service unavailable");
    public static readonly OciErrorCode PaginationNumberInvalid = new("PAGINATION_NUMBER_INVALID", 400, "invalid number of results requested");
    /// <summary>No endpoint at this path (not in the OCI catalogue; ADR 0006).</summary>
    public static readonly OciErrorCode NotFound = new("NOT_FOUND", 404, "no such endpoint");
    public static readonly OciErrorCode RangeInvalid = new("RANGE_INVALID", 416, "invalid content range");
    public static readonly OciErrorCode ManifestTooLarge = new("SIZE_INVALID", 413, "manifest is larger than the registry accepts");
    public static readonly OciErrorCode UnsupportedMediaType = new("MANIFEST_INVALID", 415, "manifest media type is not supported");

    /// <summary>Overrides the catalogue's status, e.g. BLOB_UPLOAD_INVALID answered with 416 for an out-of-order chunk.</summary>
    public OciErrorCode WithStatus(int status) => this with { Status = status };
}

/// <summary>Raised by OCI rules and the distribution core; the API turns it into <c>{"errors":[…]}</c>.</summary>
public sealed class OciException(OciErrorCode error, string? message = null, object? detail = null)
    : Exception(message ?? error.Message)
{
    public OciErrorCode Error { get; } = error;

    public object? Detail { get; } = detail;

    /// <summary>Headers the response must carry (e.g. <c>Range</c> on a 416 for an upload).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
}
