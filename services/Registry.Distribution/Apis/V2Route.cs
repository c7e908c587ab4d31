namespace Registry.Distribution.Apis;

internal enum V2Endpoint
{
    Catalog,
    Tags,
    Manifest,
    Blob,
    UploadStart,
    Upload,
    Referrers,
}

/// <summary>
/// Parses <c>/v2/&lt;name&gt;/…</c>: repository names contain '/', so the endpoint is recognised by the path's suffix
/// and the name is everything before it. The name and argument are validated by the handlers.
/// </summary>
internal readonly record struct V2Route(V2Endpoint Endpoint, string Name, string Argument)
{
    public static bool TryParse(string path, out V2Route route)
    {
        route = default;
        if (path == "_catalog")
        {
            route = new V2Route(V2Endpoint.Catalog, string.Empty, string.Empty);
            return true;
        }

        var segments = path.Split('/');
        var count = segments.Length;

        // "<name>/blobs/uploads/" (trailing slash) and "<name>/blobs/uploads"
        if (count >= 3 && segments[^1].Length == 0 && segments[^2] == "uploads" && segments[^3] == "blobs")
        {
            return Build(V2Endpoint.UploadStart, segments, 3, string.Empty, out route);
        }

        if (count >= 3 && segments[^2] == "uploads" && segments[^3] == "blobs")
        {
            return Build(V2Endpoint.Upload, segments, 3, segments[^1], out route);
        }

        if (count >= 2 && segments[^1] == "uploads" && segments[^2] == "blobs")
        {
            return Build(V2Endpoint.UploadStart, segments, 2, string.Empty, out route);
        }

        if (count >= 3 && segments[^2] is "blobs" or "manifests" or "referrers" && segments[^1].Length > 0)
        {
            var endpoint = segments[^2] switch
            {
                "blobs" => V2Endpoint.Blob,
                "manifests" => V2Endpoint.Manifest,
                _ => V2Endpoint.Referrers,
            };
            return Build(endpoint, segments, 2, segments[^1], out route);
        }

        if (count >= 3 && segments[^1] == "list" && segments[^2] == "tags")
        {
            return Build(V2Endpoint.Tags, segments, 2, string.Empty, out route);
        }

        return false;
    }

    private static bool Build(V2Endpoint endpoint, string[] segments, int suffix, string argument, out V2Route route)
    {
        var name = string.Join('/', segments, 0, segments.Length - suffix);
        route = new V2Route(endpoint, name, argument);
        return name.Length > 0;
    }
}
