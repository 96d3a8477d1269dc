namespace SalesOps.Runtime;

/// <summary>
/// Finishes work a lost activation left behind (key 0): wakes every grain whose journal has entries a snapshot does
/// not cover, so messages it had queued are sent. Runs at silo start, when a silo is declared dead, and on a
/// reminder.
/// </summary>
public interface IRecoveryGrain : IGrainWithIntegerKey
{
    /// <summary>Wakes the grains; returns how many were woken.</summary>
    Task<int> SweepAsync();

    /// <summary>Registers the periodic reminder (idempotent).</summary>
    Task EnsureScheduledAsync();

    /// <summary>
    /// Wakes the grain of <paramref name="stream"/> in about a second: it deactivated with messages it could not
    /// deliver, and nothing else may call it before the next sweep.
    /// </summary>
    Task WakeSoonAsync(string stream);
}
