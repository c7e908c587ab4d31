using System.Net;
using System.Text.Json;

namespace Registry.Replication.Tests;

/// <summary>Webhooks see an import like a push: a <c>push</c> for the imported tag, and one for each child stored by digest.</summary>
[Collection(ImportCollection.Name)]
public sealed class ImportEventTests(ImportFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_webhook_receives_a_push_for_the_imported_tag_and_for_each_child_manifest()
    {
        var repository = ImportFixture.NewRepository("events");
        var webhook = "import" + Guid.NewGuid().ToString("N")[..12];
        var path = "/" + webhook;
        using (var created = await fixture.Import.SendManagementAsync(HttpMethod.Put, $"/webhooks/{webhook}", new
        {
            properties = new
            {
                serviceUri = fixture.Receiver.UrlFor(path).ToString(),
                actions = new[] { "push" },
                scope = $"{repository}:*",
            },
        }))
        {
            Assert.True(created.StatusCode == HttpStatusCode.Created, $"create webhook: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        }

        await fixture.Import.ImportAsync(fixture.FromDistribution($"{ImportFixture.IndexRepository}:{ImportFixture.IndexTag}", [$"{repository}:multi"], mode: "Force"));

        // Three manifests stored: the index with its tag, each child by digest (no tag). Other pushes may come into the
        // repository besides (the scanner attaches its reports as referrers), and events are at least once (a subscriber
        // deduplicates on the event id): wait until the three are there.
        var expected = fixture.Index.All.Select(manifest => manifest.Digest).Order().ToList();
        var events = new Dictionary<string, JsonElement>();
        using var deadline = new CancellationTokenSource(Patience);
        while (!expected.All(digest => events.Values.Any(payload => Digest(payload) == digest)))
        {
            Assert.False(deadline.IsCancellationRequested, $"push events at {path} for {string.Join(", ", expected)} within {Patience.TotalSeconds:0} s; arrived: {string.Join(", ", events.Values)}{Environment.NewLine}{fixture.Describe()}");
            await Task.Delay(100);
            foreach (var request in await fixture.Receiver.RequestsAsync(path))
            {
                var payload = JsonDocument.Parse(request.Body).RootElement.Clone();
                events[payload.GetProperty("id").GetString()!] = payload;
            }
        }

        Assert.All(events.Values, payload => Assert.Equal("push", payload.GetProperty("action").GetString()));
        Assert.All(events.Values, payload => Assert.Equal(repository, payload.GetProperty("target").GetProperty("repository").GetString()));
        var ofTheImport = events.Values.Where(payload => expected.Contains(Digest(payload))).ToList();
        Assert.Equal(expected, ofTheImport.Select(Digest).Order());

        // The events name who imported and through which request (the POST to the import API), as for a push.
        Assert.All(ofTheImport, payload =>
        {
            Assert.Equal($"admin:{fixture.Target.AdminUsername}", payload.GetProperty("actor").GetProperty("name").GetString()); // the caller as a push names it: kind and name
            Assert.Equal("POST", payload.GetProperty("request").GetProperty("method").GetString());
            Assert.False(string.IsNullOrEmpty(payload.GetProperty("request").GetProperty("id").GetString()));
        });

        var tagged = Assert.Single(ofTheImport, payload => payload.GetProperty("target").TryGetProperty("tag", out _));
        var target = tagged.GetProperty("target");
        Assert.Equal("multi", target.GetProperty("tag").GetString());
        Assert.Equal(fixture.Index.Digest, target.GetProperty("digest").GetString());
        Assert.Equal(fixture.Index.MediaType, target.GetProperty("mediaType").GetString());
        Assert.Equal(fixture.Index.Content.LongLength, target.GetProperty("size").GetInt64());
    }

    private static string Digest(JsonElement payload) => payload.GetProperty("target").GetProperty("digest").GetString() ?? string.Empty;
}
