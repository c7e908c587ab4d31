using System.Net;
using System.Net.Sockets;

namespace Registry.Security;

/// <summary>
/// Outbound safety for requests the platform makes on a user's behalf (webhook deliveries, imports): they may not reach
/// loopback, link-local, private or otherwise internal addresses unless the operator allows it. The check runs when each
/// connection is made (after DNS, for redirects too), so neither a DNS name pointing inwards nor a redirect gets around it.
/// Use <see cref="ConnectAsync"/> as <see cref="SocketsHttpHandler.ConnectCallback"/>.
/// </summary>
public sealed class OutboundGuard(bool allowPrivateNetworks, string allowSetting, string what = "connections")
{
    /// <summary>Null when <paramref name="address"/> may be reached; else why not.</summary>
    public string? Refusal(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return allowPrivateNetworks ? null : InternalRange(address) is { } range ? $"{address} is a {range} address" : null;
    }

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowed = addresses.Where(address => Refusal(address) is null).ToList();
        if (allowed.Count == 0)
        {
            throw new OutboundRefusedException(addresses.Length == 0
                ? $"'{host}' does not resolve to any address"
                : $"{what} to '{host}' are refused: {Refusal(addresses[0])} (set {allowSetting} to allow internal addresses)");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed.ToArray(), context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The internal range <paramref name="address"/> falls in, or null for a public address.</summary>
    public static string? InternalRange(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address))
        {
            return "loopback";
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            return address.Equals(IPAddress.IPv6None) || address.Equals(IPAddress.IPv6Any) ? "unspecified"
                : address.IsIPv6LinkLocal ? "link-local"
                : address.IsIPv6SiteLocal || (bytes[0] & 0xFE) == 0xFC ? "private"
                : address.IsIPv6Multicast ? "multicast"
                : null;
        }

        var b = address.GetAddressBytes();
        return b[0] switch
        {
            0 => "unspecified",
            10 => "private",
            100 when (b[1] & 0xC0) == 64 => "shared (carrier-grade NAT)",
            169 when b[1] == 254 => "link-local",
            172 when (b[1] & 0xF0) == 16 => "private",
            192 when b[1] == 168 => "private",
            192 when b[1] == 0 && b[2] == 0 => "reserved",
            198 when (b[1] & 0xFE) == 18 => "benchmarking",
            >= 224 => "multicast or reserved",
            _ => null,
        };
    }
}

/// <summary>A connection outbound safety refused: final, not worth retrying.</summary>
public sealed class OutboundRefusedException(string message) : Exception(message);
