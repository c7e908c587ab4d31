using Microsoft.Extensions.Options;
using Registry.Distribution.Core;
using Registry.Oci;
using Registry.Scanner.Database;
using Registry.Scanner.Scanning;
using Registry.Security;

namespace Registry.Scanner.Apis;

/// <summary>
/// Scan results per registry (<c>/api/registries/{registry}/scans</c>) and the platform's vulnerability database
/// (<c>/api/vulnerabilities</c>). Callers authenticate as for every management call; the database belongs to the
/// platform operator, who is an owner of the default registry (<see cref="RegistryHostOptions.DefaultRegistry"/>).
/// </summary>
internal static class ScannerApi
{
    public static IEndpointRouteBuilder MapScannerApi(this IEndpointRouteBuilder endpoints)
    {
        var scans = endpoints.MapGroup("/api/registries/{registry}/scans").AddEndpointFilter(ManagementFilter.AuthorizeRouteRegistryAsync).DisableAntiforgery();
        scans.MapPost("", Scan).WithName("ScanImage");
        scans.MapGet("/policy", GetPolicy).WithName("GetImagePolicy");
        scans.MapPut("/policy", PutPolicy).WithName("SetImagePolicy");
        scans.MapGet("/{digest}", GetReport).WithName("GetScanReport");

        var database = endpoints.MapGroup("/api/vulnerabilities").AddEndpointFilter(AuthorizeOperatorAsync).DisableAntiforgery();
        database.MapGet("", GetDatabase).WithName("GetVulnerabilityDatabase");
        database.MapPost("/imports", Import).WithName("ImportVulnerabilities");
        return endpoints;
    }

    internal sealed record ScanRequest(string? Repository, string? Reference);

    internal static async Task<IResult> Scan(string registry, ScanRequest? request, ImageScanner scanner, CancellationToken cancellationToken)
    {
        if (request?.Repository is not { } repository || !OciGrammar.IsRepositoryName(repository))
        {
            throw ManagementException.Invalid("'repository' must be a repository name");
        }

        Reference reference;
        try
        {
            reference = Reference.Parse(request.Reference ?? "latest");
        }
        catch (OciException ex)
        {
            throw ManagementException.Invalid($"'reference' must be a tag or a digest: {ex.Message}");
        }

        try
        {
            var reports = await scanner.ScanAsync(new RepositoryPath(registry, repository), reference, cancellationToken);
            return TypedResults.Ok(new { reports });
        }
        catch (OciException ex) when (ex.Error == OciErrorCode.ManifestUnknown)
        {
            throw ManagementException.NotFound($"{repository}:{reference}");
        }
    }

    internal static async Task<IResult> GetReport(string registry, string digest, ScanStore store, CancellationToken cancellationToken)
    {
        if (!Digest.TryParse(digest, out var parsed))
        {
            throw ManagementException.Invalid($"'{digest}' is not a digest");
        }

        return await store.FindReportAsync(registry, parsed, cancellationToken) is { } report
            ? TypedResults.Ok(report)
            : throw ManagementException.NotFound($"a scan of {digest}");
    }

    internal static async Task<IResult> GetPolicy(string registry, ScanStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.PolicyAsync(registry, cancellationToken));

    /// <summary><c>{"quarantine":true,"blockSeverity":"HIGH","allowlist":["CVE-…"],"blockUnscanned":false}</c>; takes effect within seconds.</summary>
    internal static async Task<IResult> PutPolicy(string registry, ScanPolicy? policy, ScanStore store, CancellationToken cancellationToken)
    {
        if (policy is null)
        {
            throw ManagementException.Invalid("the body must be {\"quarantine\":bool,\"blockSeverity\":\"CRITICAL|HIGH|MEDIUM|LOW\"|null,\"allowlist\":[ids],\"blockUnscanned\":bool}");
        }

        if (policy.BlockSeverity is { } severity && ScanPolicy.RankOf(severity.ToUpperInvariant()) == 0)
        {
            throw ManagementException.Invalid($"'blockSeverity' must be one of {string.Join(", ", ScanPolicy.Severities)} or null, not '{severity}'");
        }

        var normalized = policy with
        {
            BlockSeverity = policy.BlockSeverity?.ToUpperInvariant(),
            Allowlist = (policy.Allowlist ?? []).Select(id => id.Trim()).Where(id => id.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList(),
        };
        await store.SavePolicyAsync(registry, normalized, cancellationToken);
        return TypedResults.Ok(normalized);
    }

    internal static IResult GetDatabase(VulnerabilityDatabase database) =>
        TypedResults.Ok(new
        {
            version = database.Version,
            updatedAt = database.Record?.UpdatedAt,
            advisories = database.Index.Count,
            sources = database.Record?.Sources ?? [],
        });

    /// <summary>The body is OSV JSON (one record or an array) or a zip of OSV files, as osv.dev publishes them; every image scanned before is rescanned.</summary>
    internal static async Task<IResult> Import(HttpRequest request, VulnerabilityDatabase database, IOptions<ScannerOptions> options, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } length && length > options.Value.MaxImportBytes)
        {
            throw new ManagementException(StatusCodes.Status413PayloadTooLarge, "Too large", $"an import may be at most {options.Value.MaxImportBytes} bytes");
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        if (buffer.Length == 0)
        {
            throw ManagementException.Invalid("the body must be OSV JSON or a zip archive of OSV JSON files");
        }

        var record = await database.ImportAsync(buffer.ToArray(), request.ContentType ?? "application/json", cancellationToken);
        return TypedResults.Created("/api/vulnerabilities", new { version = record.Version, updatedAt = record.UpdatedAt, advisories = database.Index.Count, sources = record.Sources });
    }

    /// <summary>Reading needs Reader; scanning on demand and importing change things.</summary>
    private static ValueTask<object?> AuthorizeOperatorAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        ManagementFilter.AuthorizeAsync(
            context,
            next,
            context.HttpContext.RequestServices.GetRequiredService<IOptions<RegistryHostOptions>>().Value.DefaultRegistry,
            changes: !HttpMethods.IsGet(context.HttpContext.Request.Method));
}
