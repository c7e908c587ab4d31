using System.Text.Json.Serialization;
using Registry.Distribution.Core;

namespace Registry.Distribution.Metadata;

/// <summary>The stored metadata documents and the ACR repository API's bodies.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MetadataDocument))]
[JsonSerializable(typeof(PullStatistics))]
[JsonSerializable(typeof(AttributesChange))]
internal sealed partial class MetadataJson : JsonSerializerContext;
