using System.Text.Json;
using Registry.Distribution.Core;
using Registry.Distribution.Metadata;
using Registry.Oci;

namespace Registry.Distribution.Apis;

/// <summary>
/// ACR's repository API beside <c>/v2</c> (ADR 0013), with bearer tokens as on <c>/v2</c>: <c>metadata_read</c> to read,
/// <c>metadata_write</c> to change attributes, <c>delete</c> to delete; the catalog needs <c>registry:catalog:*</c>.
/// Repositories, their tags and manifests with their changeable attributes (locks) and pull statistics. Every change of
/// content goes through <see cref="IManifestStore"/>, so locks, events and caches apply.
/// </summary>
public static class AcrApi
{
    private static readonly string[] Methods = ["GET", "PATCH", "DELETE"];

    private static readonly OciErrorCode BadRequest = OciErrorCode.Unsupported.WithStatus(StatusCodes.Status400BadRequest);

    public static RouteGroupBuilder MapAcrApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/acr/v1");
        group.MapMethods("/{**path}", Methods, Dispatch).WithName("AcrV1");
        return group;
    }

    /// <summary>One route parser (repository names contain '/'), token check per action, then a named handler.</summary>
    public static async Task<IResult> Dispatch(HttpContext context, string? path, V2Access access)
    {
        try
        {
            var registry = access.RegistryOf(context);
            var method = context.Request.Method;
            var services = context.RequestServices;
            var manifests = services.GetRequiredService<IManifestStore>();
            if (path == "_catalog")
            {
                return !HttpMethods.IsGet(method) ? MethodNotAllowed(method)
                    : await access.AuthorizeAsync(context, registry, [AccessScope.Catalog]) ?? await GetCatalog(context, registry, manifests);
            }

            var route = AcrRoute.Parse(path);
            var action = HttpMethods.IsGet(method) ? RegistryActions.MetadataRead : HttpMethods.IsPatch(method) ? RegistryActions.MetadataWrite : RegistryActions.Delete;
            if (await access.AuthorizeAsync(context, registry, [AccessScope.Repository(route.Name, action)]) is { } refused)
            {
                return refused;
            }

            var repository = new RepositoryPath(registry, route.Name);
            var views = services.GetRequiredService<AcrViews>();
            var metadata = services.GetRequiredService<IRepositoryMetadata>();
            if (!await RepositoryContent.ExistsAsync(views.Storage(repository), repository, context.RequestAborted))
            {
                throw new OciException(OciErrorCode.NameUnknown, $"repository {repository.Name} is not known to the registry", new { name = repository.Name });
            }

            return (route.Kind, method) switch
            {
                (AcrRouteKind.Repository, "GET") => await GetRepository(context, repository, views),
                (AcrRouteKind.Repository, "PATCH") => await PatchRepository(context, repository, views, metadata, services.GetRequiredService<AttributeChanges>()),
                (AcrRouteKind.Repository, "DELETE") => await DeleteRepository(context, repository, manifests),
                (AcrRouteKind.Tags, "GET") => await ListTags(context, repository, views, manifests, metadata),
                (AcrRouteKind.Tag, "GET") => await GetTag(context, repository, route.Argument, views, metadata),
                (AcrRouteKind.Tag, "PATCH") => await PatchTag(context, repository, route.Argument, views, metadata, services.GetRequiredService<AttributeChanges>()),
                (AcrRouteKind.Tag, "DELETE") => await DeleteTag(repository, route.Argument, manifests, context.RequestAborted),
                (AcrRouteKind.Manifests, "GET") => await ListManifests(context, repository, views, metadata),
                (AcrRouteKind.Manifest, "GET") => await GetManifest(context, repository, route.Argument, views, metadata),
                (AcrRouteKind.Manifest, "PATCH") => await PatchManifest(context, repository, route.Argument, views, metadata, services.GetRequiredService<AttributeChanges>()),
                (AcrRouteKind.Manifest, "DELETE") => await DeleteManifest(repository, route.Argument, manifests, context.RequestAborted),
                _ => MethodNotAllowed(method),
            };
        }
        catch (OciException ex)
        {
            return OciErrorResult.From(ex);
        }
    }

    /// <summary><c>GET /acr/v1/_catalog?n=&amp;last=</c>: the repositories, unlisted ones left out, with a <c>Link</c> to the next page.</summary>
    internal static async Task<IResult> GetCatalog(HttpContext context, string registry, IManifestStore manifests)
    {
        var (limit, last) = Paging.Read(context);
        var page = await manifests.ListRepositoriesAsync(registry, limit, last, context.RequestAborted);
        Paging.WriteLink(context, "/acr/v1/_catalog", limit, page);
        return TypedResults.Json(new Catalog(page.Items), DistributionJson.Default.Catalog);
    }

    /// <summary><c>GET /acr/v1/{repository}</c>.</summary>
    internal static async Task<IResult> GetRepository(HttpContext context, RepositoryPath repository, AcrViews views) =>
        TypedResults.Json(await views.RepositoryAsync(repository, context.RequestAborted), MetadataJson.Default.AcrRepository);

    /// <summary><c>PATCH /acr/v1/{repository}</c> with any of the four attributes and <c>immutableTags</c>.</summary>
    internal static async Task<IResult> PatchRepository(HttpContext context, RepositoryPath repository, AcrViews views, IRepositoryMetadata metadata, AttributeChanges changes)
    {
        await metadata.UpdateRepositoryAsync(repository, await ReadChangeAsync(context), context.RequestAborted);
        await changes.AnnounceAsync(context, repository, tag: null, manifest: null);
        return await GetRepository(context, repository, views);
    }

    /// <summary>
    /// <c>DELETE /acr/v1/{repository}</c> (what <c>az acr repository delete</c> calls): 202 with
    /// <c>{"manifestsDeleted":[…],"tagsDeleted":[…]}</c>; refused while anything in it is locked or has an immutable tag.
    /// </summary>
    internal static async Task<IResult> DeleteRepository(HttpContext context, RepositoryPath repository, IManifestStore manifests)
    {
        var deletion = await manifests.DeleteRepositoryAsync(repository, context.RequestAborted)
            ?? throw new OciException(OciErrorCode.NameUnknown, $"repository {repository.Name} is not known to the registry", new { name = repository.Name });
        return TypedResults.Json(new DeletedRepository(deletion.Manifests, deletion.Tags), MetadataJson.Default.DeletedRepository, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary><c>GET /acr/v1/{repository}/_tags?n=&amp;last=&amp;orderby=&amp;digest=</c>.</summary>
    internal static async Task<IResult> ListTags(HttpContext context, RepositoryPath repository, AcrViews views, IManifestStore manifests, IRepositoryMetadata metadata)
    {
        var cancellationToken = context.RequestAborted;
        var listed = (await manifests.ListTagsAsync(repository, null, null, cancellationToken))?.Items.ToHashSet(StringComparer.Ordinal) ?? [];
        var digest = context.Request.Query["digest"].ToString();
        var tags = (await RepositoryContent.TagsAsync(views.Storage(repository), repository, cancellationToken))
            .Where(tag => listed.Contains(tag.Name) && (digest.Length == 0 || tag.Digest == digest))
            .ToList();
        var query = digest.Length == 0 ? string.Empty : $"&digest={Uri.EscapeDataString(digest)}";
        var page = PageOf(context, tags, tag => tag.Name, tag => tag.LastUpdated, $"/acr/v1/{repository.Name}/_tags", query);
        var pulls = await metadata.GetPullsAsync(repository, cancellationToken);
        var result = new List<AcrTag>(page.Count);
        foreach (var tag in page)
        {
            result.Add(await views.TagAsync(repository, tag, pulls, cancellationToken));
        }

        return TypedResults.Json(new AcrTagList(views.LoginServer(repository), repository.Name, result), MetadataJson.Default.AcrTagList);
    }

    /// <summary><c>GET /acr/v1/{repository}/_tags/{tag}</c>.</summary>
    internal static async Task<IResult> GetTag(HttpContext context, RepositoryPath repository, string tag, AcrViews views, IRepositoryMetadata metadata)
    {
        var entry = await RepositoryContent.TagAsync(views.Storage(repository), repository, ValidTag(tag), context.RequestAborted) ?? throw TagUnknown(repository, tag);
        var view = await views.TagAsync(repository, entry, await metadata.GetPullsAsync(repository, context.RequestAborted), context.RequestAborted);
        return TypedResults.Json(new AcrTagResult(views.LoginServer(repository), repository.Name, view), MetadataJson.Default.AcrTagResult);
    }

    /// <summary><c>PATCH /acr/v1/{repository}/_tags/{tag}</c> with any of the four attributes.</summary>
    internal static async Task<IResult> PatchTag(HttpContext context, RepositoryPath repository, string tag, AcrViews views, IRepositoryMetadata metadata, AttributeChanges changes)
    {
        var change = await ReadChangeAsync(context);
        _ = await RepositoryContent.TagAsync(views.Storage(repository), repository, ValidTag(tag), context.RequestAborted) ?? throw TagUnknown(repository, tag);
        await metadata.UpdateTagAsync(repository, tag, change, context.RequestAborted);
        await changes.AnnounceAsync(context, repository, tag, manifest: null);
        return await GetTag(context, repository, tag, views, metadata);
    }

    /// <summary><c>DELETE /acr/v1/{repository}/_tags/{tag}</c>: untags (the manifest stays); 202.</summary>
    internal static async Task<IResult> DeleteTag(RepositoryPath repository, string tag, IManifestStore manifests, CancellationToken cancellationToken) =>
        await manifests.DeleteAsync(repository, Reference.Parse(ValidTag(tag)), cancellationToken) is null
            ? throw TagUnknown(repository, tag)
            : TypedResults.Accepted((string?)null);

    /// <summary><c>GET /acr/v1/{repository}/_manifests?n=&amp;last=&amp;orderby=</c>.</summary>
    internal static async Task<IResult> ListManifests(HttpContext context, RepositoryPath repository, AcrViews views, IRepositoryMetadata metadata)
    {
        var cancellationToken = context.RequestAborted;
        var driver = views.Storage(repository);
        var tagsByDigest = await TagsByDigestAsync(driver, repository, cancellationToken);
        var listed = new List<ManifestEntry>();
        foreach (var manifest in await RepositoryContent.ManifestsAsync(driver, repository, cancellationToken))
        {
            if ((await metadata.GetManifestAttributesAsync(repository, Digest.Parse(manifest.Descriptor.Digest), cancellationToken)).ListEnabled)
            {
                listed.Add(manifest);
            }
        }

        var page = PageOf(context, listed, manifest => manifest.Descriptor.Digest, manifest => manifest.LastUpdated, $"/acr/v1/{repository.Name}/_manifests", string.Empty);
        var pulls = await metadata.GetPullsAsync(repository, cancellationToken);
        var result = new List<AcrManifest>(page.Count);
        foreach (var manifest in page)
        {
            result.Add(await views.ManifestAsync(repository, manifest, tagsByDigest.GetValueOrDefault(manifest.Descriptor.Digest) ?? [], pulls, cancellationToken));
        }

        return TypedResults.Json(new AcrManifestList(views.LoginServer(repository), repository.Name, result), MetadataJson.Default.AcrManifestList);
    }

    /// <summary><c>GET /acr/v1/{repository}/_manifests/{digest}</c>.</summary>
    internal static async Task<IResult> GetManifest(HttpContext context, RepositoryPath repository, string digestText, AcrViews views, IRepositoryMetadata metadata)
    {
        var cancellationToken = context.RequestAborted;
        var driver = views.Storage(repository);
        var manifest = await RepositoryContent.ManifestAsync(driver, repository, ValidDigest(digestText), cancellationToken) ?? throw ManifestUnknown(repository, digestText);
        var tags = (await TagsByDigestAsync(driver, repository, cancellationToken)).GetValueOrDefault(manifest.Descriptor.Digest) ?? [];
        var view = await views.ManifestAsync(repository, manifest, tags, await metadata.GetPullsAsync(repository, cancellationToken), cancellationToken);
        return TypedResults.Json(new AcrManifestResult(views.LoginServer(repository), repository.Name, view), MetadataJson.Default.AcrManifestResult);
    }

    /// <summary><c>PATCH /acr/v1/{repository}/_manifests/{digest}</c> with any of the four attributes.</summary>
    internal static async Task<IResult> PatchManifest(HttpContext context, RepositoryPath repository, string digestText, AcrViews views, IRepositoryMetadata metadata, AttributeChanges changes)
    {
        var change = await ReadChangeAsync(context);
        var digest = ValidDigest(digestText);
        _ = await RepositoryContent.ManifestAsync(views.Storage(repository), repository, digest, context.RequestAborted) ?? throw ManifestUnknown(repository, digestText);
        await metadata.UpdateManifestAsync(repository, digest, change, context.RequestAborted);
        await changes.AnnounceAsync(context, repository, tag: null, digest);
        return await GetManifest(context, repository, digestText, views, metadata);
    }

    /// <summary><c>DELETE /acr/v1/{repository}/_manifests/{digest}</c>: the manifest and its tags; 202.</summary>
    internal static async Task<IResult> DeleteManifest(RepositoryPath repository, string digestText, IManifestStore manifests, CancellationToken cancellationToken) =>
        await manifests.DeleteAsync(repository, Reference.Parse(ValidDigest(digestText).ToString()), cancellationToken) is null
            ? throw ManifestUnknown(repository, digestText)
            : TypedResults.Accepted((string?)null);

    /// <summary>
    /// One page of <paramref name="items"/>: by name (default), or by last update with <c>orderby=timedesc|timeasc</c>;
    /// <c>last</c> names the item the page follows. Writes the <c>Link</c> to the next page.
    /// </summary>
    private static List<T> PageOf<T>(HttpContext context, List<T> items, Func<T, string> name, Func<T, DateTimeOffset> time, string path, string query)
    {
        var (limit, last) = Paging.Read(context);
        var orderby = context.Request.Query["orderby"].ToString();
        var sorted = (orderby switch
        {
            "" => items.OrderBy(name, StringComparer.Ordinal),
            "timedesc" => items.OrderByDescending(time).ThenBy(name, StringComparer.Ordinal),
            "timeasc" => items.OrderBy(time).ThenBy(name, StringComparer.Ordinal),
            _ => throw new OciException(BadRequest, "orderby must be timedesc or timeasc", new { orderby }),
        }).ToList();

        var start = 0;
        if (last is not null)
        {
            var index = sorted.FindIndex(item => name(item) == last);
            start = index >= 0 ? index + 1 : orderby.Length == 0 ? sorted.Count(item => string.CompareOrdinal(name(item), last) <= 0) : sorted.Count;
        }

        var page = sorted.Skip(start).Take(limit ?? int.MaxValue).ToList();
        if (page.Count > 0 && start + page.Count < sorted.Count)
        {
            var order = orderby.Length == 0 ? string.Empty : $"&orderby={orderby}";
            context.Response.Headers.Link = $"<{path}?n={limit ?? page.Count}&last={Uri.EscapeDataString(name(page[^1]))}{order}{query}>; rel=\"next\"";
        }

        return page;
    }

    private static async Task<Dictionary<string, List<string>>> TagsByDigestAsync(Registry.Storage.IStorageDriver driver, RepositoryPath repository, CancellationToken cancellationToken) =>
        (await RepositoryContent.TagsAsync(driver, repository, cancellationToken))
            .GroupBy(tag => tag.Digest, StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.Select(tag => tag.Name).Order(StringComparer.Ordinal).ToList(), StringComparer.Ordinal);

    private static async Task<AttributesChange> ReadChangeAsync(HttpContext context)
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(context.Request.Body, MetadataJson.Default.AttributesChange, context.RequestAborted)
                ?? throw new OciException(BadRequest, "the body must be a JSON object of changeable attributes");
        }
        catch (JsonException ex)
        {
            throw new OciException(BadRequest, $"the body is not valid JSON of changeable attributes: {ex.Message}");
        }
    }

    private static string ValidTag(string tag) =>
        OciGrammar.IsTag(tag) ? tag : throw new OciException(OciErrorCode.TagInvalid, $"'{tag}' is not a tag", new { tag });

    private static Digest ValidDigest(string digest) =>
        Digest.TryParse(digest, out var parsed) ? parsed : throw new OciException(OciErrorCode.DigestInvalid, $"'{digest}' is not a digest", new { digest });

    private static OciException TagUnknown(RepositoryPath repository, string tag) =>
        new(OciErrorCode.ManifestUnknown, $"tag {tag} is not in repository {repository.Name}", new { name = repository.Name, tag });

    private static OciException ManifestUnknown(RepositoryPath repository, string digest) =>
        new(OciErrorCode.ManifestUnknown, $"manifest {digest} is not in repository {repository.Name}", new { name = repository.Name, digest });

    private static OciErrorResult MethodNotAllowed(string method) =>
        OciErrorResult.Of(OciErrorCode.Unsupported, $"method {method} is not supported on this endpoint", new { method });
}

internal enum AcrRouteKind
{
    Repository,
    Tags,
    Tag,
    Manifests,
    Manifest,
}

/// <summary>
/// <c>{repository}</c>, <c>{repository}/_tags[/{tag}]</c>, <c>{repository}/_manifests[/{digest}]</c>: repository name
/// components never start with '_', so the suffix is unambiguous.
/// </summary>
internal readonly record struct AcrRoute(AcrRouteKind Kind, string Name, string Argument)
{
    public static AcrRoute Parse(string? path)
    {
        var segments = (path ?? string.Empty).Split('/');
        var route = segments switch
        {
            [.. var name, "_tags"] => new AcrRoute(AcrRouteKind.Tags, string.Join('/', name), string.Empty),
            [.. var name, "_manifests"] => new AcrRoute(AcrRouteKind.Manifests, string.Join('/', name), string.Empty),
            [.. var name, "_tags", var tag] => new AcrRoute(AcrRouteKind.Tag, string.Join('/', name), tag),
            [.. var name, "_manifests", var digest] => new AcrRoute(AcrRouteKind.Manifest, string.Join('/', name), digest),
            _ => new AcrRoute(AcrRouteKind.Repository, path ?? string.Empty, string.Empty),
        };
        return OciGrammar.IsRepositoryName(route.Name)
            ? route
            : throw new OciException(OciErrorCode.NameInvalid, $"'{route.Name}' is not a repository name", new { name = route.Name });
    }
}
