using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Registry.Replication.Tests;

/// <summary>The answer to a <c>POST …/import</c> that was accepted: the operation as returned, and where to follow it.</summary>
public sealed record AcceptedImport(JsonElement Operation, Uri Location, string Body);

/// <summary>
/// The import API of a host (<c>/api/registries/default/import</c>) over real HTTP: Basic credentials of the admin user
/// by default, ACR's <c>importImage</c> bodies, the operation polled until it finishes.
/// </summary>
public sealed class ImportClient(TestHost host) : IDisposable
{
    public const string ImportPath = "/api/registries/" + TestHost.Registry + "/import";

    /// <summary>How long an operation may run before a test gives up on it (a failure guard, not a timing assertion).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        BaseAddress = host.BaseAddress,
        Timeout = TimeSpan.FromSeconds(90),
    };

    public TestHost Host => host;

    public AuthenticationHeaderValue Admin => Basic(host.AdminUsername, host.AdminPassword);

    public static AuthenticationHeaderValue Basic(string username, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));

    /// <summary><c>POST …/import</c> with <paramref name="body"/> serialized as JSON, as the admin unless <paramref name="authorization"/> says otherwise.</summary>
    public Task<HttpResponseMessage> PostAsync(object body, AuthenticationHeaderValue? authorization = null, bool anonymous = false) =>
        PostRawAsync(JsonSerializer.Serialize(body), authorization, anonymous);

    /// <summary><c>POST …/import</c> with exactly this body text (<c>application/json</c>).</summary>
    public async Task<HttpResponseMessage> PostRawAsync(string json, AuthenticationHeaderValue? authorization = null, bool anonymous = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ImportPath) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = anonymous ? null : authorization ?? Admin;
        return await _http.SendAsync(request);
    }

    /// <summary><c>GET</c> of an operation address (absolute path or URL), as the admin unless told otherwise.</summary>
    public async Task<HttpResponseMessage> GetAsync(string address, AuthenticationHeaderValue? authorization = null, bool anonymous = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, address);
        request.Headers.Authorization = anonymous ? null : authorization ?? Admin;
        return await _http.SendAsync(request);
    }

    /// <summary>Another management call (<c>/api/registries/default{relativePath}</c>) as the admin, with <paramref name="body"/> as JSON.</summary>
    public async Task<HttpResponseMessage> SendManagementAsync(HttpMethod method, string relativePath, object? body = null)
    {
        using var request = new HttpRequestMessage(method, $"/api/registries/{TestHost.Registry}{relativePath}")
        {
            Content = body is null ? null : new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = Admin;
        return await _http.SendAsync(request);
    }

    /// <summary>Starts an import that must be accepted: 202, a <c>Location</c>, the operation as the body.</summary>
    public async Task<AcceptedImport> StartAsync(object body)
    {
        using var response = await PostAsync(body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST {ImportPath} {JsonSerializer.Serialize(body)} answered {(int)response.StatusCode}: {text}{Environment.NewLine}{host.Describe()}");
        Assert.NotNull(response.Headers.Location);
        return new AcceptedImport(JsonDocument.Parse(text).RootElement.Clone(), response.Headers.Location, text);
    }

    /// <summary>Polls the operation until its status is no longer <c>Running</c>; returns it (as parsed JSON and as text).</summary>
    public async Task<(JsonElement Operation, string Text)> WaitAsync(Uri location)
    {
        using var deadline = new CancellationTokenSource(Patience);
        var last = string.Empty;
        while (true)
        {
            using (var response = await GetAsync(location.OriginalString))
            {
                last = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {location} answered {(int)response.StatusCode}: {last}");
                var operation = JsonDocument.Parse(last).RootElement.Clone();
                if (operation.GetProperty("status").GetString() != "Running")
                {
                    return (operation, last);
                }
            }

            if (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"import operation {location} still Running after {Patience.TotalSeconds:0} s: {last}{Environment.NewLine}{host.Describe()}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Starts an import, waits for it and asserts it <c>Succeeded</c>; returns the finished operation.</summary>
    public async Task<JsonElement> ImportAsync(object body)
    {
        var accepted = await StartAsync(body);
        var (operation, text) = await WaitAsync(accepted.Location);
        AssertSucceeded(operation, text);
        return operation;
    }

    public void AssertSucceeded(JsonElement operation, string text) =>
        Assert.True(operation.GetProperty("status").GetString() == "Succeeded", $"the import did not succeed: {text}{Environment.NewLine}{host.Describe()}");

    public void Dispose() => _http.Dispose();
}

/// <summary>The numbers of an operation's <c>progress</c>.</summary>
public sealed record Progress(int Manifests, int ManifestsTotal, int BlobsCopied, int BlobsExisting, long BytesCopied)
{
    public static Progress Of(JsonElement operation)
    {
        var progress = operation.GetProperty("progress");
        return new Progress(
            progress.GetProperty("manifests").GetInt32(),
            progress.GetProperty("manifestsTotal").GetInt32(),
            progress.GetProperty("blobsCopied").GetInt32(),
            progress.GetProperty("blobsExisting").GetInt32(),
            progress.GetProperty("bytesCopied").GetInt64());
    }
}

/// <summary>RFC 7807 answers of the management API.</summary>
public static class Problem
{
    /// <summary>
    /// Asserts (and disposes) a ProblemDetails answer with this status and a title (exactly <paramref name="title"/> when
    /// given), whose detail contains <paramref name="detail"/> when given; returns the problem.
    /// </summary>
    public static async Task<JsonElement> AssertAsync(HttpResponseMessage response, HttpStatusCode status, string? title = null, string? detail = null, Func<string>? context = null)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            var where = $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}";
            Assert.True(response.StatusCode == status, $"{where}: expected {(int)status}, got {(int)response.StatusCode}: {text}{(context is null ? string.Empty : Environment.NewLine + context())}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(text).RootElement.Clone();
            Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()), $"the problem has a title: {text}");
            if (title is not null)
            {
                Assert.Equal(title, problem.GetProperty("title").GetString());
            }

            if (detail is not null)
            {
                Assert.True(problem.TryGetProperty("detail", out var actual) && actual.GetString()!.Contains(detail, StringComparison.Ordinal), $"the detail mentions '{detail}': {text}");
            }

            return problem;
        }
    }
}
