using Registry.Contracts;
using Registry.Distribution.Apis;
using Registry.Security;

namespace Registry.Distribution.Events;

/// <summary>
/// Who and which request caused the writes a piece of background work makes (an import, a scan's referrers): captured
/// from the request that started it, and used by the event decorator when no request is in progress.
/// </summary>
public sealed record EventOrigin(string? Actor, RequestInfo? Request)
{
    private static readonly AsyncLocal<EventOrigin?> Ambient = new();

    public static EventOrigin? Current => Ambient.Value;

    /// <summary>The request's id, host, method, user agent and client address; the actor given, or the token's subject.</summary>
    public static EventOrigin Of(HttpContext context, string? actor = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        return new EventOrigin(actor ?? V2Access.ActorOf(context), new RequestInfo
        {
            Id = request.Headers[FrontDoor.RequestIdHeader].ToString() is { Length: > 0 } id ? id : context.TraceIdentifier,
            Host = request.Host.Value ?? string.Empty,
            Method = request.Method,
            UserAgent = request.Headers.UserAgent.ToString() is { Length: > 0 } agent ? agent : null,
            ClientAddress = context.Connection.RemoteIpAddress?.ToString(),
        });
    }

    /// <summary>Makes this the origin of the events raised by the calling flow until disposed.</summary>
    public IDisposable Use()
    {
        var previous = Ambient.Value;
        Ambient.Value = this;
        return new Restore(previous);
    }

    private sealed class Restore(EventOrigin? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}
