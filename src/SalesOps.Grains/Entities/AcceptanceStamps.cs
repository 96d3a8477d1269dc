using Orleans.Runtime;

namespace SalesOps.Grains;

/// <summary>
/// Acceptance times (wall-clock UTC ticks, 0: not known) carried beside roll-ups from the rep books through the regions
/// to the board pushes, for the event-to-push latency metric (docs/telemetry.md). Never inside a roll-up: roll-ups are
/// journaled and stored, a stamp is telemetry. A direct call carries it in the Orleans request context, the carrier in
/// its <see cref="Abstractions.RollupItem"/>.
/// </summary>
internal static class AcceptanceStamps
{
    private const string Key = "salesops.accepted-at";

    /// <summary>The earlier of two stamps, 0 meaning none.</summary>
    public static long Earliest(long a, long b) => a == 0 ? b : b == 0 ? a : Math.Min(a, b);

    /// <summary>Makes the grain call <paramref name="call"/> starts carry <paramref name="stamp"/>, and no later call.</summary>
    public static Task Carrying(long stamp, Func<Task> call)
    {
        if (stamp == 0)
        {
            return call();
        }

        RequestContext.Set(Key, stamp);
        try
        {
            return call(); // the request context is copied into the message when the call is made, synchronously
        }
        finally
        {
            RequestContext.Remove(Key);
        }
    }

    /// <summary>
    /// Takes the stamp the current grain call carries (0 when none), so the calls this one makes do not carry it on
    /// (the request context flows into them).
    /// </summary>
    public static long TakeFromCurrentCall()
    {
        if (RequestContext.Get(Key) is not long stamp)
        {
            return 0;
        }

        RequestContext.Remove(Key);
        return stamp;
    }

    /// <summary>Takes the earliest stamp noted for <paramref name="destination"/> (0: none) and forgets it.</summary>
    public static long Take(Dictionary<string, long> pending, string destination) =>
        pending.Remove(destination, out var stamp) ? stamp : 0;

    /// <summary>Notes <paramref name="stamp"/> for <paramref name="destination"/> unless an earlier one waits.</summary>
    public static void Note(Dictionary<string, long> pending, string destination, long stamp)
    {
        if (stamp != 0)
        {
            pending.TryAdd(destination, stamp);
        }
    }
}
