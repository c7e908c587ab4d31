using System.Net;
using System.Text.Json;

namespace Registry.GeoReplication.Tests;

/// <summary>
/// ACR's replications resource (<c>/api/registries/{registry}/replications</c>) on two filesystem regions: Premium only,
/// create / list / show / update / delete with ACR's shapes, and the requests it refuses, as ProblemDetails.
/// </summary>
public sealed class ReplicationsApiTests(FileSystemRegionsFixture fixture) : IClassFixture<FileSystemRegionsFixture>
{
    private const string ProblemJson = "application/problem+json";

    [Fact]
    public async Task A_registry_below_Premium_cannot_have_replications()
    {
        var api = fixture.ClientA;

        // A registry with replicas cannot move below Premium: the replicas go first.
        var replica = await api.ManageAsync(HttpMethod.Put, $"/replications/{GeoFixture.Replica}", new { location = GeoFixture.Replica });
        Assert.True(replica.Status is HttpStatusCode.Created or HttpStatusCode.OK, replica.Describe("PUT replication"));
        var refused = await api.ManageAsync(HttpMethod.Patch, string.Empty, new { sku = new { name = "Basic" } });
        AssertProblem(refused, HttpStatusCode.Conflict, "no geo-replication");
        var removed = await api.ManageAsync(HttpMethod.Delete, $"/replications/{GeoFixture.Replica}");
        Assert.True(removed.Status is HttpStatusCode.OK or HttpStatusCode.Accepted or HttpStatusCode.NoContent, removed.Describe("DELETE replication"));

        var basic = await api.ManageAsync(HttpMethod.Patch, string.Empty, new { sku = new { name = "Basic" } });
        Assert.True(basic.Status == HttpStatusCode.OK, basic.Describe("PATCH sku Basic"));
        try
        {
            var create = await api.ManageAsync(HttpMethod.Put, $"/replications/{GeoFixture.Replica}", new { location = GeoFixture.Replica });
            AssertProblem(create, HttpStatusCode.BadRequest, "Replications are only supported for managed registries in Premium SKU");
            Assert.Contains("Basic", Detail(create), StringComparison.Ordinal);

            var list = await api.ManageAsync(HttpMethod.Get, "/replications");
            AssertProblem(list, HttpStatusCode.BadRequest, "Premium SKU");

            var standard = await api.ManageAsync(HttpMethod.Patch, string.Empty, new { sku = new { name = "Standard" } });
            Assert.True(standard.Status == HttpStatusCode.OK, standard.Describe("PATCH sku Standard"));
            AssertProblem(await api.ManageAsync(HttpMethod.Put, $"/replications/{GeoFixture.Replica}", new { location = GeoFixture.Replica }), HttpStatusCode.BadRequest, "Premium SKU");
        }
        finally
        {
            var premium = await api.ManageAsync(HttpMethod.Patch, string.Empty, new { sku = new { name = "Premium" } });
            Assert.True(premium.Status == HttpStatusCode.OK, premium.Describe("PATCH sku Premium"));
        }

        // Back on Premium it lists the home region.
        var again = await api.ManageAsync(HttpMethod.Get, "/replications");
        Assert.True(again.Status == HttpStatusCode.OK, again.Describe("GET replications on Premium"));
    }

    [Fact]
    public async Task Replications_are_created_listed_shown_updated_and_deleted_in_ACR_shapes()
    {
        var api = fixture.ClientA;

        // Never replicated: the home region alone.
        var initial = await api.ManageAsync(HttpMethod.Get, "/replications");
        Assert.True(initial.Status == HttpStatusCode.OK, initial.Describe("GET replications"));
        var home = Assert.Single(initial.Json.GetProperty("value").EnumerateArray());
        AssertReplication(home, GeoFixture.Home, GeoFixture.Home, isHome: true, regionEndpointEnabled: true);

        var created = await api.ManageAsync(HttpMethod.Put, $"/replications/{GeoFixture.Replica}", new { location = GeoFixture.Replica, properties = new { regionEndpointEnabled = true } });
        try
        {
            Assert.True(created.Status == HttpStatusCode.Created, created.Describe("PUT replication"));
            AssertReplication(created.Json, GeoFixture.Replica, GeoFixture.Replica, isHome: false, regionEndpointEnabled: true);

            // PUT again is an update of the same resource.
            var again = await api.ManageAsync(HttpMethod.Put, $"/replications/{GeoFixture.Replica}", new { location = GeoFixture.Replica.ToUpperInvariant() });
            Assert.True(again.Status == HttpStatusCode.OK, again.Describe("PUT replication again"));
            AssertReplication(again.Json, GeoFixture.Replica, GeoFixture.Replica, isHome: false, regionEndpointEnabled: true);

            var list = await api.ManageAsync(HttpMethod.Get, "/replications");
            var entries = list.Json.GetProperty("value").EnumerateArray().ToList();
            Assert.Equal([GeoFixture.Home, GeoFixture.Replica], entries.Select(e => e.GetProperty("name").GetString()));
            AssertReplication(entries[0], GeoFixture.Home, GeoFixture.Home, isHome: true, regionEndpointEnabled: true);
            AssertReplication(entries[1], GeoFixture.Replica, GeoFixture.Replica, isHome: false, regionEndpointEnabled: true);

            var shown = await api.ManageAsync(HttpMethod.Get, $"/replications/{GeoFixture.Replica}");
            Assert.True(shown.Status == HttpStatusCode.OK, shown.Describe("GET replication"));
            AssertReplication(shown.Json, GeoFixture.Replica, GeoFixture.Replica, isHome: false, regionEndpointEnabled: true);
            Assert.Equal(
                created.Json.GetProperty("systemData").GetProperty("createdAt").GetDateTimeOffset(),
                shown.Json.GetProperty("systemData").GetProperty("createdAt").GetDateTimeOffset());

            var updated = await api.ManageAsync(HttpMethod.Patch, $"/replications/{GeoFixture.Replica}", new { properties = new { regionEndpointEnabled = false } });
            Assert.True(updated.Status == HttpStatusCode.OK, updated.Describe("PATCH replication"));
            AssertReplication(updated.Json, GeoFixture.Replica, GeoFixture.Replica, isHome: false, regionEndpointEnabled: false);
            AssertReplication((await api.ManageAsync(HttpMethod.Get, $"/replications/{GeoFixture.Replica}")).Json, GeoFixture.Replica, GeoFixture.Replica, isHome: false, regionEndpointEnabled: false);

            // The records live in every region: the other region's process lists the same replicas, home first.
            await Eventually.WaitAsync(
                async () =>
                {
                    var other = await fixture.ClientB.ManageAsync(HttpMethod.Get, "/replications");
                    return other.Status == HttpStatusCode.OK && other.Json.GetProperty("value").EnumerateArray()
                        .Select(e => $"{e.GetProperty("name").GetString()}:{e.GetProperty("properties").GetProperty("isHome").GetBoolean()}:{e.GetProperty("properties").GetProperty("regionEndpointEnabled").GetBoolean()}")
                        .SequenceEqual([$"{GeoFixture.Home}:True:True", $"{GeoFixture.Replica}:False:False"]);
                },
                () => $"{GeoFixture.Replica} does not list the same replicas{Environment.NewLine}{fixture.Describe()}",
                TimeSpan.FromSeconds(30));
        }
        finally
        {
            var deleted = await api.ManageAsync(HttpMethod.Delete, $"/replications/{GeoFixture.Replica}");
            Assert.True(deleted.Status == HttpStatusCode.NoContent, deleted.Describe("DELETE replication"));
        }

        AssertProblem(await api.ManageAsync(HttpMethod.Get, $"/replications/{GeoFixture.Replica}"), HttpStatusCode.NotFound, GeoFixture.Replica);
        var after = await api.ManageAsync(HttpMethod.Get, "/replications");
        Assert.Equal([GeoFixture.Home], after.Json.GetProperty("value").EnumerateArray().Select(e => e.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Replication_requests_that_cannot_be_honoured_are_refused_with_problem_details()
    {
        var api = fixture.ClientA;
        AssertProblem(await api.ManageAsync(HttpMethod.Put, "/replications/marsregion", new { location = "mars" }), HttpStatusCode.BadRequest, "location 'mars' is not a region of this deployment");
        AssertProblem(await api.ManageAsync(HttpMethod.Put, "/replications/nolocation", new { properties = new { regionEndpointEnabled = true } }), HttpStatusCode.BadRequest, "'location' is required");
        AssertProblem(await api.ManageAsync(HttpMethod.Put, "/replications/ab", new { location = GeoFixture.Replica }), HttpStatusCode.BadRequest, "replication name 'ab' is invalid");
        AssertProblem(await api.ManageAsync(HttpMethod.Put, "/replications/west-europe", new { location = GeoFixture.Replica }), HttpStatusCode.BadRequest, "is invalid");
        AssertProblem(
            await api.ManageAsync(HttpMethod.Put, $"/replications/{GeoFixture.Replica}", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest,
            "the body must be ACR's replication JSON");
        AssertProblem(
            await api.ManageAsync(HttpMethod.Put, $"/replications/{GeoFixture.Replica}", new { location = GeoFixture.Replica, properties = new { zoneRedundancy = "Sometimes" } }),
            HttpStatusCode.BadRequest,
            "zoneRedundancy");

        // The home region is a replication of its own: it cannot be deleted, and no other replication can take its location.
        AssertProblem(await api.ManageAsync(HttpMethod.Delete, $"/replications/{GeoFixture.Home}"), HttpStatusCode.BadRequest, "home region");
        AssertProblem(await api.ManageAsync(HttpMethod.Put, "/replications/eastcopy", new { location = GeoFixture.Home }), HttpStatusCode.Conflict, $"already has replication '{GeoFixture.Home}' in {GeoFixture.Home}");

        var created = await api.ManageAsync(HttpMethod.Put, $"/replications/{GeoFixture.Replica}", new { location = GeoFixture.Replica });
        Assert.True(created.Status == HttpStatusCode.Created, created.Describe("PUT replication"));
        try
        {
            // One replication per location.
            AssertProblem(
                await api.ManageAsync(HttpMethod.Put, "/replications/westcopy", new { location = GeoFixture.Replica }),
                HttpStatusCode.Conflict,
                $"already has replication '{GeoFixture.Replica}' in {GeoFixture.Replica}");

            // A replication's location never changes.
            AssertProblem(await api.ManageAsync(HttpMethod.Patch, $"/replications/{GeoFixture.Replica}", new { location = "eastus2" }), HttpStatusCode.BadRequest, "cannot be changed");
            Assert.Equal(2, (await api.ManageAsync(HttpMethod.Get, "/replications")).Json.GetProperty("value").GetArrayLength());
        }
        finally
        {
            var deleted = await api.ManageAsync(HttpMethod.Delete, $"/replications/{GeoFixture.Replica}");
            Assert.True(deleted.Status == HttpStatusCode.NoContent, deleted.Describe("DELETE replication"));
        }

        AssertProblem(await api.ManageAsync(HttpMethod.Get, "/replications/nothere1"), HttpStatusCode.NotFound, "nothere1");
        AssertProblem(await api.ManageAsync(HttpMethod.Delete, "/replications/nothere1"), HttpStatusCode.NotFound, "nothere1");
        AssertProblem(await api.ManageAsync(HttpMethod.Patch, "/replications/nothere1", new { properties = new { regionEndpointEnabled = false } }), HttpStatusCode.NotFound, "nothere1");

        // Only the registry's admins (and owners) manage replications.
        var anonymous = await api.ManageAsync(HttpMethod.Get, "/replications", anonymous: true);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.Status);
        var anonymousCreate = await api.ManageAsync(HttpMethod.Put, $"/replications/{GeoFixture.Replica}", new { location = GeoFixture.Replica }, anonymous: true);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousCreate.Status);
    }

    private static void AssertReplication(JsonElement replication, string name, string location, bool isHome, bool regionEndpointEnabled)
    {
        Assert.Equal(name, replication.GetProperty("name").GetString());
        Assert.Equal(location, replication.GetProperty("location").GetString());
        Assert.Equal("Microsoft.ContainerRegistry/registries/replications", replication.GetProperty("type").GetString());
        Assert.EndsWith($"/registries/default/replications/{name}", replication.GetProperty("id").GetString(), StringComparison.Ordinal);
        var properties = replication.GetProperty("properties");
        Assert.Equal("Succeeded", properties.GetProperty("provisioningState").GetString());
        Assert.Equal(isHome, properties.GetProperty("isHome").GetBoolean());
        Assert.Equal(regionEndpointEnabled, properties.GetProperty("regionEndpointEnabled").GetBoolean());
        Assert.Equal("Disabled", properties.GetProperty("zoneRedundancy").GetString());
        Assert.Contains(properties.GetProperty("status").GetProperty("displayStatus").GetString(), new[] { "Ready", "Syncing" });
        properties.GetProperty("status").GetProperty("timestamp").GetDateTimeOffset();
        var sync = properties.GetProperty("sync");
        Assert.Contains(sync.GetProperty("state").GetString(), new[] { "Ready", "Syncing" });
        Assert.True(sync.GetProperty("lagSeconds").GetDouble() >= 0);
        Assert.True(sync.GetProperty("pending").GetInt32() >= 0);
        replication.GetProperty("systemData").GetProperty("createdAt").GetDateTimeOffset();
        replication.GetProperty("systemData").GetProperty("lastModifiedAt").GetDateTimeOffset();
    }

    private static void AssertProblem(Answer answer, HttpStatusCode status, string detail)
    {
        Assert.True(answer.Status == status, answer.Describe($"expected {(int)status}"));
        Assert.Equal(ProblemJson, answer.MediaType);
        Assert.Contains(detail, Detail(answer), StringComparison.Ordinal);
        Assert.Equal((int)status, answer.Json.GetProperty("status").GetInt32());
    }

    private static string Detail(Answer answer) =>
        answer.Json.TryGetProperty("detail", out var detail) ? detail.GetString() ?? string.Empty : answer.Text;
}
