using System.Diagnostics;

namespace Registry.GeoReplication.Tests;

/// <summary>Bounded polling: replication is asynchronous, so a test waits (generously) for what must come true.</summary>
public static class Eventually
{
    /// <summary>How long convergence may take on a slow, busy CI machine; a healthy run needs a small fraction of it.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(150);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="describe"/> when the deadline passes.</summary>
    public static async Task WaitAsync(Func<Task<bool>> condition, Func<string> describe, TimeSpan? timeout = null, TimeSpan? interval = null)
    {
        var limit = timeout ?? Patience;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await condition())
            {
                return;
            }

            if (clock.Elapsed > limit)
            {
                Assert.Fail($"not true within {limit.TotalSeconds:0} s: {describe()}");
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(250));
        }
    }
}
