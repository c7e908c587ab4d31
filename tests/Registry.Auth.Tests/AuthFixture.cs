using Microsoft.Extensions.DependencyInjection;
using Registry.Auth.Identity;
using Registry.Security;
using Registry.Testing;

namespace Registry.Auth.Tests;

/// <summary>
/// One host on a fresh temporary data directory, shared by the tests of a class. Tests that change a registry's settings
/// or its admin user make a registry of their own (<see cref="CreateRegistryAsync"/>); the others use unique repositories.
/// </summary>
public class AuthFixture : IAsyncLifetime
{
    private readonly List<RegistryClient> _clients = [];
    private AuthHost? _host;
    private HttpClient? _http;

    public AuthFixture()
    {
        Root = Directory.CreateTempSubdirectory("registry-auth-tests-").FullName;
        DataDirectory = Path.Combine(Root, "data");
        Directory.CreateDirectory(DataDirectory);
    }

    public string Root { get; }

    public string DataDirectory { get; }

    public AuthHost Host => _host ?? throw new InvalidOperationException("the fixture has not started");

    public HttpClient Http => _http ?? throw new InvalidOperationException("the fixture has not started");

    /// <summary>The default registry, reached at the plain address (127.0.0.1:port), with the admin user from the configuration.</summary>
    public RegistryClient Default { get; private set; } = null!;

    /// <summary>Settings on top of the host's defaults (low failed-login limits, key propagation delay …).</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>();

    public async Task InitializeAsync()
    {
        _host = await AuthHost.StartAsync(DataDirectory, Settings);
        _http = _host.CreateHttpClient();
        Default = new RegistryClient(_http, AuthHost.DefaultRegistry, hostHeader: null, AuthHost.AdminUsername, AuthHost.AdminPassword);
    }

    /// <summary>
    /// A new registry (as the registries issue's API will make them), with its admin user enabled and a generated password,
    /// reached with the <c>Host</c> header <c>&lt;name&gt;.localhost:&lt;port&gt;</c>.
    /// </summary>
    public async Task<RegistryClient> CreateRegistryAsync(RegistryTier tier = RegistryTier.Premium)
    {
        var name = "r" + Guid.NewGuid().ToString("N")[..20];
        var password = Secrets.Generate();
        var now = Host.Clock.GetUtcNow();
        var record = new RegistryRecord
        {
            Name = name,
            Tier = tier,
            CreatedAt = now,
            Settings = new RegistrySettings { AdminUserEnabled = true },
            Admin = new AdminUser
            {
                Username = AuthHost.AdminUsername,
                Passwords = [new SecretRecord { Name = "password", Hash = Secrets.HashGenerated(password), CreatedAt = now }],
            },
        };
        Assert.True(await Host.Services.GetRequiredService<RegistryStore>().CreateAsync(record, CancellationToken.None));
        return new RegistryClient(Http, name, $"{name}.{AuthHost.Domain}:{Host.Port}", AuthHost.AdminUsername, password);
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        TestDirectories.TryDelete(Root);
    }
}

/// <summary>Failed logins brake early: 3 per identity, 6 per client, in a one-minute window the tests pass by moving the clock.</summary>
public sealed class ThrottlingFixture : AuthFixture
{
    public const int PerIdentity = 3;
    public const int PerClient = 6;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Auth:MaxFailedLoginsPerIdentity"] = PerIdentity.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Auth:MaxFailedLoginsPerClient"] = PerClient.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Auth:FailedLoginWindow"] = "00:01:00",
    };
}

/// <summary>A host whose clock the tests move (credential expiry); nothing else shares it.</summary>
public sealed class ClockFixture : AuthFixture;

/// <summary>A new signing key signs at once after a rotation, so the tests need not wait for its propagation.</summary>
public sealed class KeyRotationFixture : AuthFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Auth:KeyPropagationDelay"] = "00:00:00",
    };
}
