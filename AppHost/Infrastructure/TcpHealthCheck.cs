using System.Net.Sockets;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Registry.AppHost.Infrastructure;

/// <summary>Ready when the port accepts connections, so services wait for the process before they start.</summary>
internal sealed class TcpHealthCheck(int port) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (SocketException ex)
        {
            return HealthCheckResult.Unhealthy($"port {port} is not accepting connections", ex);
        }
    }
}
