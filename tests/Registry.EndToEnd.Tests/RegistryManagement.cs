using System.Text.Json;
using System.Text.RegularExpressions;

namespace Registry.EndToEnd.Tests;

/// <summary>Identities and settings of the default registry, made through its management API as the admin user.</summary>
public static partial class RegistryManagement
{
    /// <summary>A scope map, token or service principal name no other test (or run) uses: 5–50 letters, digits and hyphens.</summary>
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..10]}";

    /// <summary>A scope map with these ACR actions (<c>repositories/&lt;repository&gt;/content/read</c>, …); its name.</summary>
    public static async Task<string> CreateScopeMapAsync(this RegistryFixture registry, params string[] actions)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var name = UniqueName("map");
        await registry.ManageAsync(HttpMethod.Put, $"/scopeMaps/{name}", new { properties = new { actions } });
        return name;
    }

    /// <summary>A token bound to <paramref name="scopeMap"/> (a system map such as <c>_repositories_pull</c> or a made one), with its password1.</summary>
    public static async Task<RegistryCredential> CreateTokenAsync(this RegistryFixture registry, string scopeMap)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var name = UniqueName("token");
        var token = await registry.ManageAsync(HttpMethod.Put, $"/tokens/{name}", new { properties = new { scopeMapId = scopeMap } });
        var passwords = token.GetProperty("properties").GetProperty("credentials").GetProperty("passwords").EnumerateArray().ToList();
        Assert.Equal(["password1", "password2"], passwords.Select(p => p.GetProperty("name").GetString()).Order());
        Assert.All(passwords, p => Assert.False(string.IsNullOrEmpty(p.GetProperty("value").GetString()), "a new token shows both its passwords once"));
        return new RegistryCredential(name, passwords.Single(p => p.GetProperty("name").GetString() == "password1").GetProperty("value").GetString()!);
    }

    /// <summary>A new value for a token's password1 (the old one stops working).</summary>
    public static async Task<RegistryCredential> RegeneratePasswordAsync(this RegistryFixture registry, RegistryCredential token)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(token);
        var result = await registry.ManageAsync(HttpMethod.Post, "/generateCredentials", new { tokenId = token.Username, name = "password1" });
        var password = result.GetProperty("passwords").EnumerateArray().Single().GetProperty("value").GetString()!;
        Assert.NotEqual(token.Password, password);
        return token with { Password = password };
    }

    /// <summary>
    /// A service principal holding <paramref name="role"/> (AcrPull, AcrPush, …) on the whole registry, or on
    /// <paramref name="scope"/> (<c>repositories/&lt;name or prefix/*&gt;</c>); it logs in with its app id as user name.
    /// </summary>
    public static async Task<RegistryCredential> CreateServicePrincipalAsync(this RegistryFixture registry, string role, string? scope = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var principal = await registry.ManageAsync(HttpMethod.Post, "/servicePrincipals", new { name = UniqueName("e2e-" + role) });
        var appId = principal.GetProperty("appId").GetString()!;
        Assert.Matches(AppIdPattern(), appId);
        await registry.ManageAsync(
            HttpMethod.Put, $"/roleAssignments/{Guid.NewGuid():D}", new { properties = new { principalId = appId, roleDefinitionName = role, scope } });
        return new RegistryCredential(appId, principal.GetProperty("password").GetString()!);
    }

    /// <summary><c>PATCH /api/registries/default</c> with these <c>properties</c>; the registry as it is afterwards.</summary>
    public static Task<JsonElement> UpdateRegistryAsync(this RegistryFixture registry, object properties)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry.ManageAsync(HttpMethod.Patch, string.Empty, new { properties });
    }

    [GeneratedRegex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    private static partial Regex AppIdPattern();
}
