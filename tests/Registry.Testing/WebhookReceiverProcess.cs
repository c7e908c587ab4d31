using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Registry.Testing;

/// <summary>How the webhook receiver answers a path (or every path without a mode of its own).</summary>
/// <param name="Status">The response status.</param>
/// <param name="RetryAfterSeconds">Sent as <c>Retry-After</c> when set.</param>
/// <param name="DelayMs">How long to wait before answering.</param>
/// <param name="Body">A text/plain response body, when set.</param>
/// <param name="Secret">Checks <c>X-Registry-Signature</c> on this path with this secret instead of the receiver's.</param>
public sealed record ReceiverMode(int Status = 200, int? RetryAfterSeconds = null, int DelayMs = 0, string? Body = null, string? Secret = null);

/// <summary>One request the webhook receiver recorded.</summary>
/// <param name="Sequence">1, 2, … in arrival order (per receiver process).</param>
/// <param name="Path">The path with its query string.</param>
/// <param name="Headers">Header name (case-insensitive) to value (several values joined by ", ").</param>
/// <param name="Body">The body as UTF-8 text.</param>
/// <param name="SignatureValid">
/// Whether <c>X-Registry-Signature</c> is <c>sha256=</c> + the HMAC-SHA256 of the body; null when no secret is
/// configured or the header is missing.
/// </param>
public sealed record ReceivedRequest(
    long Sequence, DateTimeOffset ReceivedAt, string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body, bool? SignatureValid)
{
    /// <summary>The header's value, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// The webhook receiver (tests/Registry.WebhookReceiver) as a real local process on a loopback port: webhooks are
/// pointed at <see cref="UrlFor"/>, and what arrived is read back over its <c>/_receiver/</c> API. A test project
/// references the receiver project so that <see cref="DefaultDllPath"/> exists beside the test assembly.
/// </summary>
public sealed class WebhookReceiverProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly string _dllPath;
    private readonly HttpClient _http;

    /// <summary>The modes set through this object (key "" for the default), set again after a restart.</summary>
    private readonly Dictionary<string, ReceiverMode> _modes = new(StringComparer.Ordinal);

    private ProcessHost? _host;

    private WebhookReceiverProcess(string dllPath, int port, string? secret)
    {
        _dllPath = dllPath;
        Port = port;
        Secret = secret;
        BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
        _http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(15) };
    }

    /// <summary>The receiver's dll beside the test assembly (copied there by a ProjectReference to the receiver project).</summary>
    public static string DefaultDllPath => Path.Combine(AppContext.BaseDirectory, "Registry.WebhookReceiver.dll");

    /// <summary>The port; stays the same across <see cref="StopAsync"/> / <see cref="RestartAsync"/>.</summary>
    public int Port { get; }

    /// <summary>The secret the receiver checks signatures with (null: signatures are not checked).</summary>
    public string? Secret { get; }

    /// <summary><c>http://127.0.0.1:port/</c>.</summary>
    public Uri BaseAddress { get; }

    public bool IsRunning => _host is { HasExited: false };

    /// <summary>
    /// Starts the receiver (<c>dotnet Registry.WebhookReceiver.dll --urls … [--secret …]</c>) on <paramref name="port"/>
    /// or a free one, and waits until it listens.
    /// </summary>
    public static async Task<WebhookReceiverProcess> StartAsync(string receiverDllPath, int? port = null, string? secret = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(receiverDllPath);
        if (!File.Exists(receiverDllPath))
        {
            throw new InvalidOperationException(
                $"webhook receiver: '{receiverDllPath}' does not exist. Reference the receiver from the test project: " +
                "<ProjectReference Include=\"../Registry.WebhookReceiver/Registry.WebhookReceiver.csproj\" />");
        }

        for (var attempt = 1; ; attempt++)
        {
            var receiver = new WebhookReceiverProcess(Path.GetFullPath(receiverDllPath), port ?? FreePort.Next(), secret);
            try
            {
                await receiver.StartProcessAsync();
                return receiver;
            }
            catch (InvalidOperationException) when (port is null && attempt < 3 && receiver._host is { HasExited: true })
            {
                // Most likely the port was taken between choosing and binding it: try another one.
                await receiver.DisposeAsync();
            }
            catch
            {
                await receiver.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>The absolute URL of <paramref name="path"/> ("/hooks/a", "hooks/a?x=1") on this receiver.</summary>
    public Uri UrlFor(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return new Uri(BaseAddress + path.TrimStart('/'));
    }

    /// <summary>The requests recorded since the process started (or the last <see cref="ClearAsync"/>), all or those for one path, in arrival order.</summary>
    public async Task<IReadOnlyList<ReceivedRequest>> RequestsAsync(string? path = null, CancellationToken cancellationToken = default)
    {
        var query = path is null ? string.Empty : "?path=" + Uri.EscapeDataString(path);
        var requests = await _http.GetFromJsonAsync<List<ReceivedRequest>>("_receiver/requests" + query, JsonSerializerOptions.Web, cancellationToken) ?? [];
        return requests.ConvertAll(request => request with { Headers = new Dictionary<string, string>(request.Headers, StringComparer.OrdinalIgnoreCase) });
    }

    /// <summary>Polls until at least <paramref name="count"/> requests for <paramref name="path"/> arrived, and returns them.</summary>
    /// <exception cref="TimeoutException">Fewer arrived in time; the message lists what did arrive (for every path).</exception>
    public async Task<IReadOnlyList<ReceivedRequest>> WaitForRequestsAsync(string path, int count, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var deadline = new CancellationTokenSource(timeout);
        Exception? lastError = null;
        while (true)
        {
            try
            {
                var requests = await RequestsAsync(path, deadline.Token);
                if (requests.Count >= count)
                {
                    return requests;
                }

                await Task.Delay(PollInterval, deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                break;
            }
            catch (HttpRequestException ex)
            {
                // Stopped or restarting: keep waiting.
                lastError = ex;
                await Task.Delay(PollInterval);
            }
        }

        throw new TimeoutException(await DescribeShortfallAsync(path, count, timeout, lastError));
    }

    /// <summary>Sets how the receiver answers <paramref name="path"/> (exact path, no query), or every other path when null.</summary>
    public async Task SetModeAsync(string? path, ReceiverMode mode)
    {
        ArgumentNullException.ThrowIfNull(mode);
        using var response = await _http.PutAsJsonAsync(ModeAddress(path), mode, JsonSerializerOptions.Web);
        await EnsureSuccessAsync(response);
        lock (_modes)
        {
            _modes[path ?? string.Empty] = mode;
        }
    }

    /// <summary>Every path answers 200 again.</summary>
    public async Task ResetModesAsync()
    {
        await SendAsync(HttpMethod.Delete, "_receiver/modes");
        lock (_modes)
        {
            _modes.Clear();
        }
    }

    /// <summary>Forgets the recorded requests (modes stay).</summary>
    public Task ClearAsync() => SendAsync(HttpMethod.Delete, "_receiver/requests");

    /// <summary>Stops the process (the receiver is down: connections are refused); <see cref="RestartAsync"/> brings it back.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _host, null) is { } host)
        {
            await host.StopAsync(StopGrace);
            await host.DisposeAsync();
        }
    }

    /// <summary>
    /// Stops the process if it runs and starts a new one on the same port with the same secret: the recorded requests
    /// are gone, the modes set through this object are set again. Not meant to be called concurrently with itself.
    /// </summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartProcessAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _http.Dispose();
    }

    private async Task StartProcessAsync()
    {
        List<string> arguments = [_dllPath, "--urls", BaseAddress.ToString().TrimEnd('/')];
        if (Secret is not null)
        {
            arguments.AddRange(["--secret", Secret]);
        }

        _host = ProcessHost.Start("webhook-receiver", DotnetHost(), arguments);
        await _host.WaitForPortAsync(Port, StartTimeout);

        KeyValuePair<string, ReceiverMode>[] modes;
        lock (_modes)
        {
            modes = [.. _modes];
        }

        foreach (var (path, mode) in modes)
        {
            using var response = await _http.PutAsJsonAsync(ModeAddress(path.Length == 0 ? null : path), mode, JsonSerializerOptions.Web);
            await EnsureSuccessAsync(response);
        }
    }

    /// <summary>The dotnet host running the tests (DOTNET_HOST_PATH under the dotnet CLI), else <c>dotnet</c> on PATH.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }

        return Environment.ProcessPath is { } processPath && Path.GetFileNameWithoutExtension(processPath) == "dotnet" ? processPath : "dotnet";
    }

    private static string ModeAddress(string? path) => path is null ? "_receiver/mode" : "_receiver/modes/" + path.TrimStart('/');

    private async Task SendAsync(HttpMethod method, string address)
    {
        using var request = new HttpRequestMessage(method, address);
        using var response = await _http.SendAsync(request);
        await EnsureSuccessAsync(response);
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException(
                $"webhook receiver: {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: " +
                await response.Content.ReadAsStringAsync());
        }
    }

    private async Task<string> DescribeShortfallAsync(string path, int count, TimeSpan timeout, Exception? lastError)
    {
        var message = new StringBuilder($"webhook receiver {BaseAddress}: expected {count} request(s) to '{path}' within {timeout.TotalSeconds:0.#} s");
        try
        {
            var all = await RequestsAsync();
            message.Append(CultureInfo.InvariantCulture, $"; {all.Count(request => request.Path.Split('?', 2)[0] == path)} arrived there. ")
                .Append(all.Count == 0 ? "Nothing was recorded." : $"All {all.Count} recorded request(s):");
            foreach (var request in all)
            {
                var body = request.Body.Length > 200 ? request.Body[..200] + "…" : request.Body;
                message.AppendLine().Append(CultureInfo.InvariantCulture,
                    $"  #{request.Sequence} {request.ReceivedAt:HH:mm:ss.fff} {request.Method} {request.Path} signatureValid={request.SignatureValid?.ToString() ?? "n/a"} body={body}");
            }
        }
        catch (HttpRequestException ex)
        {
            message.Append(CultureInfo.InvariantCulture, $"; the receiver did not answer ({ex.Message}; running: {IsRunning})");
        }

        if (lastError is not null)
        {
            message.AppendLine().Append(CultureInfo.InvariantCulture, $"  last polling error: {lastError.Message}");
        }

        return message.ToString();
    }
}
