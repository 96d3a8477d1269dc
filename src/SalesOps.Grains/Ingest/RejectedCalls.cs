namespace SalesOps.Grains;

/// <summary>
/// Orleans rejects a message it could not deliver — the target activation was being deactivated or moved, or two
/// silos raced to activate the same grain (seen with two silos on a busy machine) — so nothing ran, and the call is
/// made again, <see cref="Retries"/> times at most, before the failure is passed on (ingest then answers
/// UNAVAILABLE). Calling again is safe even had it run: every apply is idempotent by event id (a repeat answers
/// DUPLICATE) and every existence check is a read.
/// </summary>
internal static class RejectedCalls
{
    public const int Retries = 2;

    private static readonly TimeSpan Backoff = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Makes the call, and again while Orleans rejects it. The state is passed through so that a static lambda serves,
    /// with no closure allocated per call on the ingest path.
    /// </summary>
    public static async Task<T> CallAsync<TState, T>(TState state, Func<TState, Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call(state);
            }
            catch (Exception ex) when (attempt <= Retries && IsRejection(ex))
            {
                await Task.Delay(Backoff * attempt);
            }
        }
    }

    private static bool IsRejection(Exception ex) =>
        ex is OrleansMessageRejectionException || (ex.InnerException is { } inner && IsRejection(inner));
}
