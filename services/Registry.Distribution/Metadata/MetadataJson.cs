using System.Text.Json.Serialization;
using Registry.Distribution.Apis;
using Registry.Distribution.Core;

namespace Registry.Distribution.Metadata;

/// <summary>The stored metadata documents and the ACR repository API's bodies.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MetadataDocument))]
[JsonSerializable(typeof(PullStatistics))]
[JsonSerializable(typeof(AttributesChange))]
[JsonSerializable(typeof(AcrRepository))]
[JsonSerializable(typeof(AcrTagList))]
[JsonSerializable(typeof(AcrTagResult))]
[JsonSerializable(typeof(AcrManifestList))]
[JsonSerializable(typeof(AcrManifestResult))]
[JsonSerializable(typeof(DeletedRepository))]
[JsonSerializable(typeof(ImageConfig))]
internal sealed partial class MetadataJson : JsonSerializerContext;
