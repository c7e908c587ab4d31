using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Registry.Webhooks.Model;

namespace Registry.Webhooks.Tests;

/// <summary>What a registry event becomes on the wire: ACR's webhook JSON, or a CloudEvent carrying it as <c>data</c>.</summary>
public sealed class WebhookEventTests
{
    [Fact]
    public void A_push_renders_ACR_push_payload_with_length_equal_to_size()
    {
        var (body, contentType) = WebhookEvent.From(SampleEvents.Pushed()).Render(PayloadFormats.Acr);

        Assert.Equal("application/json", contentType);
        var root = Parse(body);
        Assert.Equal(["id", "timestamp", "action", "target", "request", "actor", "source"], Names(root));
        Assert.Equal("11111111-2222-3333-4444-555555555555", root.GetProperty("id").GetString());
        Assert.Equal(SampleEvents.At, root.GetProperty("timestamp").GetDateTimeOffset());
        Assert.Equal("push", root.GetProperty("action").GetString());

        var target = root.GetProperty("target");
        Assert.Equal(["mediaType", "size", "digest", "length", "repository", "tag"], Names(target));
        Assert.Equal(SampleEvents.ManifestMediaType, target.GetProperty("mediaType").GetString());
        Assert.Equal(1234, target.GetProperty("size").GetInt64());
        Assert.Equal(1234, target.GetProperty("length").GetInt64());
        Assert.Equal(SampleEvents.Digest, target.GetProperty("digest").GetString());
        Assert.Equal("samples/hello", target.GetProperty("repository").GetString());
        Assert.Equal("v1", target.GetProperty("tag").GetString());

        var request = root.GetProperty("request");
        Assert.Equal(["id", "host", "method", "useragent"], Names(request));
        Assert.Equal("req-42", request.GetProperty("id").GetString());
        Assert.Equal("contoso.example.com", request.GetProperty("host").GetString());
        Assert.Equal("PUT", request.GetProperty("method").GetString());
        Assert.Equal("docker/27.0 go/go1.22", request.GetProperty("useragent").GetString());

        Assert.Equal("admin", root.GetProperty("actor").GetProperty("name").GetString());
        Assert.Equal("dist-1", root.GetProperty("source").GetProperty("addr").GetString());
        Assert.Equal(SampleEvents.Source.InstanceId, root.GetProperty("source").GetProperty("instanceID").GetString());
    }

    [Fact]
    public void A_quarantined_image_renders_ACR_quarantine_payload_and_the_ImageQuarantined_cloud_event()
    {
        var webhookEvent = WebhookEvent.From(SampleEvents.Quarantined());
        Assert.Equal(["v1"], webhookEvent.Tags);

        var root = Parse(webhookEvent.Render(PayloadFormats.Acr).Body);
        Assert.Equal("quarantine", root.GetProperty("action").GetString());
        var target = root.GetProperty("target");
        Assert.Equal(["mediaType", "size", "digest", "length", "repository", "tag"], Names(target));
        Assert.Equal(SampleEvents.Digest, target.GetProperty("digest").GetString());
        Assert.Equal("samples/hello", target.GetProperty("repository").GetString());
        Assert.Equal("v1", target.GetProperty("tag").GetString());

        var cloudEvent = Parse(webhookEvent.Render(PayloadFormats.CloudEvents).Body);
        Assert.Equal("Microsoft.ContainerRegistry.ImageQuarantined", cloudEvent.GetProperty("type").GetString());
    }

    [Fact]
    public void Media_types_keep_their_plus_unescaped_as_ACR_writes_them()
    {
        var text = Encoding.UTF8.GetString(WebhookEvent.From(SampleEvents.Pushed()).Render(PayloadFormats.Acr).Body);
        Assert.Contains("\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u002B", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_push_by_digest_has_no_tag_and_touches_no_tags()
    {
        var webhookEvent = WebhookEvent.From(SampleEvents.Pushed(tag: null));
        Assert.Empty(webhookEvent.Tags);
        var target = Parse(webhookEvent.Render(PayloadFormats.Acr).Body).GetProperty("target");
        Assert.False(target.TryGetProperty("tag", out _));
        Assert.Equal(1234, target.GetProperty("length").GetInt64());
    }

    [Fact]
    public void A_manifest_delete_renders_a_delete_without_size_length_or_tag()
    {
        var webhookEvent = WebhookEvent.From(SampleEvents.Deleted());
        Assert.Equal("delete", webhookEvent.Action);
        Assert.Equal(["v1", "latest"], webhookEvent.Tags);

        var root = Parse(webhookEvent.Render(PayloadFormats.Acr).Body);
        Assert.Equal("delete", root.GetProperty("action").GetString());
        var target = root.GetProperty("target");
        Assert.Equal(["mediaType", "digest", "repository"], Names(target));
        Assert.Equal(SampleEvents.Digest, target.GetProperty("digest").GetString());
        Assert.Equal("DELETE", root.GetProperty("request").GetProperty("method").GetString());
    }

    [Fact]
    public void A_tag_delete_renders_a_delete_naming_the_tag()
    {
        var webhookEvent = WebhookEvent.From(SampleEvents.Untagged());
        Assert.Equal("delete", webhookEvent.Action);
        Assert.Equal(["v1"], webhookEvent.Tags);
        var target = Parse(webhookEvent.Render(PayloadFormats.Acr).Body).GetProperty("target");
        Assert.Equal(["mediaType", "digest", "repository", "tag"], Names(target));
        Assert.Equal("v1", target.GetProperty("tag").GetString());
    }

    [Fact]
    public void A_repository_delete_renders_a_delete_naming_only_the_repository()
    {
        var webhookEvent = WebhookEvent.From(SampleEvents.RepositoryDeleted());
        Assert.Equal("delete", webhookEvent.Action);
        Assert.Empty(webhookEvent.Tags);
        var target = Parse(webhookEvent.Render(PayloadFormats.Acr).Body).GetProperty("target");
        Assert.Equal(["repository"], Names(target));
    }

    [Fact]
    public void Chart_events_render_chart_push_and_chart_delete_with_the_chart_name()
    {
        var pushed = Parse(WebhookEvent.From(SampleEvents.ChartPushed()).Render(PayloadFormats.Acr).Body);
        Assert.Equal("chart_push", pushed.GetProperty("action").GetString());
        var target = pushed.GetProperty("target");
        Assert.Equal(["mediaType", "size", "digest", "length", "repository", "tag", "name", "version"], Names(target));
        Assert.Equal("mychart", target.GetProperty("name").GetString());
        Assert.Equal("0.1.0", target.GetProperty("version").GetString());
        Assert.Equal(987, target.GetProperty("length").GetInt64());

        var deleted = WebhookEvent.From(SampleEvents.ChartDeleted());
        Assert.Equal("chart_delete", deleted.Action);
        Assert.Equal(["0.1.0"], deleted.Tags);
        var deletedTarget = Parse(deleted.Render(PayloadFormats.Acr).Body).GetProperty("target");
        Assert.Equal(["mediaType", "digest", "repository", "name"], Names(deletedTarget));
    }

    [Fact]
    public void An_event_without_actor_request_or_source_leaves_them_out()
    {
        var anonymous = SampleEvents.Pushed() with { Actor = null, Request = null, Source = null };
        var root = Parse(WebhookEvent.From(anonymous).Render(PayloadFormats.Acr).Body);
        Assert.Equal(["id", "timestamp", "action", "target"], Names(root));
    }

    [Fact]
    public void A_ping_is_an_id_a_time_and_the_action()
    {
        var id = Guid.NewGuid();
        var root = Parse(WebhookEvent.Ping("contoso", id, SampleEvents.At).Render(PayloadFormats.Acr).Body);
        Assert.Equal(["id", "timestamp", "action"], Names(root));
        Assert.Equal(id, root.GetProperty("id").GetGuid());
        Assert.Equal("ping", root.GetProperty("action").GetString());
    }

    [Fact]
    public void A_push_as_CloudEvent_carries_the_ACR_payload_as_data()
    {
        var webhookEvent = WebhookEvent.From(SampleEvents.Pushed());
        var (body, contentType) = webhookEvent.Render(PayloadFormats.CloudEvents);

        Assert.Equal("application/cloudevents+json; charset=utf-8", contentType);
        var root = Parse(body);
        Assert.Equal(["specversion", "id", "source", "type", "subject", "time", "datacontenttype", "data"], Names(root));
        Assert.Equal("1.0", root.GetProperty("specversion").GetString());
        Assert.Equal("11111111-2222-3333-4444-555555555555", root.GetProperty("id").GetString());
        Assert.Equal("/registries/contoso", root.GetProperty("source").GetString());
        Assert.Equal("Microsoft.ContainerRegistry.ImagePushed", root.GetProperty("type").GetString());
        Assert.Equal("samples/hello:v1", root.GetProperty("subject").GetString());
        Assert.Equal(SampleEvents.At, root.GetProperty("time").GetDateTimeOffset());
        Assert.Equal("application/json", root.GetProperty("datacontenttype").GetString());
        var acr = JsonNode.Parse(webhookEvent.Render(PayloadFormats.Acr).Body);
        Assert.True(JsonNode.DeepEquals(acr, JsonNode.Parse(root.GetProperty("data").GetRawText())), "data is the ACR payload");
    }

    [Theory]
    [InlineData("pushed-by-digest", "Microsoft.ContainerRegistry.ImagePushed", "samples/hello@" + SampleEvents.Digest)]
    [InlineData("deleted", "Microsoft.ContainerRegistry.ImageDeleted", "samples/hello@" + SampleEvents.Digest)]
    [InlineData("untagged", "Microsoft.ContainerRegistry.ImageDeleted", "samples/hello:v1")]
    [InlineData("repository-deleted", "Microsoft.ContainerRegistry.ImageDeleted", "samples/hello")]
    [InlineData("chart-pushed", "Microsoft.ContainerRegistry.ChartPushed", "charts/mychart:0.1.0")]
    [InlineData("chart-deleted", "Microsoft.ContainerRegistry.ChartDeleted", "charts/mychart@" + SampleEvents.Digest)]
    public void CloudEvents_use_Event_Grid_type_names_and_name_the_subject(string sample, string type, string subject)
    {
        Contracts.IRegistryEvent registryEvent = sample switch
        {
            "pushed-by-digest" => SampleEvents.Pushed(tag: null),
            "deleted" => SampleEvents.Deleted(),
            "untagged" => SampleEvents.Untagged(),
            "repository-deleted" => SampleEvents.RepositoryDeleted(),
            "chart-pushed" => SampleEvents.ChartPushed(),
            _ => SampleEvents.ChartDeleted(),
        };
        var root = Parse(WebhookEvent.From(registryEvent).Render(PayloadFormats.CloudEvents).Body);
        Assert.Equal(type, root.GetProperty("type").GetString());
        Assert.Equal(subject, root.GetProperty("subject").GetString());
    }

    [Fact]
    public void A_ping_as_CloudEvent_has_the_ping_type_and_no_subject()
    {
        var root = Parse(WebhookEvent.Ping("contoso", Guid.NewGuid(), SampleEvents.At).Render(PayloadFormats.CloudEvents).Body);
        Assert.Equal("Microsoft.ContainerRegistry.WebhookPing", root.GetProperty("type").GetString());
        Assert.False(root.TryGetProperty("subject", out _));
    }

    private static JsonElement Parse(byte[] body) => JsonDocument.Parse(body).RootElement.Clone();

    private static List<string> Names(JsonElement element) => element.EnumerateObject().Select(property => property.Name).ToList();
}
