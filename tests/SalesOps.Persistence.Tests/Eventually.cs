namespace SalesOps.Persistence.Tests;

/// <summary>Bounded polling for things the cluster does in the background (failure detection, heartbeats).</summary>
internal static class Eventually
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(200);

    /// <summary>Retries <paramref name="attempt"/> (each bounded by <paramref name="perAttempt"/>) until it succeeds.</summary>
    public static async Task<T> SucceedsAsync<T>(Func<Task<T>> attempt, TimeSpan within, TimeSpan perAttempt, string what)
    {
        var deadline = DateTime.UtcNow + within;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                return await attempt().WaitAsync(perAttempt);
            }
            catch (Exception ex)
            {
                last = ex;
                await Task.Delay(Pause);
            }
        }

        throw new TimeoutException($"{what}: no success within {within.TotalSeconds:0} s; last error: {last?.GetType().Name}: {last?.Message}", last);
    }

    /// <summary>Waits until <paramref name="condition"/> holds.</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan within, string what)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition().WaitAsync(Limits.Call))
            {
                return;
            }

            await Task.Delay(Pause);
        }

        Assert.Fail($"{what}: not true within {within.TotalSeconds:0} s");
    }
}
