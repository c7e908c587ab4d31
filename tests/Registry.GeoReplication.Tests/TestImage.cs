using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Registry.GeoReplication.Tests;

/// <summary>A small OCI image made up on the spot (random config and layer), pushed over the raw API.</summary>
public sealed record TestImage(byte[] Config, byte[] Layer, byte[] Manifest)
{
    public const string MediaType = "application/vnd.oci.image.manifest.v1+json";

    public string Digest => RegionClient.Sha256(Manifest);

    public string ConfigDigest => RegionClient.Sha256(Config);

    public string LayerDigest => RegionClient.Sha256(Layer);

    /// <summary>A new image whose every digest is unique; <paramref name="layerBytes"/> of random layer.</summary>
    public static TestImage Create(int layerBytes = 4096)
    {
        var config = Encoding.UTF8.GetBytes(
            $$$"""{"architecture":"amd64","os":"linux","config":{"Labels":{"test":"{{{Guid.NewGuid():N}}}"}},"rootfs":{"type":"layers","diff_ids":[]}}""");
        return WithLayer(config, RandomNumberGenerator.GetBytes(layerBytes));
    }

    /// <summary>A manifest of <paramref name="config"/> and one layer given by digest and size (pushed separately).</summary>
    public static byte[] ManifestOf(byte[] config, string layerDigest, long layerSize) => Encoding.UTF8.GetBytes(
        $$"""{"schemaVersion":2,"mediaType":"{{MediaType}}","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{RegionClient.Sha256(config)}}","size":{{config.Length}}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{{layerDigest}}","size":{{layerSize}}}]}""");

    /// <summary>An artifact (an SBOM, say) referring to <paramref name="subject"/>: empty config, one random layer, <c>subject</c>.</summary>
    public static TestImage ReferrerOf(TestImage subject)
    {
        var config = Encoding.UTF8.GetBytes("{}");
        var layer = RandomNumberGenerator.GetBytes(512);
        var manifest = Encoding.UTF8.GetBytes(
            "{\"schemaVersion\":2,\"mediaType\":\"" + MediaType + "\",\"artifactType\":\"application/vnd.example.sbom.v1\","
            + "\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"" + RegionClient.Sha256(config) + "\",\"size\":2},"
            + "\"layers\":[{\"mediaType\":\"application/vnd.example.sbom.v1\",\"digest\":\"" + RegionClient.Sha256(layer) + "\",\"size\":" + layer.Length.ToString(CultureInfo.InvariantCulture) + "}],"
            + "\"subject\":{\"mediaType\":\"" + MediaType + "\",\"digest\":\"" + subject.Digest + "\",\"size\":" + subject.Manifest.Length.ToString(CultureInfo.InvariantCulture) + "}}");
        return new TestImage(config, layer, manifest);
    }

    private static TestImage WithLayer(byte[] config, byte[] layer) => new(config, layer, ManifestOf(config, RegionClient.Sha256(layer), layer.Length));

    /// <summary>Pushes the blobs, then the manifest under <paramref name="reference"/> (a tag or the digest); must be 201.</summary>
    public async Task PushAsync(RegionClient region, string repository, string reference)
    {
        await PushBlobsAsync(region, repository);
        await PushManifestAsync(region, repository, reference);
    }

    public async Task PushBlobsAsync(RegionClient region, string repository)
    {
        await region.PushBlobAsync(repository, Config);
        await region.PushBlobAsync(repository, Layer);
    }

    public async Task PushManifestAsync(RegionClient region, string repository, string reference)
    {
        var put = await region.PutManifestAsync(repository, reference, Manifest, MediaType);
        Assert.True(put.Status == HttpStatusCode.Created, put.Describe($"PUT manifest {repository}:{reference}"));
    }
}
