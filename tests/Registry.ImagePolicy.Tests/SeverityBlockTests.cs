using System.Net;
using System.Text.Json;

namespace Registry.ImagePolicy.Tests;

/// <summary>
/// <c>blockSeverity</c> and <c>allowlist</c> with the real advisory GHSA-3h5v-q93c-6h6q (npm ws below 8.17.1, HIGH) and a
/// real image holding ws 8.17.0, scanned on push: docker pull is refused naming the finding, and let through again by
/// the allowlist or by a threshold above the finding's severity.
/// </summary>
[Collection(ScanOnPushCollection.Name)]
public sealed class SeverityBlockTests(ScanOnPushHostFixture fixture)
{
    /// <summary>Distribution re-reads the policy every few seconds.</summary>
    private static readonly TimeSpan PolicyTakesEffect = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan ScanArrives = TimeSpan.FromSeconds(60);

    private RegistryHost Host => fixture.Host;

    [Fact]
    public async Task Docker_pull_of_an_image_with_a_HIGH_finding_is_refused_at_blockSeverity_HIGH_and_allowed_when_allowlisted_or_at_CRITICAL()
    {
        await Host.SetPolicyAsync("{}");
        var (repository, image, digest) = await PushScannedVulnerableImageAsync("ws");
        var tinyRepository = RegistryHost.UniqueRepository("tiny");
        var tinyImage = $"{Host.Host}/{tinyRepository}:1";
        await Cli.RunCheckedAsync("docker", ["tag", TestImages.TinyImage, tinyImage]);
        try
        {
            await TestImages.PushAsync(Host.AdminDocker, tinyImage);

            // blockSeverity HIGH: refused to everyone, naming the worst finding.
            var set = await Host.SetPolicyAsync("""{"blockSeverity":"HIGH"}""");
            Assert.Equal("HIGH", set.GetProperty("blockSeverity").GetString());
            var head = await Host.WaitForManifestAsync(HttpMethod.Head, repository, "1", a => a.Status == HttpStatusCode.Forbidden, PolicyTakesEffect);
            Assert.True(head.Status == HttpStatusCode.Forbidden, $"HEAD of {repository}:1 should be 403 within {PolicyTakesEffect.TotalSeconds} s of blockSeverity HIGH, was {head}");

            var get = await Host.RequestManifestAsync(HttpMethod.Get, repository, "1");
            AssertBlocked(get, repository, digest);
            AssertBlocked(await Host.RequestManifestAsync(HttpMethod.Get, repository, digest), repository, digest);

            await Host.AdminDocker.PullRefusedAsync(image, "its ws 8.17.0 has a HIGH finding", TestImages.AdvisoryId, "blocked by the registry's image policy");
            await Host.AdminDocker.PullAsync(tinyImage, "an image without findings is not blocked");

            // The finding's id in the allowlist: the image pulls.
            await Host.SetPolicyAsync($$"""{"blockSeverity":"HIGH","allowlist":["{{TestImages.AdvisoryId}}"]}""");
            var allowed = await Host.WaitForManifestAsync(HttpMethod.Head, repository, "1", a => a.Status == HttpStatusCode.OK, PolicyTakesEffect);
            Assert.True(allowed.Status == HttpStatusCode.OK, $"HEAD of {repository}:1 should be 200 within {PolicyTakesEffect.TotalSeconds} s of allowlisting {TestImages.AdvisoryId}, was {allowed}");
            await Host.AdminDocker.PullAsync(image, $"{TestImages.AdvisoryId} is allowlisted");

            // Blocked again, then a threshold above the finding's severity: the image pulls.
            await Host.SetPolicyAsync("""{"blockSeverity":"HIGH"}""");
            var blockedAgain = await Host.WaitForManifestAsync(HttpMethod.Head, repository, "1", a => a.Status == HttpStatusCode.Forbidden, PolicyTakesEffect);
            Assert.True(blockedAgain.Status == HttpStatusCode.Forbidden, $"HEAD of {repository}:1 should be 403 again without the allowlist, was {blockedAgain}");
            await Host.SetPolicyAsync("""{"blockSeverity":"CRITICAL"}""");
            var critical = await Host.WaitForManifestAsync(HttpMethod.Head, repository, "1", a => a.Status == HttpStatusCode.OK, PolicyTakesEffect);
            Assert.True(critical.Status == HttpStatusCode.OK, $"HEAD of {repository}:1 should be 200 within {PolicyTakesEffect.TotalSeconds} s of blockSeverity CRITICAL (the finding is HIGH), was {critical}");
            await Host.AdminDocker.PullAsync(image, "the finding is HIGH and only CRITICAL is blocked");
        }
        finally
        {
            await Host.SetPolicyAsync("{}");
            await TestImages.RemoveAsync(image, tinyImage);
        }
    }

    /// <summary>
    /// docs/api.md's policy example allowlists <c>CVE-2024-37890</c> — the CVE alias of GHSA-3h5v-q93c-6h6q, the advisory its
    /// block message example names. The report lists the alias with the finding; the allowlist should exempt it.
    /// </summary>
    [Fact]
    public async Task Allowlisting_the_CVE_alias_of_the_finding_as_in_the_documented_example_lets_the_image_be_pulled()
    {
        await Host.SetPolicyAsync("{}");
        var (repository, image, _) = await PushScannedVulnerableImageAsync("alias");
        try
        {
            await Host.SetPolicyAsync("""{"blockSeverity":"HIGH"}""");
            var blocked = await Host.WaitForManifestAsync(HttpMethod.Head, repository, "1", a => a.Status == HttpStatusCode.Forbidden, PolicyTakesEffect);
            Assert.True(blocked.Status == HttpStatusCode.Forbidden, $"HEAD of {repository}:1 should be 403 under blockSeverity HIGH, was {blocked}");

            await Host.SetPolicyAsync($$"""{"blockSeverity":"HIGH","allowlist":["{{TestImages.AdvisoryAlias}}"]}""");
            var allowed = await Host.WaitForManifestAsync(HttpMethod.Get, repository, "1", a => a.Status == HttpStatusCode.OK, PolicyTakesEffect);
            Assert.True(
                allowed.Status == HttpStatusCode.OK,
                $"with {TestImages.AdvisoryAlias} (the finding's alias, the id docs/api.md's example allowlists) in the allowlist, " +
                $"GET of {repository}:1 should be 200 within {PolicyTakesEffect.TotalSeconds} s; was {allowed}");
            await Host.AdminDocker.PullAsync(image, $"{TestImages.AdvisoryAlias} (alias of {TestImages.AdvisoryId}) is allowlisted");
        }
        finally
        {
            await Host.SetPolicyAsync("{}");
            await TestImages.RemoveAsync(image);
        }
    }

    /// <summary>
    /// Indexes pass the gate ("their platforms are checked when fetched"): the manifest list made with <c>docker manifest</c>
    /// is served, and docker pull through it is refused at the vulnerable platform's image manifest.
    /// </summary>
    [Fact]
    public async Task An_index_is_served_but_docker_pull_through_it_is_refused_at_its_vulnerable_platform()
    {
        await Host.SetPolicyAsync("{}");
        var (repository, image, digest) = await PushScannedVulnerableImageAsync("index");
        var index = $"{Host.Host}/{repository}:multi";
        try
        {
            // docker manifest create reads the image's manifest: wait until no earlier test's policy (cached for a few seconds) refuses it.
            var open = await Host.WaitForManifestAsync(HttpMethod.Get, repository, "1", a => a.Status == HttpStatusCode.OK, PolicyTakesEffect);
            Assert.True(open.Status == HttpStatusCode.OK, $"without a policy the image should be served, GET was {open}");
            await Host.AdminDocker.RunAsync("manifest", "create", "--insecure", index, image);
            var push = await Host.AdminDocker.RunAsync("manifest", "push", "--insecure", index);
            var indexDigest = push.StandardOutput.Trim().Split('\n')[^1].Trim();
            Assert.StartsWith("sha256:", indexDigest, StringComparison.Ordinal);

            await Host.SetPolicyAsync("""{"blockSeverity":"HIGH"}""");
            var child = await Host.WaitForManifestAsync(HttpMethod.Get, repository, digest, a => a.Status == HttpStatusCode.Forbidden, PolicyTakesEffect);
            AssertBlocked(child, repository, digest);

            var served = await Host.RequestManifestAsync(HttpMethod.Get, repository, "multi");
            Assert.True(served.Status == HttpStatusCode.OK, $"the index should pass the gate (its platforms are checked when fetched), GET was {served}");
            Assert.Equal(indexDigest, served.DockerContentDigest);
            Assert.Contains(digest, served.Body, StringComparison.Ordinal);

            await Host.AdminDocker.PullRefusedAsync(index, "the index's only platform has a HIGH finding", TestImages.AdvisoryId, "blocked by the registry's image policy");
        }
        finally
        {
            await Host.SetPolicyAsync("{}");
            await TestImages.RemoveAsync(image, index);
        }
    }

    /// <summary>Imports the advisory, builds and pushes an image holding ws 8.17.0 and waits for its scan report, which must name the finding.</summary>
    private async Task<(string Repository, string Image, string Digest)> PushScannedVulnerableImageAsync(string prefix)
    {
        await Host.ImportAdvisoryAsync(TestImages.AdvisoryFile);
        var repository = RegistryHost.UniqueRepository(prefix);
        var image = $"{Host.Host}/{repository}:1";
        await TestImages.BuildAsync(image, vulnerableWs: true);
        var digest = await TestImages.PushAsync(Host.AdminDocker, image);

        var report = await Host.WaitForScanAsync(digest, ScanArrives);
        var findings = report.GetProperty("findings").EnumerateArray().ToList();
        var finding = Assert.Single(findings, f => f.GetProperty("id").GetString() == TestImages.AdvisoryId);
        Assert.Equal("HIGH", finding.GetProperty("severity").GetString());
        Assert.Equal("ws", finding.GetProperty("packageName").GetString());
        Assert.Equal("8.17.0", finding.GetProperty("installedVersion").GetString());
        Assert.Equal("8.17.1", finding.GetProperty("fixedVersion").GetString());
        Assert.Contains(TestImages.AdvisoryAlias, finding.GetProperty("aliases").EnumerateArray().Select(a => a.GetString()));
        return (repository, image, digest);
    }

    private void AssertBlocked(ManifestAnswer answer, string repository, string digest)
    {
        Assert.True(answer.Status == HttpStatusCode.Forbidden, $"GET of the blocked image should be 403, was {answer}{Environment.NewLine}{Host.ServerOutput()}");
        Assert.Equal("DENIED", answer.ErrorCode);
        Assert.StartsWith(
            $"{repository}@{digest} is blocked by the registry's image policy: {TestImages.AdvisoryId} (HIGH) in ws 8.17.0, fixed in 8.17.1",
            answer.ErrorMessage,
            StringComparison.Ordinal);
        var detail = answer.Error!.Value.GetProperty("detail");
        Assert.True(detail.ValueKind == JsonValueKind.Object, $"detail should be an object: {answer}");
        Assert.Equal("vulnerable", detail.GetProperty("reason").GetString());
        Assert.Equal(TestImages.AdvisoryId, detail.GetProperty("id").GetString());
        Assert.Equal("HIGH", detail.GetProperty("severity").GetString());
        Assert.Equal("ws", detail.GetProperty("package").GetString());
        Assert.Equal("8.17.0", detail.GetProperty("installedVersion").GetString());
        Assert.Equal("8.17.1", detail.GetProperty("fixedVersion").GetString());
    }
}
