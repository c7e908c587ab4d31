using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Registry.WebhookReceiver;

/// <summary>How the receiver answers a path (the JSON body of <c>PUT /_receiver/mode</c> and <c>/_receiver/modes/{path}</c>).</summary>
/// <param name="Secret">Checks <c>X-Registry-Signature</c> on this path with this secret instead of the global one.</param>
internal sealed record ReceiverMode(int Status = 200, int? RetryAfterSeconds = null, int DelayMs = 0, string? Body = null, string? Secret = null);

/// <param name="Path">The path with its query string.</param>
/// <param name="SignatureValid">Null without a secret or without a signature header.</param>
internal sealed record RecordedRequest(
    long Sequence, DateTimeOffset ReceivedAt, string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body, bool? SignatureValid);

/// <summary>The record of received requests and the modes; thread-safe.</summary>
internal sealed class Receiver(string? secret)
{
    public const string SignatureHeader = "X-Registry-Signature";

    private readonly List<RecordedRequest> _requests = [];
    private readonly ConcurrentDictionary<string, ReceiverMode> _modes = new(StringComparer.Ordinal);
    private ReceiverMode _defaultMode = new();
    private long _sequence;

    public ReceiverMode DefaultMode
    {
        get => Volatile.Read(ref _defaultMode);
        set => Volatile.Write(ref _defaultMode, value);
    }

    public void SetMode(string path, ReceiverMode mode) => _modes[path] = mode;

    public void ResetModes()
    {
        _modes.Clear();
        DefaultMode = new ReceiverMode();
    }

    /// <summary>All requests, or those whose path (with or without its query string) is <paramref name="path"/>, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> Requests(string? path)
    {
        lock (_requests)
        {
            return _requests.Where(request => path is null || request.Path == path || PathOnly(request.Path) == path).ToList();
        }
    }

    public void Clear()
    {
        lock (_requests)
        {
            _requests.Clear();
        }
    }

    /// <summary>Records the request, then answers it as the mode for its path says.</summary>
    public async Task ReceiveAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value is { Length: > 0 } value ? value : "/";
        var mode = _modes.TryGetValue(path, out var pathMode) ? pathMode : DefaultMode;

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        var headers = request.Headers.ToDictionary(header => header.Key, header => header.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var signatureValid = IsSignatureValid(request.Headers[SignatureHeader].ToString(), body, mode.Secret ?? secret);
        lock (_requests)
        {
            _requests.Add(new RecordedRequest(
                ++_sequence, DateTimeOffset.UtcNow, request.Method, path + request.QueryString.Value, headers, Encoding.UTF8.GetString(body), signatureValid));
        }

        if (mode.DelayMs > 0)
        {
            await Task.Delay(mode.DelayMs, context.RequestAborted);
        }

        context.Response.StatusCode = mode.Status;
        if (mode.RetryAfterSeconds is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        if (mode.Body is not null)
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(mode.Body, context.RequestAborted);
        }
    }

    /// <summary>Whether <paramref name="header"/> is <c>sha256=</c> + the lowercase hex HMAC-SHA256 of the raw body.</summary>
    private static bool? IsSignatureValid(string header, byte[] body, string? secret)
    {
        if (string.IsNullOrEmpty(secret) || string.IsNullOrEmpty(header))
        {
            return null;
        }

        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(header));
    }

    private static string PathOnly(string pathAndQuery) => pathAndQuery.Split('?', 2)[0];
}
