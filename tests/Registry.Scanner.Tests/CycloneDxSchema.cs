using System.Text.Json;
using Json.Schema;

namespace Registry.Scanner.Tests;

/// <summary>
/// The official CycloneDX 1.5 JSON schema that <c>eng/setup.sh</c> put in <c>.tools/cyclonedx-schema</c>, with the SPDX
/// licence list and JSF schemas it refers to, registered both by their <c>$id</c> and by the relative references the
/// BOM schema uses (<c>spdx.SNAPSHOT.schema.json</c>, <c>jsf-0.82.SNAPSHOT.schema.json</c>), resolved against its own <c>$id</c>.
/// </summary>
public static class CycloneDxSchema
{
    private static readonly Lazy<JsonSchema> Schema = new(Build);

    public static string Directory => Path.Combine(RepositoryPaths.Tools, "cyclonedx-schema");

    /// <summary>Validates <paramref name="document"/>; the test fails with the first errors when it is not a valid CycloneDX 1.5 BOM.</summary>
    public static void AssertValid(JsonElement document)
    {
        var results = Evaluate(document);
        if (results.IsValid)
        {
            return;
        }

        var errors = (results.Details ?? [])
            .Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Key}: {e.Value}"))
            .Take(25);
        Assert.Fail("the SBOM is not valid CycloneDX 1.5:" + Environment.NewLine + string.Join(Environment.NewLine, errors));
    }

    public static EvaluationResults Evaluate(JsonElement document) =>
        Schema.Value.Evaluate(document, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });

    private static JsonSchema Build()
    {
        var bomFile = Path.Combine(Directory, "bom-1.5.SNAPSHOT.schema.json");
        Assert.True(File.Exists(bomFile), $"'{bomFile}' is missing: run `bash eng/setup.sh`");
        var registry = new SchemaRegistry();
        var options = new BuildOptions { SchemaRegistry = registry };
        var bomId = new Uri(IdOf(bomFile));
        foreach (var name in new[] { "spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json" })
        {
            var file = Path.Combine(Directory, name);
            var schema = JsonSchema.FromFile(file, options);
            var byReference = new Uri(bomId, name);
            if (registry.Get(byReference) is null)
            {
                registry.Register(byReference, schema);
            }

            if (registry.Get(new Uri(IdOf(file))) is null)
            {
                registry.Register(new Uri(IdOf(file)), schema);
            }
        }

        return JsonSchema.FromFile(bomFile, options);
    }

    private static string IdOf(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(file));
        return document.RootElement.GetProperty("$id").GetString()!;
    }
}
