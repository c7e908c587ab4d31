namespace Registry.Cli.Infrastructure;

/// <summary>
/// <c>repo</c>, <c>repo:tag</c> or <c>repo@sha256:…</c> as the commands take it, and the <c>/v2</c> and <c>/acr/v1</c>
/// paths and scopes that go with it.
/// </summary>
internal sealed record ImageReference(string Repository, string? Tag, string? Digest)
{
    /// <summary>The tag or digest, whichever was given.</summary>
    public string? Reference => Digest ?? Tag;

    public static ImageReference Parse(string text)
    {
        var at = text.IndexOf('@', StringComparison.Ordinal);
        if (at > 0)
        {
            return new ImageReference(text[..at], null, text[(at + 1)..]);
        }

        var colon = text.LastIndexOf(':');
        return colon > text.LastIndexOf('/') && colon > 0
            ? new ImageReference(text[..colon], text[(colon + 1)..], null)
            : new ImageReference(text, null, null);
    }

    /// <summary>Like <see cref="Parse"/>, but a tag or digest must be there.</summary>
    public static ImageReference ParseImage(string text) => Parse(text) is { Reference: not null } image
        ? image
        : throw new CliException($"'{text}' names no image: use repository:tag or repository@digest");

    public static string Scope(string repository, string actions) => $"repository:{repository}:{actions}";

    /// <summary>The ACR metadata path: the repository, one of its tags or one of its manifests.</summary>
    public string AcrPath => Digest is not null ? $"acr/v1/{Repository}/_manifests/{Digest}"
        : Tag is not null ? $"acr/v1/{Repository}/_tags/{Tag}"
        : $"acr/v1/{Repository}";

    public override string ToString() => Digest is not null ? $"{Repository}@{Digest}" : Tag is not null ? $"{Repository}:{Tag}" : Repository;

    /// <summary>The digest: as given, or what the tag points at now (<c>HEAD /v2/…/manifests/{tag}</c>).</summary>
    public async Task<string> ResolveDigestAsync(RegistryClient client, string actions, CancellationToken cancellationToken)
    {
        if (Digest is not null)
        {
            return Digest;
        }

        using var response = await client.DataAsync(
            HttpMethod.Head, $"v2/{Repository}/manifests/{Tag}", Scope(Repository, actions), cancellationToken, AcceptManifests);
        if (!response.IsSuccessStatusCode)
        {
            throw response.StatusCode == System.Net.HttpStatusCode.NotFound
                ? new CliException($"MANIFEST_UNKNOWN: {this} is not in the registry", response.StatusCode)
                : await RegistryClient.ErrorAsync(response, cancellationToken);
        }

        return response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.First()
            : throw new CliException($"{client.Server} named no digest for {this}");
    }

    public static void AcceptManifests(HttpRequestMessage request)
    {
        foreach (var mediaType in RegistryClient.ManifestMediaTypes)
        {
            request.Headers.Accept.ParseAdd(mediaType);
        }
    }
}
