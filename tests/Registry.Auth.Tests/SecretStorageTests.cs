namespace Registry.Auth.Tests;

/// <summary>Secrets are shown once and kept only as hashes: the stored registry records never hold a password the API returned.</summary>
public sealed class SecretStorageTests(AuthFixture fixture) : IClassFixture<AuthFixture>
{
    [Fact]
    public async Task No_password_the_api_returned_is_in_the_stored_records()
    {
        var registry = await fixture.CreateRegistryAsync();
        var secrets = new List<string> { AuthHost.AdminPassword, registry.AdminPassword };

        var created = await registry.ManageOkAsync(HttpMethod.Put, "/tokens/stored-token", new { properties = new { scopeMapId = "_repositories_pull" } });
        secrets.AddRange(created.GetProperty("properties").GetProperty("credentials").GetProperty("passwords").EnumerateArray().Select(p => p.GetProperty("value").GetString()!));
        var generated = await registry.ManageOkAsync(HttpMethod.Post, "/generateCredentials", new { tokenId = "stored-token", name = "password2", expiry = DateTimeOffset.UtcNow.AddDays(1) });
        secrets.Add(generated.GetProperty("passwords")[0].GetProperty("value").GetString()!);
        var (appId, spPassword) = await registry.CreateServicePrincipalAsync("stored principal");
        secrets.Add(spPassword);
        var reset = await registry.ManageOkAsync(HttpMethod.Post, $"/servicePrincipals/{appId}/resetCredential");
        secrets.Add(reset.GetProperty("password").GetString()!);
        var regenerated = await registry.ManageOkAsync(HttpMethod.Post, "/regenerateCredential", new { name = "password2" });
        secrets.AddRange(regenerated.GetProperty("passwords").EnumerateArray().Where(p => p.TryGetProperty("value", out _)).Select(p => p.GetProperty("value").GetString()!));
        using var refresh = await registry.RequestTokenAsync(registry.AdminUsername, registry.AdminPassword, [], offline: true);
        var refreshToken = (await Expect.JsonAsync(refresh)).GetProperty("refresh_token").GetString()!;
        Assert.Equal(8, secrets.Count);
        Assert.All(secrets, secret => Assert.True(secret.Length >= 20));

        var records = Directory.GetFiles(Path.Combine(fixture.DataDirectory, "platform", "registries"), "*.json");
        var record = Assert.Single(records, path => Path.GetFileName(path) == $"{registry.Registry}.json");
        var text = await File.ReadAllTextAsync(record);
        Assert.Contains("stored-token", text, StringComparison.Ordinal);
        Assert.Contains(appId, text, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(fixture.DataDirectory, "platform", "registries", "default.json"), records);

        foreach (var path in Directory.GetFiles(fixture.DataDirectory, "*", SearchOption.AllDirectories))
        {
            var content = await File.ReadAllTextAsync(path);
            foreach (var secret in secrets.Append(refreshToken))
            {
                Assert.False(content.Contains(secret, StringComparison.Ordinal), $"{path} holds a secret in clear");
            }
        }

        // Nor is any of them in the log.
        foreach (var entry in fixture.Host.Logs.Entries)
        {
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, entry.Message, StringComparison.Ordinal);
                Assert.DoesNotContain(entry.Properties.Values, value => value?.Contains(secret, StringComparison.Ordinal) == true);
            }
        }
    }

    [Fact]
    public async Task Each_secret_is_stored_salted_so_equal_records_do_not_share_hashes()
    {
        var first = await fixture.CreateRegistryAsync();
        var second = await fixture.CreateRegistryAsync();
        await first.ManageOkAsync(HttpMethod.Put, "/tokens/same-name", new { properties = new { scopeMapId = "_repositories_pull" } });
        await second.ManageOkAsync(HttpMethod.Put, "/tokens/same-name", new { properties = new { scopeMapId = "_repositories_pull" } });

        var firstText = await File.ReadAllTextAsync(Path.Combine(fixture.DataDirectory, "platform", "registries", $"{first.Registry}.json"));
        var secondText = await File.ReadAllTextAsync(Path.Combine(fixture.DataDirectory, "platform", "registries", $"{second.Registry}.json"));
        var hashes = System.Text.RegularExpressions.Regex.Matches(firstText + secondText, "\"hash\":\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();

        Assert.Equal(6, hashes.Count);
        Assert.Equal(hashes.Count, hashes.Distinct(StringComparer.Ordinal).Count());
        Assert.All(hashes, hash => Assert.StartsWith("sha256$", hash, StringComparison.Ordinal));
    }
}
