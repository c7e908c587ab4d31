using System.Buffers;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Registry.Distribution.Core;
using Registry.Oci;

namespace Registry.Distribution.Apis;

internal static class ManifestsApi
{
    /// <summary>
    /// <c>GET|HEAD /v2/&lt;name&gt;/manifests/&lt;reference&gt;</c>: the bytes as pushed, with the pushed media type. Refused
    /// when a read lock (<c>readEnabled</c> false) is on the repository, the tag asked for or the manifest. A GET counts as a pull.
    /// </summary>
    public static async Task<IResult> GetManifest(
        HttpContext context, RepositoryPath repository, string referenceText, IManifestStore manifests, PullPolicyGate policy, IRepositoryMetadata metadata)
    {
        var reference = Reference.Parse(referenceText);
        var descriptor = await manifests.ResolveAsync(repository, reference, context.RequestAborted);
        if (descriptor is null)
        {
            return ManifestUnknown(repository, referenceText);
        }

        var digest = Digest.Parse(descriptor.Digest);
        if (await metadata.ReadRefusalAsync(repository, reference.Tag, digest, context.RequestAborted) is { } locked)
        {
            return OciErrorResult.Of(OciErrorCode.Denied, locked);
        }

        if (await policy.CheckAsync(context, repository, descriptor) is { } refused)
        {
            return refused;
        }

        var headers = context.Response.Headers;
        headers["Docker-Content-Digest"] = descriptor.Digest;
        headers[HeaderNames.ETag] = $"\"{descriptor.Digest}\"";
        context.Response.ContentType = descriptor.MediaType;
        context.Response.ContentLength = descriptor.Size;
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return TypedResults.Empty;
        }

        var content = await manifests.ReadContentAsync(repository, descriptor, context.RequestAborted);
        if (content is null)
        {
            context.Response.ContentLength = null;
            return ManifestUnknown(repository, referenceText);
        }

        await context.Response.Body.WriteAsync(content.Value, context.RequestAborted);
        metadata.RecordPull(repository, reference.Tag, digest);
        return TypedResults.Empty;
    }

    /// <summary><c>PUT /v2/&lt;name&gt;/manifests/&lt;reference&gt;[?tag=…]</c>.</summary>
    public static async Task<IResult> PutManifest(HttpContext context, RepositoryPath repository, string referenceText, IManifestStore manifests)
    {
        var reference = Reference.Parse(referenceText);
        var extraTags = context.Request.Query["tag"].Select(tag => OciGrammar.ValidateTag(tag ?? string.Empty)).ToList();
        var limit = context.RequestServices.GetRequiredService<IOptions<DistributionOptions>>().Value.MaxManifestBytes;
        var content = await ReadBodyAsync(context, limit);
        var descriptor = await manifests.PutAsync(repository, reference, content, context.Request.ContentType, extraTags, context.RequestAborted);

        var headers = context.Response.Headers;
        headers.Location = $"/v2/{repository.Name}/manifests/{descriptor.Digest}";
        headers["Docker-Content-Digest"] = descriptor.Digest;
        if (descriptor.Subject is { } subject)
        {
            headers["OCI-Subject"] = subject;
        }

        return TypedResults.StatusCode(StatusCodes.Status201Created);
    }

    /// <summary><c>DELETE</c> by digest (the manifest and every tag on it) or by tag (the tag only).</summary>
    public static async Task<IResult> DeleteManifest(HttpContext context, RepositoryPath repository, string referenceText, IManifestStore manifests)
    {
        var reference = Reference.Parse(referenceText);
        var deleted = await manifests.DeleteAsync(repository, reference, context.RequestAborted);
        return deleted is null ? ManifestUnknown(repository, referenceText) : TypedResults.Accepted((string?)null);
    }

    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpContext context, int limit)
    {
        if (context.Request.ContentLength > limit)
        {
            throw TooLarge(limit);
        }

        var buffer = new ArrayBufferWriter<byte>((int)(context.Request.ContentLength ?? 16 * 1024) + 1);
        var body = context.Request.Body;
        while (true)
        {
            var memory = buffer.GetMemory(16 * 1024);
            var read = await body.ReadAsync(memory, context.RequestAborted);
            if (read == 0)
            {
                break;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > limit)
            {
                throw TooLarge(limit);
            }
        }

        if (buffer.WrittenCount == 0)
        {
            throw new OciException(OciErrorCode.ManifestInvalid, "manifest body is empty");
        }

        return buffer.WrittenMemory;
    }

    private static OciException TooLarge(int limit) =>
        new(OciErrorCode.ManifestTooLarge, $"manifest is larger than the {limit} bytes this registry accepts", new { limit });

    private static OciErrorResult ManifestUnknown(RepositoryPath repository, string reference) =>
        OciErrorResult.Of(OciErrorCode.ManifestUnknown, $"manifest {reference} is not in repository {repository.Name}", new { name = repository.Name, reference });
}
