using System.Collections.Frozen;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Registry.Security;

/// <summary>
/// Beyond ACR: custom domains (host names outside the platform's domain) and the registry each one serves, as this
/// process last heard them from the registry directory. Read on every request, so lookups never wait.
/// </summary>
public sealed class CustomDomainMap
{
    private FrozenDictionary<string, string> _domains = FrozenDictionary<string, string>.Empty;

    public string? Find(string host) => _domains.GetValueOrDefault(host.ToLowerInvariant());

    public void Replace(IReadOnlyDictionary<string, string> domains) =>
        _domains = domains.ToFrozenDictionary(entry => entry.Key.ToLowerInvariant(), entry => entry.Value, StringComparer.Ordinal);

    /// <summary>Host names are DNS names: labels of letters, digits and hyphens, at least one dot, at most 253 characters.</summary>
    public static bool IsHostName(string? value) =>
        value is { Length: > 3 and <= 253 } && value.Contains('.', StringComparison.Ordinal) &&
        value.Split('.').All(label => label.Length is > 0 and <= 63 && label[0] != '-' && label[^1] != '-' && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'));
}

/// <summary>Keeps <see cref="CustomDomainMap"/> current: asks the registry directory every few seconds.</summary>
internal sealed partial class CustomDomainRefresher(
    IServiceProvider services, CustomDomainMap map, TimeProvider time, ILogger<CustomDomainRefresher> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var directory = services.GetRequiredService<IRegistryDirectory>();
        using var timer = new PeriodicTimer(Period, time);
        do
        {
            try
            {
                map.Replace(await directory.CustomDomainsAsync(stoppingToken));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRefreshFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(1, LogLevel.Warning, "Custom domains could not be refreshed; the ones known stay in use")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
