namespace Registry.Webhooks.Tests;

/// <summary>Polling for something asynchronous (a delivery, a retry, a restart) with a generous deadline.</summary>
internal static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Checks <paramref name="condition"/> until it holds; fails with <paramref name="describe"/>'s account of the last state.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> describe)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!await condition())
        {
            if (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"not within {timeout.TotalSeconds:0} s: {describe()}");
            }

            await Task.Delay(PollInterval);
        }
    }

    /// <summary>Calls <paramref name="probe"/> until it returns a value, and returns that.</summary>
    public static async Task<T> GetAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, Func<string> describe)
        where T : class
    {
        T? result = null;
        await UntilAsync(async () => (result = await probe()) is not null, timeout, describe);
        return result!;
    }
}
