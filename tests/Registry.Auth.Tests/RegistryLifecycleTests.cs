using System.Net;
using System.Text.Json;

namespace Registry.Auth.Tests;

/// <summary>Registries as a service: the platform operator creates, lists and deletes registries; each is then a registry of its own.</summary>
public sealed class RegistryLifecycleTests(AuthFixture fixture) : IClassFixture<AuthFixture>
{
    private static string NewName() => "reg" + Guid.NewGuid().ToString("N")[..16];

    private Task<HttpResponseMessage> OperatorAsync(HttpMethod method, string path, object? body = null) =>
        fixture.Default.SendAsync(
            method,
            path,
            body is null ? null : System.Net.Http.Json.JsonContent.Create(body),
            RegistryClient.Basic(AuthHost.AdminUsername, AuthHost.AdminPassword));

    /// <summary>Creates a registry with its admin user on; returns a client for it (its generated password).</summary>
    private async Task<(RegistryClient Client, JsonElement Created)> CreateAsync(string name, object? properties = null, string sku = "Standard")
    {
        using var response = await OperatorAsync(HttpMethod.Put, $"/api/registries/{name}", new { sku = new { name = sku }, properties = properties ?? new { adminUserEnabled = true } });
        var created = await Expect.JsonAsync(response, HttpStatusCode.Created);
        var credentials = created.GetProperty("credentials");
        var password = credentials.GetProperty("passwords").EnumerateArray().First().GetProperty("value").GetString()!;
        var client = new RegistryClient(fixture.Http, name, $"{name}.{AuthHost.Domain}:{fixture.Host.Port}", credentials.GetProperty("username").GetString()!, password);
        return (client, created);
    }

    [Fact]
    public async Task An_operator_creates_a_registry_that_is_at_once_usable_with_the_credentials_it_returns()
    {
        var name = NewName();
        var (registry, created) = await CreateAsync(name);

        Assert.Equal(name, created.GetProperty("name").GetString());
        Assert.Equal("Standard", created.GetProperty("sku").GetProperty("name").GetString());
        Assert.Equal("local", created.GetProperty("location").GetString());
        Assert.Equal($"{name}.{AuthHost.Domain}", created.GetProperty("properties").GetProperty("loginServer").GetString());
        Assert.Equal(name, registry.AdminUsername);
        Assert.Equal(2, created.GetProperty("credentials").GetProperty("passwords").GetArrayLength());

        var repository = RegistryClient.NewRepository();
        var image = await registry.SeedImageAsync(repository);
        using var pulled = await registry.GetManifestAsync(repository, "v1", await registry.AdminTokenAsync($"repository:{repository}:pull"));
        Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        Assert.Equal(image.Manifest(), await pulled.Content.ReadAsByteArrayAsync());

        using var list = await OperatorAsync(HttpMethod.Get, "/api/registries");
        var names = (await Expect.JsonAsync(list)).GetProperty("value").EnumerateArray().Select(r => r.GetProperty("name").GetString()).ToList();
        Assert.Contains(name, names);
        Assert.Contains(AuthHost.DefaultRegistry, names);

        // The operator manages the new registry with the default registry's credentials too.
        using var shown = await OperatorAsync(HttpMethod.Get, $"/api/registries/{name}");
        Assert.Equal("Standard", (await Expect.JsonAsync(shown)).GetProperty("sku").GetProperty("tier").GetString());
    }

    [Theory]
    [InlineData("abc", "Standard", HttpStatusCode.BadRequest)]
    [InlineData("UpperCase1", "Standard", HttpStatusCode.BadRequest)]
    [InlineData("with-hyphen", "Standard", HttpStatusCode.BadRequest)]
    [InlineData("validname1", "Gold", HttpStatusCode.BadRequest)]
    [InlineData("default", "Premium", HttpStatusCode.Conflict)]
    public async Task A_create_with_a_bad_name_tier_or_an_existing_name_is_refused_and_changes_nothing(string name, string sku, HttpStatusCode status)
    {
        using var response = await OperatorAsync(HttpMethod.Put, $"/api/registries/{name}", new { sku = new { name = sku } });
        var problem = await Expect.ProblemAsync(response, status);
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        if (status == HttpStatusCode.BadRequest)
        {
            Assert.False(File.Exists(Path.Combine(fixture.DataDirectory, "platform", "registries", $"{name}.json")));
            using var shown = await OperatorAsync(HttpMethod.Get, $"/api/registries/{name}");
            Assert.Equal(HttpStatusCode.NotFound, shown.StatusCode);
        }
    }

    [Fact]
    public async Task An_unknown_location_is_refused_naming_the_regions_there_are()
    {
        using var response = await OperatorAsync(HttpMethod.Put, $"/api/registries/{NewName()}", new { location = "marsnorth", sku = new { name = "Basic" } });
        var problem = await Expect.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("local", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_the_platform_operator_creates_lists_and_deletes_registries()
    {
        var (other, _) = await CreateAsync(NewName());
        var name = NewName();
        foreach (var (method, path) in new[] { (HttpMethod.Put, $"/api/registries/{name}"), (HttpMethod.Get, "/api/registries"), (HttpMethod.Delete, $"/api/registries/{other.Registry}") })
        {
            // Another registry's admin is nobody at the default registry.
            using var response = await other.SendAsync(
                method, path, System.Net.Http.Json.JsonContent.Create(new { sku = new { name = "Basic" } }), RegistryClient.Basic(other.AdminUsername, other.AdminPassword));
            Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"{method} {path}: {(int)response.StatusCode}");
        }

        using var shown = await OperatorAsync(HttpMethod.Get, $"/api/registries/{name}");
        Assert.Equal(HttpStatusCode.NotFound, shown.StatusCode);
        using var stillThere = await OperatorAsync(HttpMethod.Get, $"/api/registries/{other.Registry}");
        Assert.Equal(HttpStatusCode.OK, stillThere.StatusCode);
    }

    [Fact]
    public async Task Deleting_a_registry_removes_all_its_data_and_nothing_of_it_is_reachable_afterwards()
    {
        var (registry, _) = await CreateAsync(NewName());
        var repository = RegistryClient.NewRepository();
        await registry.SeedImageAsync(repository);
        var partition = Path.Combine(fixture.DataDirectory, "registries", registry.Registry);
        Assert.True(Directory.Exists(partition));

        using (var deleted = await OperatorAsync(HttpMethod.Delete, $"/api/registries/{registry.Registry}"))
        {
            var body = await Expect.JsonAsync(deleted);
            Assert.Equal(["local"], body.GetProperty("regions").EnumerateArray().Select(r => r.GetString()));
        }

        Assert.False(Directory.Exists(partition));
        using (var shown = await OperatorAsync(HttpMethod.Get, $"/api/registries/{registry.Registry}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, shown.StatusCode);
        }

        using (var v2 = await registry.SendAsync(HttpMethod.Get, "/v2/", token: null))
        {
            await Expect.OciErrorAsync(v2, HttpStatusCode.NotFound, "NAME_UNKNOWN");
        }

        using (var token = await registry.RequestTokenAsync(registry.AdminUsername, registry.AdminPassword, [$"repository:{repository}:pull"]))
        {
            Assert.False(token.IsSuccessStatusCode);
        }

        using var again = await OperatorAsync(HttpMethod.Delete, $"/api/registries/{registry.Registry}");
        await Expect.ProblemAsync(again, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_default_registry_cannot_be_deleted()
    {
        using var response = await OperatorAsync(HttpMethod.Delete, $"/api/registries/{AuthHost.DefaultRegistry}");
        await Expect.ProblemAsync(response, HttpStatusCode.Conflict);
        using var still = await OperatorAsync(HttpMethod.Get, $"/api/registries/{AuthHost.DefaultRegistry}");
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
    }

    [Fact]
    public async Task A_custom_domain_serves_its_registry_and_cannot_be_taken_by_another()
    {
        var domain = $"images-{Guid.NewGuid().ToString("N")[..12]}.example.test";
        var (registry, created) = await CreateAsync(NewName(), new { adminUserEnabled = true, customDomains = new[] { domain.ToUpperInvariant() } });
        Assert.Equal([domain], created.GetProperty("properties").GetProperty("customDomains").EnumerateArray().Select(d => d.GetString()));

        var viaDomain = new RegistryClient(fixture.Http, registry.Registry, $"{domain}:{fixture.Host.Port}", registry.AdminUsername, registry.AdminPassword);
        var repository = RegistryClient.NewRepository();
        await viaDomain.SeedImageAsync(repository);
        using (var pulled = await registry.GetManifestAsync(repository, "v1", await registry.AdminTokenAsync($"repository:{repository}:pull")))
        {
            Assert.Equal(HttpStatusCode.OK, pulled.StatusCode); // pushed through the custom domain, there at the login server
        }

        using (var taken = await OperatorAsync(HttpMethod.Put, $"/api/registries/{NewName()}", new { sku = new { name = "Basic" }, properties = new { customDomains = new[] { domain } } }))
        {
            var problem = await Expect.ProblemAsync(taken, HttpStatusCode.Conflict);
            Assert.Contains(registry.Registry, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using (var platformHost = await registry.ManageAsync(HttpMethod.Patch, "", new { properties = new { customDomains = new[] { $"x.{AuthHost.Domain}" } } }))
        {
            await Expect.ProblemAsync(platformHost, HttpStatusCode.BadRequest);
        }

        // Released: the domain reaches the default registry again (a plain host).
        await registry.ManageOkAsync(HttpMethod.Patch, "", new { properties = new { customDomains = Array.Empty<string>() } });
        using var released = await viaDomain.RequestTokenAsync(registry.AdminUsername, registry.AdminPassword, [$"repository:{repository}:pull"], service: null);
        Assert.Equal(HttpStatusCode.Unauthorized, released.StatusCode);
    }

    [Fact]
    public async Task Policies_are_kept_and_checked_against_the_tier()
    {
        var (registry, created) = await CreateAsync(NewName());
        var policies = created.GetProperty("properties").GetProperty("policies");
        Assert.Equal("disabled", policies.GetProperty("retentionPolicy").GetProperty("status").GetString());
        Assert.Equal("disabled", policies.GetProperty("softDeletePolicy").GetProperty("status").GetString());
        Assert.Equal("disabled", policies.GetProperty("immutableTagsPolicy").GetProperty("status").GetString());

        using (var retentionOnStandard = await registry.ManageAsync(HttpMethod.Patch, "", new { properties = new { policies = new { retentionPolicy = new { days = 3, status = "enabled" } } } }))
        {
            Assert.Contains("Premium", (await Expect.ProblemAsync(retentionOnStandard, HttpStatusCode.Conflict)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using (var tooLong = await registry.ManageAsync(HttpMethod.Patch, "", new { properties = new { policies = new { softDeletePolicy = new { retentionDays = 91, status = "enabled" } } } }))
        {
            await Expect.ProblemAsync(tooLong, HttpStatusCode.BadRequest);
        }

        var updated = await registry.ManageOkAsync(HttpMethod.Patch, "", new
        {
            sku = new { name = "Premium" },
            properties = new
            {
                policies = new
                {
                    retentionPolicy = new { days = 3, status = "enabled" },
                    softDeletePolicy = new { retentionDays = 14, status = "enabled" },
                    immutableTagsPolicy = new { status = "enabled" },
                },
            },
        });
        var now = updated.GetProperty("properties").GetProperty("policies");
        Assert.Equal(3, now.GetProperty("retentionPolicy").GetProperty("days").GetInt32());
        Assert.Equal(14, now.GetProperty("softDeletePolicy").GetProperty("retentionDays").GetInt32());
        Assert.Equal("enabled", now.GetProperty("immutableTagsPolicy").GetProperty("status").GetString());

        // Every service sees them in the registry directory.
        using var internalInfo = await fixture.Http.GetAsync(new Uri($"/internal/registries/{registry.Registry}", UriKind.Relative));
        var info = await Expect.JsonAsync(internalInfo);
        Assert.Equal(14, info.GetProperty("policies").GetProperty("softDeleteDays").GetInt32());
        Assert.True(info.GetProperty("policies").GetProperty("immutableTags").GetBoolean());
    }
}
