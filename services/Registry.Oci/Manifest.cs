using System.Text.Json;

namespace Registry.Oci;

/// <summary>What the registry needs to know of a pushed manifest, after validation.</summary>
public sealed record Manifest
{
    public required string MediaType { get; init; }

    public Descriptor? Config { get; init; }

    public IReadOnlyList<Descriptor> Layers { get; init; } = [];

    /// <summary>Children of an index or manifest list.</summary>
    public IReadOnlyList<Descriptor> Manifests { get; init; } = [];

    public Descriptor? Subject { get; init; }

    /// <summary>The artifact type the referrers API reports: <c>artifactType</c>, else the config's media type.</summary>
    public string? ArtifactType { get; init; }

    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    public bool IsIndex => MediaTypes.IsIndex(MediaType);

    /// <summary>Blobs that must exist in the repository before the manifest is accepted.</summary>
    public IEnumerable<Descriptor> RequiredBlobs =>
        (Config is null ? [] : new[] { Config }).Concat(Layers.Where(layer => layer.Urls is not { Count: > 0 }));
}

/// <summary>Parses and validates image manifests, indexes and Docker schema 2 manifests and lists.</summary>
public static class ManifestParser
{
    public const int MaxManifestBytes = 4 * 1024 * 1024;

    /// <param name="content">The manifest exactly as pushed.</param>
    /// <param name="contentType">The request's Content-Type, possibly empty.</param>
    public static Manifest Parse(ReadOnlySpan<byte> content, string? contentType)
    {
        var declared = MediaTypes.Normalize(contentType);
        if (MediaTypes.IsSchema1(declared))
        {
            throw Schema1();
        }

        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(content, new JsonReaderOptions { MaxDepth = 64 });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException ex)
        {
            throw Invalid($"manifest is not valid JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid("manifest must be a JSON object");
            }

            if (!root.TryGetProperty("schemaVersion", out var schemaVersion) || schemaVersion.ValueKind != JsonValueKind.Number)
            {
                throw Invalid("manifest has no schemaVersion");
            }

            if (schemaVersion.TryGetInt32(out var version) && version == 1)
            {
                throw Schema1();
            }

            if (version != 2)
            {
                throw Invalid($"schemaVersion {schemaVersion.GetRawText()} is not supported; it must be 2");
            }

            var field = OptionalString(root, "mediaType");
            var mediaType = ResolveMediaType(declared, field, root);
            var manifest = MediaTypes.IsIndex(mediaType) ? ParseIndex(root, mediaType) : ParseImage(root, mediaType);
            return manifest;
        }
    }

    private static string ResolveMediaType(string declared, string? field, JsonElement root)
    {
        if (field is not null && MediaTypes.IsSchema1(field))
        {
            throw Schema1();
        }

        if (field is not null && !MediaTypes.IsSupportedManifest(field))
        {
            throw new OciException(OciErrorCode.ManifestInvalid, $"manifest mediaType '{field}' is not supported", field);
        }

        var declaredIsManifest = MediaTypes.IsSupportedManifest(declared);
        if (declaredIsManifest && field is not null && field != declared)
        {
            throw new OciException(
                OciErrorCode.ManifestInvalid,
                $"Content-Type '{declared}' does not match the manifest's mediaType '{field}'",
                new { contentType = declared, mediaType = field });
        }

        if (declaredIsManifest)
        {
            return declared;
        }

        if (field is not null)
        {
            return field;
        }

        if (declared.Length > 0 && declared != MediaTypes.Json && declared != MediaTypes.OctetStream)
        {
            throw new OciException(OciErrorCode.UnsupportedMediaType, $"manifest media type '{declared}' is not supported", declared);
        }

        // OCI allows the mediaType field to be absent; the shape tells index from image manifest.
        return root.TryGetProperty("manifests", out _) ? MediaTypes.OciIndex : MediaTypes.OciManifest;
    }

    private static Manifest ParseImage(JsonElement root, string mediaType)
    {
        if (!root.TryGetProperty("config", out var configElement))
        {
            throw Invalid("image manifest has no config descriptor");
        }

        var config = ParseDescriptor(configElement, "config");
        // The image-spec schema requires "layers" (it may be empty, as artifacts' often is); Docker schema 2 requires it too.
        var layers = ParseDescriptors(root, "layers", required: true);
        if (root.TryGetProperty("manifests", out _))
        {
            throw Invalid("image manifest must not have a manifests field");
        }

        var artifactType = OptionalString(root, "artifactType");
        return new Manifest
        {
            MediaType = mediaType,
            Config = config,
            Layers = layers,
            Subject = OptionalDescriptor(root, "subject"),
            ArtifactType = artifactType ?? config.MediaType,
            Annotations = ParseAnnotations(root),
        };
    }

    private static Manifest ParseIndex(JsonElement root, string mediaType)
    {
        if (root.TryGetProperty("config", out _) || root.TryGetProperty("layers", out _))
        {
            throw Invalid("an index must not have config or layers");
        }

        return new Manifest
        {
            MediaType = mediaType,
            Manifests = ParseDescriptors(root, "manifests", required: true),
            Subject = OptionalDescriptor(root, "subject"),
            ArtifactType = OptionalString(root, "artifactType"),
            Annotations = ParseAnnotations(root),
        };
    }

    private static List<Descriptor> ParseDescriptors(JsonElement root, string property, bool required)
    {
        if (!root.TryGetProperty(property, out var array) || array.ValueKind == JsonValueKind.Null)
        {
            return required ? throw Invalid($"manifest has no {property} array") : [];
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            throw Invalid($"{property} must be an array");
        }

        var result = new List<Descriptor>(array.GetArrayLength());
        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            result.Add(ParseDescriptor(item, $"{property}[{index++}]"));
        }

        return result;
    }

    private static Descriptor? OptionalDescriptor(JsonElement root, string property) =>
        root.TryGetProperty(property, out var element) && element.ValueKind != JsonValueKind.Null
            ? ParseDescriptor(element, property)
            : null;

    private static Descriptor ParseDescriptor(JsonElement element, string where)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Invalid($"{where} must be a descriptor object");
        }

        var mediaType = OptionalString(element, "mediaType") ?? throw Invalid($"{where} has no mediaType");
        var digestText = OptionalString(element, "digest") ?? throw Invalid($"{where} has no digest");
        if (!Digest.TryParse(digestText, out _, out var digestError))
        {
            throw Invalid($"{where}.digest is invalid: {digestError}");
        }

        if (!element.TryGetProperty("size", out var sizeElement) || sizeElement.ValueKind != JsonValueKind.Number ||
            !sizeElement.TryGetInt64(out var size) || size < 0)
        {
            throw Invalid($"{where} must have a non-negative integer size");
        }

        List<string>? urls = null;
        if (element.TryGetProperty("urls", out var urlsElement) && urlsElement.ValueKind == JsonValueKind.Array)
        {
            urls = [.. urlsElement.EnumerateArray().Select(u => u.ValueKind == JsonValueKind.String
                ? u.GetString()!
                : throw Invalid($"{where}.urls must be an array of strings"))];
        }

        Platform? platform = null;
        if (element.TryGetProperty("platform", out var platformElement) && platformElement.ValueKind == JsonValueKind.Object)
        {
            platform = new Platform
            {
                Architecture = OptionalString(platformElement, "architecture"),
                Os = OptionalString(platformElement, "os"),
                Variant = OptionalString(platformElement, "variant"),
            };
        }

        return new Descriptor
        {
            MediaType = mediaType,
            Digest = digestText,
            Size = size,
            ArtifactType = OptionalString(element, "artifactType"),
            Annotations = ParseAnnotations(element),
            Urls = urls,
            Platform = platform,
        };
    }

    private static Dictionary<string, string>? ParseAnnotations(JsonElement element)
    {
        if (!element.TryGetProperty("annotations", out var annotations) || annotations.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (annotations.ValueKind != JsonValueKind.Object)
        {
            throw Invalid("annotations must be an object of strings");
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in annotations.EnumerateObject())
        {
            result[property.Name] = property.Value.ValueKind == JsonValueKind.String
                ? property.Value.GetString()!
                : throw Invalid($"annotation '{property.Name}' must be a string");
        }

        return result;
    }

    private static string? OptionalString(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static OciException Invalid(string message) => new(OciErrorCode.ManifestInvalid, message);

    private static OciException Schema1() => new(
        OciErrorCode.ManifestInvalid,
        "Docker image manifest schema 1 is deprecated and not accepted; push with a current client (Docker schema 2 or OCI)",
        MediaTypes.DockerSchema1);
}
