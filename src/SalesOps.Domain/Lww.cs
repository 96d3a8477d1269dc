namespace SalesOps.Domain;

/// <summary>
/// Order of events for last-writer-wins: later <c>occurred_at</c> wins; on a tie, the larger event id (ordinal)
/// wins. Every replica therefore picks the same winner whatever order the events arrived in.
/// </summary>
public readonly record struct EventStamp(DateTimeOffset At, string EventId) : IComparable<EventStamp>
{
    public int CompareTo(EventStamp other)
    {
        var c = At.CompareTo(other.At);
        return c != 0 ? c : string.CompareOrdinal(EventId, other.EventId);
    }

    public static bool operator <(EventStamp a, EventStamp b) => a.CompareTo(b) < 0;
    public static bool operator >(EventStamp a, EventStamp b) => a.CompareTo(b) > 0;
    public static bool operator <=(EventStamp a, EventStamp b) => a.CompareTo(b) <= 0;
    public static bool operator >=(EventStamp a, EventStamp b) => a.CompareTo(b) >= 0;
}

/// <summary>A last-writer-wins register.</summary>
public struct Lww<T>
{
    public T Value;
    public EventStamp Stamp;
    public bool HasValue;

    /// <summary>Takes the value if it is newer than the one held; returns whether it did.</summary>
    public bool Offer(T value, EventStamp stamp)
    {
        if (HasValue && stamp <= Stamp)
        {
            return false;
        }

        Value = value;
        Stamp = stamp;
        HasValue = true;
        return true;
    }
}
