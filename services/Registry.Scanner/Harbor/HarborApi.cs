using System.Text.Json;
using Registry.Scanner.Database;
using Registry.Security;

namespace Registry.Scanner.Harbor;

/// <summary>
/// The Harbor pluggable scanner API v1.2 under <c>/api/v1</c>, so Harbor (or any registry speaking it) can use this
/// scanner: metadata, scan requests (asynchronous), and reports — vulnerabilities (<c>version=1.1</c>) and a CycloneDX
/// SBOM. Callers authenticate like management callers of the default registry (Reader is enough): register the scanner
/// in Harbor with such a credential.
/// </summary>
internal static class HarborApi
{
    public static IEndpointRouteBuilder MapHarborApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/v1").AddEndpointFilter(AuthorizeAsync).DisableAntiforgery();
        group.MapGet("/metadata", Metadata).WithName("HarborMetadata");
        group.MapPost("/scan", Scan).WithName("HarborScan");
        group.MapGet("/scan/{id}/report", Report).WithName("HarborScanReport");
        return endpoints;
    }

    internal static IResult Metadata(VulnerabilityDatabase database) => Json(StatusCodes.Status200OK, HarborMediaTypes.Metadata, new Dictionary<string, object>
    {
        ["scanner"] = HarborScans.Scanner,
        ["capabilities"] = new object[]
        {
            new Dictionary<string, object>
            {
                ["type"] = "vulnerability",
                ["consumes_mime_types"] = new[] { HarborMediaTypes.OciManifest, HarborMediaTypes.DockerManifest },
                ["produces_mime_types"] = new[] { HarborMediaTypes.HarborVulnerabilityReport, HarborMediaTypes.VulnerabilityReport },
            },
            new Dictionary<string, object>
            {
                ["type"] = "sbom",
                ["consumes_mime_types"] = new[] { HarborMediaTypes.OciManifest, HarborMediaTypes.DockerManifest },
                ["produces_mime_types"] = new[] { HarborMediaTypes.SbomReport },
                ["additional_attributes"] = new Dictionary<string, object> { ["sbom_media_types"] = new[] { HarborMediaTypes.CycloneDx } },
            },
        },
        ["properties"] = new Dictionary<string, string>
        {
            ["harbor.scanner-adapter/scanner-type"] = "os-package-vulnerability",
            ["harbor.scanner-adapter/vulnerability-database-updated-at"] = (database.Record?.UpdatedAt ?? DateTimeOffset.UnixEpoch).ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["env.DatabaseVersion"] = database.Version,
        },
    });

    internal static async Task<IResult> Scan(HttpRequest request, HarborScans scans, CancellationToken cancellationToken)
    {
        HarborScanRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync(request.Body, HarborJson.Default.HarborScanRequest, cancellationToken);
        }
        catch (JsonException ex)
        {
            return Error(StatusCodes.Status400BadRequest, $"the body is not a scan request: {ex.Message}");
        }

        if (body is null)
        {
            return Error(StatusCodes.Status400BadRequest, "the body is not a scan request");
        }

        try
        {
            var job = await scans.StartAsync(body, cancellationToken);
            return Json(StatusCodes.Status202Accepted, HarborMediaTypes.ScanResponse, new Dictionary<string, string> { ["id"] = job.Id });
        }
        catch (HarborException ex)
        {
            return Error(ex.Status, ex.Message);
        }
    }

    /// <summary>302 with <c>Refresh-After</c> while running; the report the <c>Accept</c> header asks for once done; 500 with the reason when it failed.</summary>
    internal static async Task<IResult> Report(string id, HttpContext context, HarborScans scans, CancellationToken cancellationToken)
    {
        if (await scans.FindAsync(id, cancellationToken) is not { } job)
        {
            return Error(StatusCodes.Status404NotFound, $"no scan request {id}");
        }

        var accept = context.Request.Headers.Accept.ToString();
        var wantsSbom = accept.Contains("sbom.report", StringComparison.OrdinalIgnoreCase);
        if (wantsSbom && context.Request.Query["sbom_media_type"].ToString() is var sbomType && sbomType != HarborMediaTypes.CycloneDx)
        {
            return Error(StatusCodes.Status400BadRequest, $"sbom_media_type must be {HarborMediaTypes.CycloneDx}{(sbomType.Length == 0 ? "" : $", not {sbomType}")}");
        }

        if (!wantsSbom && accept.Length > 0 && !accept.Contains("*/*", StringComparison.Ordinal)
            && !accept.Contains("vulnerability.report", StringComparison.OrdinalIgnoreCase) && !accept.Contains("vuln.report.harbor", StringComparison.OrdinalIgnoreCase))
        {
            return Error(StatusCodes.Status501NotImplemented, $"reports of type {accept} are not produced");
        }

        switch (job.Status)
        {
            case HarborScans.Running:
                context.Response.Headers["Refresh-After"] = "2";
                return Results.StatusCode(StatusCodes.Status302Found);
            case HarborScans.Failed:
                return Error(StatusCodes.Status500InternalServerError, job.Error ?? "the scan failed");
        }

        if (wantsSbom)
        {
            return Json(StatusCodes.Status200OK, HarborMediaTypes.SbomReport, new Dictionary<string, object?>
            {
                ["generated_at"] = job.Vulnerabilities?.GeneratedAt,
                ["artifact"] = job.Artifact,
                ["scanner"] = HarborScans.Scanner,
                ["media_type"] = HarborMediaTypes.CycloneDx,
                ["sbom"] = job.Sbom,
            });
        }

        var type = accept.Contains("vuln.report.harbor", StringComparison.OrdinalIgnoreCase) ? HarborMediaTypes.HarborVulnerabilityReport : HarborMediaTypes.VulnerabilityReport;
        return Json(StatusCodes.Status200OK, type, job.Vulnerabilities);
    }

    private static IResult Json(int status, string contentType, object? value) =>
        Results.Text(JsonSerializer.Serialize(value, Options), contentType, System.Text.Encoding.UTF8, status);

    private static IResult Error(int status, string message) =>
        Json(status, HarborMediaTypes.Error, new Dictionary<string, object> { ["error"] = new Dictionary<string, string> { ["message"] = message } });

    private static readonly JsonSerializerOptions Options = new()
    {
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // media types keep their '+'
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private static async ValueTask<object?> AuthorizeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var registry = http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<RegistryHostOptions>>().Value.DefaultRegistry;
        var decision = await http.RequestServices.GetRequiredService<IManagementAuthorizer>().AuthorizeAsync(http, registry, changes: false);
        return decision.IsAllowed ? await next(context) : Error(decision.Status, decision.Detail ?? decision.Title ?? "not allowed");
    }
}
