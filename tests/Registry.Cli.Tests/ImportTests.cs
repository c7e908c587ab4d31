namespace Registry.Cli.Tests;

[Collection(CliCollection.Name)]
public sealed class ImportTests(CliFixture fixture)
{
    [Fact]
    public async Task Import_copies_an_image_from_another_registry_and_waits_for_it()
    {
        var session = await fixture.AdminSessionAsync();
        var source = CliFixture.NewRepository("import-src");
        var target = CliFixture.NewRepository("import-dst");
        var digest = await fixture.PushAsync(source, "1.0");

        var operation = await session.JsonAsync(
            "import", "--source", $"http://{fixture.Server}/{source}:1.0", "--image", $"{target}:copied",
            "-u", CliFixture.AdminUsername, "-p", CliFixture.AdminPassword);

        Assert.Equal("Succeeded", operation.GetProperty("status").GetString());
        Assert.Equal(digest, operation.GetProperty("digest").GetString());
        var copied = await session.JsonAsync("manifest", "show", $"{target}:copied");
        Assert.Equal(2, copied.GetProperty("schemaVersion").GetInt32());
    }

    [Fact]
    public async Task Import_refusals_carry_the_servers_problem()
    {
        var session = await fixture.AdminSessionAsync();
        var result = await session.RunAsync(
            "import", "--source", $"http://{fixture.Server}/cli/nothing-here:1", "--image", "cli/never:1", "-u", CliFixture.AdminUsername, "-p", CliFixture.AdminPassword);

        result.AssertFailure("The source image was not found");
        (await session.RunAsync("import", "--source", "busybox:1.36")).AssertFailure("names no registry");
    }
}
