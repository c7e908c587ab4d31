using Microsoft.AspNetCore.Http.Features;
using Registry.Distribution.Core;
using Registry.Oci;

namespace Registry.Distribution.Apis;

internal static class UploadsApi
{
    /// <summary>
    /// <c>POST /v2/&lt;name&gt;/blobs/uploads/</c>: mount (<c>?mount=&amp;from=</c>), monolithic upload (<c>?digest=</c>)
    /// or the start of a session. A mount the caller may not make is not tried: it becomes an upload.
    /// </summary>
    public static async Task<IResult> StartUpload(HttpContext context, RepositoryPath repository, IUploadStore uploads, IBlobStore blobs, V2Access access)
    {
        var query = context.Request.Query;
        var cancellationToken = context.RequestAborted;
        if (query["mount"].ToString() is { Length: > 0 } mount && MayMount(context, query["from"].ToString(), access))
        {
            var digest = Digest.Parse(mount);
            var from = query["from"].ToString() is { Length: > 0 } source ? new RepositoryPath(repository.Registry, source) : null;
            if (await blobs.MountAsync(repository, digest, from, cancellationToken) is { } mounted)
            {
                return BlobCreated(context, repository, mounted);
            }
        }
        else if (query["digest"].ToString() is { Length: > 0 } digestText)
        {
            var digest = Digest.Parse(digestText);
            var session = await uploads.StartAsync(repository, cancellationToken);
            await uploads.AppendAsync(repository, session.Id, context.Request.Body, null, cancellationToken);
            var blob = await uploads.CompleteAsync(repository, session.Id, digest, cancellationToken);
            return BlobCreated(context, repository, blob);
        }

        var started = await uploads.StartAsync(repository, cancellationToken);
        return UploadAccepted(context, started, StatusCodes.Status202Accepted);
    }

    /// <summary>
    /// A mount reads from another repository, so the caller must be allowed to pull there. Without <c>from</c> it could read
    /// any repository of the registry, so with token checks on it is not tried (ADR 0007).
    /// </summary>
    private static bool MayMount(HttpContext context, string from, V2Access access) =>
        from.Length > 0 ? access.MayPull(context, from) : !access.Enabled;

    /// <summary><c>GET /v2/&lt;name&gt;/blobs/uploads/&lt;id&gt;</c>: how much the registry holds.</summary>
    public static async Task<IResult> GetUploadStatus(HttpContext context, RepositoryPath repository, string uploadId, IUploadStore uploads)
    {
        var status = await uploads.GetAsync(repository, uploadId, context.RequestAborted);
        return status is null ? UploadUnknown(uploadId) : UploadAccepted(context, status, StatusCodes.Status204NoContent);
    }

    /// <summary><c>PATCH</c>: a streamed body (no Content-Range) or an ordered chunk (Content-Range: start-end).</summary>
    public static async Task<IResult> PatchUpload(HttpContext context, RepositoryPath repository, string uploadId, IUploadStore uploads)
    {
        var expectedStart = ParseChunkStart(context);
        var status = await uploads.AppendAsync(repository, uploadId, context.Request.Body, expectedStart, context.RequestAborted);
        return UploadAccepted(context, status, StatusCodes.Status202Accepted);
    }

    /// <summary><c>PUT ?digest=</c>: the optional last chunk, then verification and commit.</summary>
    public static async Task<IResult> CompleteUpload(HttpContext context, RepositoryPath repository, string uploadId, IUploadStore uploads)
    {
        if (context.Request.Query["digest"].ToString() is not { Length: > 0 } digestText)
        {
            return OciErrorResult.Of(OciErrorCode.DigestInvalid, "the digest query parameter is required to complete an upload");
        }

        var digest = Digest.Parse(digestText);
        var cancellationToken = context.RequestAborted;
        if (HasBody(context))
        {
            await uploads.AppendAsync(repository, uploadId, context.Request.Body, ParseChunkStart(context), cancellationToken);
        }

        var blob = await uploads.CompleteAsync(repository, uploadId, digest, cancellationToken);
        return BlobCreated(context, repository, blob);
    }

    /// <summary><c>DELETE</c>: cancels the session and frees what it stored.</summary>
    public static async Task<IResult> CancelUpload(HttpContext context, RepositoryPath repository, string uploadId, IUploadStore uploads) =>
        await uploads.CancelAsync(repository, uploadId, context.RequestAborted)
            ? TypedResults.NoContent()
            : UploadUnknown(uploadId);

    private static long? ParseChunkStart(HttpContext context)
    {
        var header = context.Request.Headers.ContentRange.ToString();
        if (header.Length == 0)
        {
            return null;
        }

        if (!HttpRange.TryParseContentRange(header, out var start, out var end))
        {
            throw new OciException(OciErrorCode.BlobUploadInvalid, "Content-Range must be <start>-<end>", header);
        }

        if (context.Request.ContentLength is { } length && length != end - start + 1)
        {
            throw new OciException(OciErrorCode.SizeInvalid, $"Content-Length {length} does not match Content-Range {header}", header);
        }

        return start;
    }

    private static bool HasBody(HttpContext context) =>
        context.Request.ContentLength > 0 ||
        (context.Request.ContentLength is null && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true);

    private static IResult BlobCreated(HttpContext context, RepositoryPath repository, BlobDescriptor blob)
    {
        var headers = context.Response.Headers;
        headers.Location = $"/v2/{repository.Name}/blobs/{blob.Digest}";
        headers["Docker-Content-Digest"] = blob.Digest.ToString();
        return TypedResults.StatusCode(StatusCodes.Status201Created);
    }

    private static IResult UploadAccepted(HttpContext context, UploadStatus status, int statusCode)
    {
        foreach (var (name, value) in UploadHeaders.For(status))
        {
            context.Response.Headers[name] = value;
        }

        return TypedResults.StatusCode(statusCode);
    }

    private static OciErrorResult UploadUnknown(string uploadId) =>
        OciErrorResult.Of(OciErrorCode.BlobUploadUnknown, "upload session not found; it was completed, cancelled or never started", uploadId);
}
