using Microsoft.Extensions.Options;
using Registry.Oci;
using Registry.Security;
using Yarp.ReverseProxy;

namespace Registry.Gateway;

/// <summary>
/// The proxy step that answers a repeated manifest <c>HEAD</c> from <see cref="ManifestReadCache"/> (ADR 0019): only to a
/// request whose token grants pull on the repository (checked here as distribution checks it), only in the region the
/// request was routed to. Every other request goes on to distribution; its successful manifest reads are kept, and its
/// manifest writes, and any write outside <c>/v2</c>, drop what was kept before and after they are forwarded, so a
/// client that pushed through this gateway reads its own push.
/// </summary>
internal sealed class ManifestReads(
    ManifestReadCache cache, RegistryHosts hosts, AccessTokenValidator tokens, IOptions<AccessTokenOptions> tokenOptions)
{
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var cluster = context.GetReverseProxyFeature().Cluster.Config.ClusterId;
        if (!cache.IsEnabled || !cluster.StartsWith(GatewayExtensions.DistributionCluster, StringComparison.Ordinal))
        {
            await next();
            return;
        }

        var request = context.Request;
        var manifest = ManifestPath(request.Path);
        var registry = hosts.Resolve(request.Host).Registry;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            await ForwardWriteAsync(registry, manifest?.Repository, request.Path.StartsWithSegments("/v2"), next);
            return;
        }

        if (manifest is not { } read || registry is null || !cache.IsServing || await MayPullAsync(request, registry, read.Repository) is not { } mayFill)
        {
            await next();
            return;
        }

        var key = new ManifestReadCache.EntryKey(cluster, registry, read.Repository, read.Reference);
        if (HttpMethods.IsHead(request.Method) && cache.TryServe(context, key))
        {
            return;
        }

        var ticket = cache.TicketFor(registry, read.Repository);
        await next();
        if (mayFill && context.Response.StatusCode == StatusCodes.Status200OK)
        {
            cache.Add(key, ticket, context.Response.Headers);
        }
    }

    private async Task ForwardWriteAsync(string? registry, string? manifestRepository, bool isV2, Func<Task> next)
    {
        // Management calls (repository deletes, purges, restores, locks) may change any manifest's answer; blob and upload
        // writes change none.
        Action? invalidate = !isV2 ? cache.InvalidateAll
            : manifestRepository is not null && registry is not null ? () => cache.InvalidateRepository(registry, manifestRepository)
            : null;
        invalidate?.Invoke();
        try
        {
            await next();
        }
        finally
        {
            // Also when the client went away mid-request: distribution may have written all the same.
            invalidate?.Invoke();
        }
    }

    /// <summary>
    /// Null when the request may not be answered here (distribution gives the challenge); else whether its answer may be
    /// kept for others: not when the token also reads quarantined images, which others may not see.
    /// </summary>
    private async Task<bool?> MayPullAsync(HttpRequest request, string registry, string repository)
    {
        if (!tokenOptions.Value.Enabled)
        {
            return true;
        }

        var check = await tokens.ValidateBearerAsync(request.Headers.Authorization.ToString(), hosts.LoginServer(registry), request.HttpContext.RequestAborted);
        if (check?.Grant is not { } grant || !grant.Allows(RegistryActions.RepositoryType, repository, RegistryActions.Pull))
        {
            return null;
        }

        return !grant.Allows(RegistryActions.RepositoryType, repository, RegistryActions.QuarantineRead);
    }

    /// <summary><c>/v2/&lt;name&gt;/manifests/&lt;reference&gt;</c> with a valid name and reference, else null.</summary>
    private static (string Repository, string Reference)? ManifestPath(PathString path)
    {
        var value = path.Value;
        if (value is null || !value.StartsWith("/v2/", StringComparison.Ordinal))
        {
            return null;
        }

        var marker = value.LastIndexOf("/manifests/", StringComparison.Ordinal);
        if (marker <= "/v2".Length)
        {
            return null;
        }

        var repository = value["/v2/".Length..marker];
        var reference = value[(marker + "/manifests/".Length)..];
        return OciGrammar.IsRepositoryName(repository) && (OciGrammar.IsTag(reference) || Digest.TryParse(reference, out _))
            ? (repository, reference)
            : null;
    }
}
