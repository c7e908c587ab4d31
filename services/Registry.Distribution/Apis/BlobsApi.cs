using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Registry.Distribution.Core;
using Registry.Oci;

namespace Registry.Distribution.Apis;

internal static class BlobsApi
{
    private const int CopyChunkSize = 256 * 1024;

    /// <summary><c>GET|HEAD /v2/&lt;name&gt;/blobs/&lt;digest&gt;</c>, with single byte ranges.</summary>
    public static async Task<IResult> GetBlob(HttpContext context, RepositoryPath repository, string reference, IBlobStore blobs, IOptions<DistributionOptions> options)
    {
        var digest = Digest.Parse(reference);
        var blob = await blobs.StatAsync(repository, digest, context.RequestAborted);
        if (blob is null)
        {
            return OciErrorResult.Of(OciErrorCode.BlobUnknown, $"blob {digest} is not in repository {repository.Name}", new { digest = reference });
        }

        var headers = context.Response.Headers;
        var etag = $"\"{digest}\"";
        headers[HeaderNames.ETag] = etag;
        headers["Docker-Content-Digest"] = digest.ToString();
        headers[HeaderNames.AcceptRanges] = "bytes";
        headers[HeaderNames.CacheControl] = "max-age=31536000";
        if (context.Request.Headers.IfNoneMatch.Contains(etag))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        if (options.Value.RedirectBlobReads && HttpMethods.IsGet(context.Request.Method)
            && blobs.ReadUrl(repository, blob, options.Value.BlobReadUrlLifetime) is { } storageUrl)
        {
            // 307 keeps the method and the client sends its Range header again to storage, which serves ranges itself.
            return TypedResults.Redirect(storageUrl.AbsoluteUri, permanent: false, preserveMethod: true);
        }

        long offset = 0;
        var length = blob.Size;
        var status = StatusCodes.Status200OK;
        if (HttpRange.TryParseRange(context.Request.Headers.Range, blob.Size, out var rangeOffset, out var rangeLength, out var satisfiable))
        {
            if (!satisfiable)
            {
                headers[HeaderNames.ContentRange] = $"bytes */{blob.Size}";
                return OciErrorResult.Of(OciErrorCode.RangeInvalid, $"range is outside the blob's {blob.Size} bytes", new { size = blob.Size });
            }

            (offset, length, status) = (rangeOffset, rangeLength, StatusCodes.Status206PartialContent);
            headers[HeaderNames.ContentRange] = $"bytes {offset}-{offset + length - 1}/{blob.Size}";
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = MediaTypes.OctetStream;
        context.Response.ContentLength = length;
        if (HttpMethods.IsHead(context.Request.Method) || length == 0)
        {
            return TypedResults.Empty;
        }

        await using var content = await blobs.OpenReadAsync(repository, blob, offset, status == StatusCodes.Status206PartialContent ? length : null, context.RequestAborted);
        if (!await SendFileResponse.TrySendAsync(context, content, length, options.Value))
        {
            await CopyToResponseAsync(content, context.Response, length, context.RequestAborted);
        }

        return TypedResults.Empty;
    }

    /// <summary>Reads storage straight into the response pipe's buffers: one copy fewer than Stream.CopyToAsync.</summary>
    private static async Task CopyToResponseAsync(Stream content, HttpResponse response, long length, CancellationToken cancellationToken)
    {
        var writer = response.BodyWriter;
        var remaining = length;
        while (remaining > 0)
        {
            var memory = writer.GetMemory(CopyChunkSize);
            var read = await content.ReadAsync(memory[..(int)Math.Min(memory.Length, remaining)], cancellationToken);
            if (read == 0)
            {
                throw new IOException($"storage returned {length - remaining} of the blob's {length} bytes");
            }

            writer.Advance(read);
            remaining -= read;
            var flushed = await writer.FlushAsync(cancellationToken);
            if (flushed.IsCompleted || flushed.IsCanceled)
            {
                return;
            }
        }
    }

    /// <summary><c>DELETE /v2/&lt;name&gt;/blobs/&lt;digest&gt;</c>: unlinks the blob from the repository.</summary>
    public static async Task<IResult> DeleteBlob(HttpContext context, RepositoryPath repository, string reference, IBlobStore blobs)
    {
        var digest = Digest.Parse(reference);
        if (!await blobs.DeleteAsync(repository, digest, context.RequestAborted))
        {
            return OciErrorResult.Of(OciErrorCode.BlobUnknown, $"blob {digest} is not in repository {repository.Name}", new { digest = reference });
        }

        context.Response.Headers["Docker-Content-Digest"] = digest.ToString();
        return TypedResults.Accepted((string?)null);
    }
}
