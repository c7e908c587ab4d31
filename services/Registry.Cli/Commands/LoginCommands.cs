using System.CommandLine;
using System.Net;
using Registry.Cli.Infrastructure;

namespace Registry.Cli.Commands;

/// <summary><c>registry login &lt;server&gt;</c> and <c>registry logout</c>: the credentials every other command uses.</summary>
internal static class LoginCommands
{
    public static IEnumerable<Command> Create(CliRuntime cli)
    {
        var server = CliRuntime.Name("server", "The registry server: host[:port] (http for localhost) or an http(s) URL");
        var username = new Option<string?>("--username", "-u") { Description = "User name: the admin user, a token's name or a service principal's appId" };
        var password = new Option<string?>("--password", "-p") { Description = "Password (prefer --password-stdin)" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from stdin" };
        var login = cli.Action(
            CliRuntime.Command("login", "Check credentials against a server and keep them for the other commands", server, username, password, passwordStdin),
            async (context, cancellationToken) =>
            {
                var url = RegistryClient.ParseServer(context.Value(server));
                var user = context.Value(username) ?? throw new CliException("--username (-u) is required");
                var secret = context.Value(passwordStdin)
                    ? (await context.Environment.In.ReadLineAsync(cancellationToken))?.Trim()
                    : context.Value(password);
                if (string.IsNullOrEmpty(secret))
                {
                    throw new CliException("a password is required: --password (-p) or --password-stdin");
                }

                // The registry the host reaches is the first label of the login server its /v2/ challenge names.
                string? loginServer;
                using (var probe = new RegistryClient(context.Environment, url, "-", user, secret))
                {
                    loginServer = (await probe.ChallengeAsync(cancellationToken))?.GetValueOrDefault("service");
                }

                var hostRegistry = RegistryOf(loginServer ?? url.Host);
                var registry = context.RegistryOverride ?? hostRegistry;
                using var client = new RegistryClient(context.Environment, url, registry, user, secret, loginServer, otherRegistry: registry != hostRegistry);
                var (status, message) = await client.ProbeManagementAsync(cancellationToken);
                var note = status switch
                {
                    HttpStatusCode.OK => string.Empty,
                    // Authenticated, but not a manager of the registry (a token, an AcrPull principal): fine for /v2.
                    HttpStatusCode.Forbidden => " (these credentials cannot use the management API)",
                    _ => throw new CliException($"login to {url.Authority} failed: {message}", status),
                };

                var config = ConfigStore.Load(context.Environment.ConfigPath);
                var key = url.Authority.ToLowerInvariant();
                config.Servers[key] = new ServerLogin
                {
                    Url = url.ToString(), Registry = registry, HostRegistry = hostRegistry, LoginServer = loginServer, Username = user, Password = secret,
                };
                config.Current = key;
                ConfigStore.Save(context.Environment.ConfigPath, config);
                context.Output.Done($"Login succeeded: {user} on registry '{registry}' at {key}{note}.");
            });

        var logoutServer = new Argument<string?>("server") { Description = "The server to forget (default: the current one)", Arity = ArgumentArity.ZeroOrOne };
        var logout = cli.Action(CliRuntime.Command("logout", "Forget the credentials of a server", logoutServer), (context, _) =>
        {
            var config = ConfigStore.Load(context.Environment.ConfigPath);
            var key = context.Value(logoutServer) is { } named ? RegistryClient.ParseServer(named).Authority.ToLowerInvariant() : config.Current;
            if (key is null || !config.Servers.Remove(key))
            {
                throw new CliException(key is null ? "not logged in" : $"not logged in to {key}");
            }

            config.Current = config.Current == key ? config.Servers.Keys.FirstOrDefault() : config.Current;
            ConfigStore.Save(context.Environment.ConfigPath, config);
            context.Output.Done($"Removed the credentials for {key}.");
            return Task.CompletedTask;
        });
        return [login, logout];
    }

    /// <summary>
    /// The registry a login server or host names: <c>&lt;registry&gt;.&lt;domain&gt;</c> (RegistryHosts); an IP address
    /// or a single-label host reaches the default registry.
    /// </summary>
    public static string RegistryOf(string host)
    {
        var name = host.Split(':')[0];
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        return dot <= 0 || IPAddress.TryParse(name, out _) ? "default" : name[..dot].ToLowerInvariant();
    }
}
