using System.Net;

namespace Registry.Replication.Tests;

/// <summary>A host with outbound safety as in production: <c>Import:AllowPrivateNetworks</c> not set.</summary>
public sealed class GuardedHostFixture : IAsyncLifetime
{
    private TestHost? _host;

    public TestHost Host => _host ?? throw new InvalidOperationException("the fixture has not started");

    public ImportClient Import { get; private set; } = null!;

    public OciClient Oci { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // Webhook deliveries to private networks are allowed (the base settings): a separate switch, not this one.
        _host = await TestHost.StartAsync("admin");
        Import = new ImportClient(_host);
        Oci = new OciClient(_host.BaseAddress, _host.AdminUsername, _host.AdminPassword);
    }

    public async Task DisposeAsync()
    {
        Import?.Dispose();
        Oci?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}

/// <summary>
/// Outbound safety: unless the operator allows private networks, an import may not make the registry connect to
/// loopback (nor to other internal addresses), whether the source is named by IP or by a host name resolving there.
/// </summary>
[Collection(ImportCollection.Name)]
public sealed class OutboundSafetyTests(ImportFixture fixture, GuardedHostFixture guarded) : IClassFixture<GuardedHostFixture>
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public async Task A_loopback_source_is_refused_with_422_naming_loopback_and_nothing_is_imported(string host)
    {
        var repository = ImportFixture.NewRepository("guarded");

        await Problem.AssertAsync(
            await guarded.Import.PostAsync(new
            {
                source = new { registryUri = $"http://{host}:{fixture.Distribution.Port}", sourceImage = $"{ImportFixture.IndexRepository}:{ImportFixture.IndexTag}" },
                targetTags = new[] { $"{repository}:v1" },
            }),
            HttpStatusCode.UnprocessableEntity,
            detail: "loopback",
            context: guarded.Host.Describe);

        Assert.Empty(await guarded.Oci.TagsAsync(repository));
    }
}
