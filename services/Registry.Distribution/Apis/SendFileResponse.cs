using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.WebUtilities;
using Registry.Storage;

namespace Registry.Distribution.Apis;

/// <summary>
/// Sends a whole blob file with the kernel's <c>sendfile</c>, which Kestrel's response pipe cannot: the response
/// head and the file go straight to the connection's socket, then the connection is closed, because Kestrel
/// would otherwise write a response of its own after it (ADR 0014).
/// </summary>
internal static class SendFileResponse
{
    /// <summary>How long a client that reads the whole response yet keeps the connection open is waited for.</summary>
    private static readonly TimeSpan ClientCloseTimeout = TimeSpan.FromMinutes(2);

    public static async ValueTask<bool> TrySendAsync(HttpContext context, Stream content, long length, DistributionOptions options)
    {
        if (!options.SendFile || length < options.SendFileMinBytes
            || content is not ILocalFileContent { WholeFilePath: { } path }
            || ConnectionToTakeOver(context) is not { } socket)
        {
            return false;
        }

        var head = ResponseHead(context.Response);
        using var sending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        using var stopWatching = new CancellationTokenSource();
        var watchdog = CancelIfClientStallsAsync(socket, context.Features.Get<IHttpMinResponseDataRateFeature>()?.MinDataRate, sending, stopWatching.Token);
        try
        {
            try
            {
                await socket.SendFileAsync(path, head, ReadOnlyMemory<byte>.Empty, TransmitFileOptions.UseDefaultWorkerThread, sending.Token);
            }
            finally
            {
                await stopWatching.CancelAsync();
                await watchdog;
            }

            socket.Shutdown(SocketShutdown.Send);
            await ClientCloseAsync(context.RequestAborted);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            // Opening the file failed before a byte was sent: the caller copies from the stream it already holds.
            return false;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The client went away or stalled mid-transfer; the connection is closed below. A client that read the
            // whole response and closed at once may even have had Kestrel dispose the socket before the shutdown.
        }

        context.Abort();
        return true;
    }

    /// <summary>
    /// Kestrel aborts a response whose client reads slower than its minimum response data rate, so a client cannot hold
    /// a connection by not reading. Bytes handed to the kernel escape that check; this applies it to what the client
    /// acknowledges instead (TCP_INFO's <c>tcpi_bytes_acked</c>), one grace period at a time, and cancels a send that
    /// falls below it.
    /// </summary>
    private static async Task CancelIfClientStallsAsync(Socket socket, MinDataRate? rate, CancellationTokenSource sending, CancellationToken stop)
    {
        if (rate is null || BytesAcknowledged(socket) is not { } acknowledged)
        {
            return;
        }

        var minimumPerPeriod = rate.BytesPerSecond * rate.GracePeriod.TotalSeconds;
        try
        {
            while (true)
            {
                await Task.Delay(rate.GracePeriod, stop);
                var now = BytesAcknowledged(socket) ?? acknowledged;
                if (now - acknowledged < minimumPerPeriod)
                {
                    await sending.CancelAsync();
                    return;
                }

                acknowledged = now;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private const int IpProtocolTcp = 6;
    private const int TcpInfoOption = 11;
    private const int TcpInfoBytesAckedOffset = 120; // struct tcp_info, stable since Linux 4.1

    private static long? BytesAcknowledged(Socket socket)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        Span<byte> info = stackalloc byte[TcpInfoBytesAckedOffset + sizeof(long)];
        try
        {
            return socket.GetRawSocketOption(IpProtocolTcp, TcpInfoOption, info) >= info.Length
                ? MemoryMarshal.Read<long>(info[TcpInfoBytesAckedOffset..])
                : null;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary>
    /// Waits for the client to close its side, which it does once it has read the whole response it was told ends
    /// the connection. Closing first would not do: .NET resets a socket closed under Kestrel's pending read, and a
    /// reset drops whatever the client has not yet received.
    /// </summary>
    private static async Task ClientCloseAsync(CancellationToken clientClosed)
    {
        try
        {
            await Task.Delay(ClientCloseTimeout, clientClosed);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Linux only, where a stalled client can be told from the socket (<see cref="BytesAcknowledged"/>). Only a
    /// plain-text HTTP/1.1 connection whose request is fully read and whose response has not begun can be
    /// written to directly: with TLS the socket carries ciphertext, with HTTP/2 it carries frames, and unread request
    /// bytes would turn the close into a reset that can cut the response short.
    /// </summary>
    private static Socket? ConnectionToTakeOver(HttpContext context)
    {
        var request = context.Request;
        return OperatingSystem.IsLinux()
            && !context.Response.HasStarted
            && HttpProtocol.IsHttp11(request.Protocol)
            && request.ContentLength is null or 0
            && request.Headers.TransferEncoding.Count == 0
            && context.Features.Get<ITlsConnectionFeature>() is null
                ? context.Features.Get<IConnectionSocketFeature>()?.Socket
                : null;
    }

    private static byte[] ResponseHead(HttpResponse response)
    {
        var head = new StringBuilder(512)
            .Append("HTTP/1.1 ").Append(response.StatusCode).Append(' ').Append(ReasonPhrases.GetReasonPhrase(response.StatusCode)).Append("\r\n")
            .Append("Date: ").Append(DateTimeOffset.UtcNow.ToString("r")).Append("\r\n")
            .Append("Connection: close\r\n");
        foreach (var (name, values) in response.Headers)
        {
            if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase) || name.Equals("Date", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (var value in values)
            {
                head.Append(name).Append(": ").Append(value).Append("\r\n");
            }
        }

        return Encoding.ASCII.GetBytes(head.Append("\r\n").ToString());
    }
}
