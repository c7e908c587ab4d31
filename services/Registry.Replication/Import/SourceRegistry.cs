using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Registry.Oci;
using Registry.Security;

namespace Registry.Replication.Import;

/// <summary>A manifest as the source served it: its exact bytes, media type and digest, parsed.</summary>
internal sealed record SourceManifest(ReadOnlyMemory<byte> Content, string MediaType, Digest Digest, Manifest Manifest);

/// <summary>
/// Pulls from another registry the way docker does: anonymously first, and on a 401 with the challenge's scheme — Basic
/// with the given credentials, or Docker token auth (a pull token for the repository from the challenge's realm, with the
/// credentials as Basic when given). Failures become ProblemDetails-ready <see cref="ManagementException"/>s: 422 for what
/// the caller can fix (credentials, image name, refused address), 502 when the source is down or misbehaves.
/// </summary>
internal sealed class SourceRegistry(HttpClient http, Uri baseUri, ImportCredentials? credentials, TimeSpan requestTimeout)
{
    private static readonly string[] ManifestTypes = [MediaTypes.OciIndex, MediaTypes.OciManifest, MediaTypes.DockerManifestList, MediaTypes.DockerManifest];

    private readonly ConcurrentDictionary<string, AuthenticationHeaderValue> _authorization = new(StringComparer.Ordinal);

    public Uri BaseUri { get; } = baseUri;

    /// <summary><c>host[:port]</c> means HTTPS, as docker assumes; an explicit <c>http://</c> or <c>https://</c> URL is taken as is.</summary>
    public static Uri? ParseRegistryUri(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var text = value.Contains("://", StringComparison.Ordinal) ? value : $"https://{value}";
        return Uri.TryCreate(text.TrimEnd('/'), UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && uri.AbsolutePath == "/" && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.UserInfo)
                ? uri
                : null;
    }

    public async Task<SourceManifest> GetManifestAsync(string repository, Reference reference, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(repository, $"/v2/{repository}/manifests/{reference}", request =>
        {
            foreach (var type in ManifestTypes)
            {
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
            }
        }, cancellationToken);

        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            throw Unprocessable("The source image was not found", $"{BaseUri.Authority} has no manifest {repository}{(reference.IsDigest ? "@" : ":")}{reference}");
        }

        EnsureSuccess(response, $"manifest {repository}:{reference}");
        var content = await ReadLimitedAsync(response.Content, ManifestParser.MaxManifestBytes, cancellationToken)
            ?? throw Unprocessable("The source manifest is too large", $"{repository}:{reference} is larger than {ManifestParser.MaxManifestBytes} bytes");
        var mediaType = MediaTypes.Normalize(response.Content.Headers.ContentType?.ToString());
        Manifest manifest;
        try
        {
            manifest = ManifestParser.Parse(content, mediaType);
        }
        catch (OciException ex)
        {
            throw Unprocessable("The source served a manifest that cannot be imported", $"{repository}:{reference}: {ex.Message}");
        }

        var digest = Digest.Compute(reference.Digest?.Algorithm ?? Digest.Sha256, content);
        if (reference.Digest is { } expected && expected != digest)
        {
            throw BadGateway($"the source served {repository}@{expected} with content whose digest is {digest}");
        }

        return new SourceManifest(content, manifest.MediaType, digest, manifest);
    }

    /// <summary>The blob's response, body not yet read (the caller streams it and disposes the response); null when the source does not have it.</summary>
    public async Task<HttpResponseMessage?> OpenBlobAsync(string repository, Digest digest, CancellationToken cancellationToken)
    {
        var response = await SendAsync(repository, $"/v2/{repository}/blobs/{digest}", _ => { }, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            response.Dispose();
            return null;
        }

        try
        {
            EnsureSuccess(response, $"blob {digest}");
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private async Task<HttpResponseMessage> SendAsync(string repository, string path, Action<HttpRequestMessage> prepare, CancellationToken cancellationToken)
    {
        var response = await SendOnceAsync(repository, path, prepare, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        var challenges = response.Headers.WwwAuthenticate.ToList();
        response.Dispose();
        _authorization[repository] = await AuthorizeAsync(challenges, repository, cancellationToken);

        response = await SendOnceAsync(repository, path, prepare, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            response.Dispose();
            throw CredentialsRefused(credentials is null
                ? $"{BaseUri.Authority} needs credentials to pull {repository}"
                : $"{BaseUri.Authority} does not let these credentials pull {repository}");
        }

        return response;
    }

    private async Task<HttpResponseMessage> SendOnceAsync(string repository, string path, Action<HttpRequestMessage> prepare, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(BaseUri, path));
        prepare(request);
        if (_authorization.TryGetValue(repository, out var authorization))
        {
            request.Headers.Authorization = authorization;
        }

        return await SendWithTimeoutAsync(request, cancellationToken);
    }

    private async Task<AuthenticationHeaderValue> AuthorizeAsync(List<AuthenticationHeaderValue> challenges, string repository, CancellationToken cancellationToken)
    {
        if (challenges.FirstOrDefault(c => c.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase)) is { Parameter: { } parameter })
        {
            return new AuthenticationHeaderValue("Bearer", await FetchTokenAsync(BearerChallenge.Parse(parameter), repository, cancellationToken));
        }

        if (challenges.Any(c => c.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase)))
        {
            return Basic() ?? throw CredentialsRefused($"{BaseUri.Authority} needs credentials to pull {repository}");
        }

        throw BadGateway($"{BaseUri.Authority} answered 401 without a Basic or Bearer challenge");
    }

    private async Task<string> FetchTokenAsync(Dictionary<string, string> challenge, string repository, CancellationToken cancellationToken)
    {
        if (!challenge.TryGetValue("realm", out var realmText) || !Uri.TryCreate(realmText, UriKind.Absolute, out var realm)
            || (realm.Scheme != Uri.UriSchemeHttp && realm.Scheme != Uri.UriSchemeHttps))
        {
            throw BadGateway($"{BaseUri.Authority} challenged with a Bearer realm that is not an http(s) URL");
        }

        var query = new List<string>();
        if (challenge.TryGetValue("service", out var service))
        {
            query.Add($"service={Uri.EscapeDataString(service)}");
        }

        query.Add($"scope={Uri.EscapeDataString($"repository:{repository}:pull")}");
        var separator = string.IsNullOrEmpty(realm.Query) ? "?" : "&";
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"{realm}{separator}{string.Join('&', query)}"));
        request.Headers.Authorization = Basic();
        using var response = await SendWithTimeoutAsync(request, cancellationToken);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw CredentialsRefused($"the token service of {BaseUri.Authority} refused the credentials ({(int)response.StatusCode})");
        }

        EnsureSuccess(response, "a pull token");
        try
        {
            using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            var root = document.RootElement;
            return (root.TryGetProperty("token", out var token) ? token.GetString() : null)
                ?? (root.TryGetProperty("access_token", out var accessToken) ? accessToken.GetString() : null)
                ?? throw BadGateway($"the token service of {BaseUri.Authority} answered without a token");
        }
        catch (JsonException)
        {
            throw BadGateway($"the token service of {BaseUri.Authority} answered with something other than JSON");
        }
    }

    private AuthenticationHeaderValue? Basic() => credentials is { Username: { } username, Password: { } password }
        ? new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")))
        : null;

    private async Task<HttpResponseMessage> SendWithTimeoutAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(requestTimeout);
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw BadGateway($"{request.RequestUri!.Authority} did not answer within {requestTimeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException ex) when (Refusal(ex) is { } refused)
        {
            throw Unprocessable("The source address is refused", refused.Message);
        }
        catch (HttpRequestException ex)
        {
            throw BadGateway($"{request.RequestUri!.Authority} could not be reached: {ex.Message}");
        }
    }

    private static OutboundRefusedException? Refusal(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is OutboundRefusedException refused)
            {
                return refused;
            }
        }

        return null;
    }

    private void EnsureSuccess(HttpResponseMessage response, string what)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw BadGateway($"{BaseUri.Authority} answered {(int)response.StatusCode} {response.ReasonPhrase} for {what}");
        }
    }

    /// <summary>The body, or null when it is longer than <paramref name="limit"/>.</summary>
    private static async Task<byte[]?> ReadLimitedAsync(HttpContent content, int limit, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static ManagementException CredentialsRefused(string detail) =>
        Unprocessable("The source registry refused the credentials", detail);

    private static ManagementException Unprocessable(string title, string detail) =>
        new(StatusCodes.Status422UnprocessableEntity, title, detail);

    private static ManagementException BadGateway(string detail) =>
        new(StatusCodes.Status502BadGateway, "The source registry could not be used", detail);
}
