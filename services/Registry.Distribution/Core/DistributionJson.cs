using System.Text.Json.Serialization;
using Registry.Oci;

namespace Registry.Distribution.Core;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(UploadInfo))]
[JsonSerializable(typeof(ManifestDescriptor))]
[JsonSerializable(typeof(Descriptor))]
[JsonSerializable(typeof(Apis.ReferrersIndex))]
[JsonSerializable(typeof(Apis.TagList))]
[JsonSerializable(typeof(Apis.Catalog))]
internal sealed partial class DistributionJson : JsonSerializerContext;
