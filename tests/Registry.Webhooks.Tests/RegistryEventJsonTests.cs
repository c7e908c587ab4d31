using System.Text;
using System.Text.Json;
using Registry.Contracts;
using Registry.Messaging;

namespace Registry.Webhooks.Tests;

/// <summary>Events at rest (outbox entries): type name plus JSON, read back as the same event.</summary>
public sealed class RegistryEventJsonTests
{
    [Fact]
    public void Every_event_type_has_a_sample_here()
    {
        Assert.Equal(
            RegistryEventTypes.ByName.Keys.Order(StringComparer.Ordinal),
            SampleEvents.All().Select(registryEvent => registryEvent.GetType().Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_event_type_survives_a_round_trip()
    {
        foreach (var original in SampleEvents.All())
        {
            var json = RegistryEventJson.Serialize(original);
            var read = RegistryEventJson.Deserialize(json);

            Assert.IsType(original.GetType(), read);
            Assert.Equal(original.EventId, read.EventId);
            Assert.Equal(original.Registry, read.Registry);
            Assert.Equal(original.Region, read.Region);
            Assert.Equal(original.Repository, read.Repository);
            Assert.Equal(original.OccurredAt, read.OccurredAt);
            Assert.Equal(original.Actor, read.Actor);
            Assert.Equal(original.Request, read.Request);
            Assert.Equal(original.Source, read.Source);
            Assert.Equal(Encoding.UTF8.GetString(json), Encoding.UTF8.GetString(RegistryEventJson.Serialize(read)));
        }
    }

    [Fact]
    public void Type_specific_fields_survive_a_round_trip()
    {
        var pushed = Assert.IsType<ManifestPushed>(RegistryEventJson.Deserialize(RegistryEventJson.Serialize(SampleEvents.Pushed())));
        Assert.Equal(SampleEvents.Pushed(), pushed);

        var deleted = Assert.IsType<ManifestDeleted>(RegistryEventJson.Deserialize(RegistryEventJson.Serialize(SampleEvents.Deleted())));
        Assert.Equal(["v1", "latest"], deleted.Tags);
        Assert.Equal(SampleEvents.Digest, deleted.Digest);
        Assert.Equal("application/vnd.oci.image.config.v1+json", deleted.ArtifactType);

        var chart = Assert.IsType<ChartPushed>(RegistryEventJson.Deserialize(RegistryEventJson.Serialize(SampleEvents.ChartPushed())));
        Assert.Equal(("mychart", "0.1.0", 987L), (chart.ChartName, chart.ChartVersion, chart.Size));

        var chartDeleted = Assert.IsType<ChartDeleted>(RegistryEventJson.Deserialize(RegistryEventJson.Serialize(SampleEvents.ChartDeleted())));
        Assert.Equal(["0.1.0"], chartDeleted.Tags);
    }

    [Fact]
    public void Null_fields_are_left_out_and_stay_null()
    {
        var bare = SampleEvents.Pushed(tag: null) with { ArtifactType = null, Subject = null, Actor = null, Request = null, Source = null };
        var json = RegistryEventJson.Serialize(bare);
        using var document = JsonDocument.Parse(json);
        var properties = document.RootElement.GetProperty("event").EnumerateObject().Select(property => property.Name).ToList();
        Assert.DoesNotContain("tag", properties);
        Assert.DoesNotContain("actor", properties);
        Assert.Equal("ManifestPushed", document.RootElement.GetProperty("type").GetString());

        var read = Assert.IsType<ManifestPushed>(RegistryEventJson.Deserialize(json));
        Assert.Equal(bare, read);
    }

    [Theory]
    [InlineData("""{"type":"NoSuchEvent","event":{}}""", "unknown event type 'NoSuchEvent'")]
    [InlineData("null", "empty event envelope")]
    public void An_unknown_or_empty_envelope_is_refused(string json, string message)
    {
        var error = Assert.Throws<JsonException>(() => RegistryEventJson.Deserialize(Encoding.UTF8.GetBytes(json)));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
