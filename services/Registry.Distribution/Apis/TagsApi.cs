using System.Globalization;
using Microsoft.Extensions.Options;
using Registry.Distribution.Core;
using Registry.Oci;

namespace Registry.Distribution.Apis;

internal static class TagsApi
{
    /// <summary><c>GET /v2/&lt;name&gt;/tags/list?n=&amp;last=</c>, lexically ordered, with a <c>Link</c> to the next page.</summary>
    public static async Task<IResult> ListTags(HttpContext context, RepositoryPath repository, IManifestStore manifests)
    {
        var (limit, last) = Paging.Read(context);
        var page = await manifests.ListTagsAsync(repository, limit, last, context.RequestAborted);
        if (page is null)
        {
            return OciErrorResult.Of(OciErrorCode.NameUnknown, $"repository {repository.Name} is not known to this registry", new { name = repository.Name });
        }

        Paging.WriteLink(context, $"/v2/{repository.Name}/tags/list", limit, page);
        return new OciJsonResult<TagList>(new TagList(repository.Name, page.Items), DistributionJson.Default.TagList, MediaTypes.Json);
    }
}

internal static class CatalogApi
{
    /// <summary><c>GET /v2/_catalog?n=&amp;last=</c>.</summary>
    public static async Task<IResult> GetCatalog(HttpContext context, string registry, IManifestStore manifests)
    {
        var (limit, last) = Paging.Read(context);
        var page = await manifests.ListRepositoriesAsync(registry, limit, last, context.RequestAborted);
        Paging.WriteLink(context, "/v2/_catalog", limit, page);
        return new OciJsonResult<Catalog>(new Catalog(page.Items), DistributionJson.Default.Catalog, MediaTypes.Json);
    }
}

internal static class ReferrersApi
{
    /// <summary><c>GET /v2/&lt;name&gt;/referrers/&lt;digest&gt;[?artifactType=]</c>: always an image index, empty when nothing refers.</summary>
    public static async Task<IResult> ListReferrers(HttpContext context, RepositoryPath repository, string subjectText, IManifestStore manifests)
    {
        var subject = Digest.Parse(subjectText);
        IEnumerable<Descriptor> referrers = await manifests.ListReferrersAsync(repository, subject, context.RequestAborted);
        if (context.Request.Query["artifactType"].ToString() is { Length: > 0 } artifactType)
        {
            referrers = referrers.Where(referrer => referrer.ArtifactType == artifactType);
            context.Response.Headers["OCI-Filters-Applied"] = "artifactType";
        }

        return new OciJsonResult<ReferrersIndex>(
            new ReferrersIndex { Manifests = [.. referrers] },
            DistributionJson.Default.ReferrersIndex,
            MediaTypes.OciIndex);
    }
}

internal static class Paging
{
    public static (int? Limit, string? Last) Read(HttpContext context)
    {
        var query = context.Request.Query;
        int? limit = null;
        if (query["n"].ToString() is { Length: > 0 } n)
        {
            if (!int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                throw new OciException(OciErrorCode.PaginationNumberInvalid, "n must be a non-negative integer", n);
            }

            limit = Math.Min(parsed, context.RequestServices.GetRequiredService<IOptions<DistributionOptions>>().Value.MaxPageSize);
        }

        var last = query["last"].ToString();
        return (limit, last.Length > 0 ? last : null);
    }

    public static void WriteLink(HttpContext context, string path, int? limit, Page<string> page)
    {
        if (page.Last is null)
        {
            return;
        }

        var n = limit ?? page.Items.Count;
        context.Response.Headers.Link = $"<{path}?n={n}&last={Uri.EscapeDataString(page.Last)}>; rel=\"next\"";
    }
}
