namespace SalesOps.Grains;

/// <summary>
/// Acceptance times (wall-clock UTC ticks, 0: not known) carried beside roll-ups from the rep books through the regions
/// to the board pushes, for the event-to-push latency metric (docs/telemetry.md). Never inside a roll-up: roll-ups are
/// journaled and stored, a stamp is telemetry. A direct call carries it as an argument of its own (not in the Orleans
/// request context, which costs a dictionary copied into every message and its answer), the carrier in its
/// <see cref="Abstractions.RollupItem"/>.
/// </summary>
internal static class AcceptanceStamps
{
    /// <summary>The earlier of two stamps, 0 meaning none.</summary>
    public static long Earliest(long a, long b) => a == 0 ? b : b == 0 ? a : Math.Min(a, b);

    /// <summary>Takes the earliest stamp noted for <paramref name="destination"/> (0: none) and forgets it.</summary>
    public static long Take(Dictionary<string, long> pending, string destination) =>
        pending.Remove(destination, out var stamp) ? stamp : 0;

    /// <summary>Notes <paramref name="stamp"/> for <paramref name="destination"/> unless an earlier one waits.</summary>
    public static void Note(Dictionary<string, long> pending, string destination, long stamp)
    {
        if (stamp != 0)
        {
            pending[destination] = pending.TryGetValue(destination, out var noted) ? Math.Min(noted, stamp) : stamp;
        }
    }
}
