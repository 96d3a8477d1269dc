namespace SalesOps.Grains;

/// <summary>
/// The clock the engine reads "now" from: pace, elapsed share, the default period of a query. It wraps an injected
/// <see cref="TimeProvider"/> of its own so tests can move engine time without also moving the clock Orleans uses
/// for its timers, membership and activation collection.
/// </summary>
public sealed class EngineClock(TimeProvider time)
{
    public TimeProvider Time => time;

    public DateTimeOffset Now => time.GetUtcNow();
}
