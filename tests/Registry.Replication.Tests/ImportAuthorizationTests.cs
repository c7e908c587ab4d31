using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Registry.Replication.Tests;

/// <summary>
/// Who may import: starting one changes the registry (the admin user, or a service principal with a registry-wide
/// <c>Owner</c> or <c>Contributor</c> role); following one is reading (<c>Reader</c> will do).
/// </summary>
[Collection(ImportCollection.Name)]
public sealed class ImportAuthorizationTests(ImportFixture fixture)
{
    private const string SourceImage = ImportFixture.IndexRepository + ":" + ImportFixture.IndexTag;

    [Fact]
    public async Task A_Reader_may_follow_an_operation_but_not_start_an_import()
    {
        var reader = await ServicePrincipalAsync("Reader");
        var repository = ImportFixture.NewRepository("reader");

        await Problem.AssertAsync(
            await fixture.Import.PostAsync(fixture.FromDistribution(SourceImage, [$"{repository}:v1"]), reader),
            HttpStatusCode.Forbidden,
            context: fixture.Describe);
        Assert.Empty(await fixture.TargetOci.TagsAsync(repository));

        fixture.AssertFirstImportSucceeded();
        using var followed = await fixture.Import.GetAsync(fixture.FirstImport.Location!.OriginalString, reader);
        var text = await followed.Content.ReadAsStringAsync();
        Assert.True(followed.StatusCode == HttpStatusCode.OK, $"GET the operation as a Reader: {(int)followed.StatusCode} {text}");
        Assert.Equal(fixture.Index.Digest, JsonDocument.Parse(text).RootElement.GetProperty("digest").GetString());
    }

    [Fact]
    public async Task A_Contributor_may_import()
    {
        var contributor = await ServicePrincipalAsync("Contributor");
        var repository = ImportFixture.NewRepository("contributor");

        using var response = await fixture.Import.PostAsync(fixture.FromDistribution(SourceImage, [$"{repository}:v1"]), contributor);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"import as a Contributor: {(int)response.StatusCode} {text}");
        var (operation, finished) = await fixture.Import.WaitAsync(response.Headers.Location!);
        fixture.Import.AssertSucceeded(operation, finished);
        Assert.Equal(fixture.Index.Digest, await fixture.TargetOci.ResolveAsync(repository, "v1"));
    }

    /// <summary>A new service principal with <paramref name="role"/> on the whole registry: its Basic credentials.</summary>
    private async Task<AuthenticationHeaderValue> ServicePrincipalAsync(string role)
    {
        string appId;
        string password;
        using (var created = await fixture.Import.SendManagementAsync(HttpMethod.Post, "/servicePrincipals", new { name = role.ToLowerInvariant() + Guid.NewGuid().ToString("N")[..8] }))
        {
            var text = await created.Content.ReadAsStringAsync();
            Assert.True(created.StatusCode == HttpStatusCode.Created, $"create a service principal: {(int)created.StatusCode} {text}");
            var principal = JsonDocument.Parse(text).RootElement;
            appId = principal.GetProperty("appId").GetString()!;
            password = principal.GetProperty("password").GetString()!;
        }

        using (var assigned = await fixture.Import.SendManagementAsync(HttpMethod.Put, $"/roleAssignments/{Guid.NewGuid()}", new { properties = new { principalId = appId, roleDefinitionName = role } }))
        {
            Assert.True(assigned.IsSuccessStatusCode, $"assign {role}: {(int)assigned.StatusCode} {await assigned.Content.ReadAsStringAsync()}");
        }

        return ImportClient.Basic(appId, password);
    }
}
