using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using Registry.Cli.Infrastructure;

namespace Registry.Cli.Commands;

/// <summary><c>registry check-health</c>: server reachable, <c>/v2/</c> answers, credentials work, a token can be had.</summary>
internal static class HealthCommands
{
    public static Command Create(CliRuntime cli) =>
        cli.Action(CliRuntime.Command("check-health", "Check the server, its /v2/ API, the stored credentials and the token endpoint"), async (context, cancellationToken) =>
        {
            var client = context.Client;
            var checks = new List<(string Name, bool Ok, string Detail)>();
            async Task Check(string name, Func<Task<string>> probe)
            {
                try
                {
                    checks.Add((name, true, await probe()));
                }
                catch (CliException ex)
                {
                    checks.Add((name, false, ex.Message));
                }
            }

            await Check("server reachable", async () =>
            {
                using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "health"), cancellationToken);
                return $"{client.BaseAddress} answered GET /health with {(int)response.StatusCode}";
            });
            if (checks[^1].Ok)
            {
                await Check("/v2/ answers", async () =>
                {
                    using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "v2/"), cancellationToken);
                    return response.Headers.TryGetValues("Docker-Distribution-API-Version", out var versions)
                        ? $"{(int)response.StatusCode}, {versions.First()}"
                        : throw new CliException($"GET /v2/ answered {(int)response.StatusCode} without Docker-Distribution-API-Version: not a registry?");
                });
                await Check("credentials work", async () =>
                {
                    var (status, message) = await client.ProbeManagementAsync(cancellationToken);
                    return status switch
                    {
                        HttpStatusCode.OK => $"registry '{client.Registry}' accepts them",
                        HttpStatusCode.Forbidden => $"accepted, without management rights on '{client.Registry}'",
                        _ => throw new CliException(message),
                    };
                });
                await Check("token obtainable", async () =>
                {
                    await client.TokenAsync("registry:catalog:*", cancellationToken);
                    return $"from {client.BaseAddress}oauth2/token for {await client.LoginServerAsync(cancellationToken)}";
                });
            }

            if (context.Output.IsJson)
            {
                context.Output.Json(new JsonArray(checks.Select(c => (JsonNode?)new JsonObject { ["check"] = c.Name, ["ok"] = c.Ok, ["detail"] = c.Detail }).ToArray()));
            }
            else
            {
                foreach (var (name, ok, detail) in checks)
                {
                    context.Environment.Out.WriteLine($"{(ok ? "✓" : "✗")} {name}: {detail}");
                }
            }

            return checks.TrueForAll(c => c.Ok) ? 0 : 1;
        });
}
