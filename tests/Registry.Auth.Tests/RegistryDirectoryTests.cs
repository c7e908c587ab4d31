using System.Net;
using System.Text;
using Registry.Security;

namespace Registry.Auth.Tests;

/// <summary>The gateway's and services' view of which registries exist, when the auth service answers and when it does not.</summary>
public sealed class RegistryDirectoryTests
{
    [Fact]
    public async Task A_registry_seen_before_is_still_found_while_auth_does_not_answer_and_an_unseen_one_is_unavailable()
    {
        var auth = new ScriptedAuth();
        var time = new TestClock();
        using var client = new HttpClient(auth) { BaseAddress = new Uri("http://auth") };
        var directory = new HttpRegistryDirectory(client, time);

        auth.Answer = _ => Json("""{"name":"teamreg","loginServer":"teamreg.localhost","tier":"Premium"}""");
        Assert.Equal("teamreg.localhost", (await directory.FindAsync("teamreg", CancellationToken.None))!.LoginServer);

        auth.Answer = _ => throw new HttpRequestException("connection refused");
        time.Advance(HttpRegistryDirectory.PositiveLifetime + TimeSpan.FromSeconds(1));
        Assert.Equal("teamreg.localhost", (await directory.FindAsync("teamreg", CancellationToken.None))!.LoginServer);
        await Assert.ThrowsAsync<RegistryDirectoryUnavailableException>(() => directory.FindAsync("otherreg", CancellationToken.None).AsTask());

        auth.Answer = _ => new HttpResponseMessage(HttpStatusCode.NotFound);
        time.Advance(HttpRegistryDirectory.PositiveLifetime + TimeSpan.FromSeconds(1));
        Assert.Null(await directory.FindAsync("teamreg", CancellationToken.None));
        Assert.Equal(4, auth.Calls); // asked again after each expiry and for the unseen registry: no failure was remembered as an answer
    }

    private static HttpResponseMessage Json(string body) => new(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    private sealed class ScriptedAuth : HttpMessageHandler
    {
        public Func<HttpRequestMessage, HttpResponseMessage> Answer { get; set; } = _ => new HttpResponseMessage(HttpStatusCode.NotFound);

        public int Calls { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Calls++;
            return Task.FromResult(Answer(request));
        }
    }
}
