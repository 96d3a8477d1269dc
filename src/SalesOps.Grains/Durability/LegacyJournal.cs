using Orleans.Serialization;
using SalesOps.Domain;

namespace SalesOps.Grains.Durability;

/// <summary>
/// Reads journal entries written before entries had a header (ADR 0011): the whole entry in Orleans binary, events
/// inside the positional envelope. Databases written by earlier builds hold such entries until a snapshot covers them,
/// so they are read here and upcast to today's entries; nothing writes this format any more, so its set of event kinds
/// is closed for good.
/// </summary>
internal static class LegacyJournal
{
    public static JournalEntry Read(Serializer serializer, byte[] stored)
    {
        var entry = serializer.Deserialize<JournalEntry>(stored)
            ?? throw new InvalidDataException("Legacy journal entry is empty.");
        return entry is LegacyEventAccepted legacy ? new EventAccepted(legacy.Event.ToDomain()) : entry;
    }
}

/// <summary>The legacy form of <see cref="EventAccepted"/> (its alias and field ids are the stored format).</summary>
[GenerateSerializer, Immutable, Alias("salesops.j.Event")]
internal sealed record LegacyEventAccepted([property: Id(0)] LegacyEnvelope Event) : JournalEntry
{
    internal override byte[] Write(JournalFormat format) =>
        throw new NotSupportedException("The legacy journal format is read only.");
}

/// <summary>The positional envelope events were journaled in before ADR 0011; read only.</summary>
[GenerateSerializer, Immutable, Alias("salesops.EventEnvelope")]
internal sealed record LegacyEnvelope(
    [property: Id(0)] byte Kind,
    [property: Id(1)] string EventId,
    [property: Id(2)] DateTimeOffset OccurredAt,
    [property: Id(3)] string Id1,
    [property: Id(4)] string Id2,
    [property: Id(5)] string Id3,
    [property: Id(6)] string Text1,
    [property: Id(7)] string Text2,
    [property: Id(8)] long Amount1,
    [property: Id(9)] long Amount2,
    [property: Id(10)] int Int1,
    [property: Id(11)] int Int2,
    [property: Id(12)] int Int3,
    [property: Id(13)] int DayNumber,
    [property: Id(14)] string Text3)
{
    private const int NoDate = -1;

    /// <summary>The kinds are the legacy format's own numbering, frozen: no event is ever added to it.</summary>
    public SalesEvent ToDomain() => Kind switch
    {
        0 => new RegionDefined(EventId, OccurredAt, Id1, Text1, Id2),
        1 => new RepJoined(EventId, OccurredAt, Id1, Text1, Id2, (RepRole)Int1, (RepStyle)Int2),
        2 => new RepMoved(EventId, OccurredAt, Id1, Id2),
        3 => new CustomerRegistered(EventId, OccurredAt, Id1, Text1),
        4 => new OpportunityOpened(EventId, OccurredAt, Id1, Id2, Id3, Amount1, Text1, Text2, DateOnly.FromDayNumber(DayNumber), Text3),
        5 => new OpportunityStageChanged(EventId, OccurredAt, Id1, Text3, DayNumber == NoDate ? null : DateOnly.FromDayNumber(DayNumber)),
        6 => new OpportunityAmountChanged(EventId, OccurredAt, Id1, Amount1),
        7 => new OpportunityReassigned(EventId, OccurredAt, Id1, Id2),
        8 => new OpportunityWon(EventId, OccurredAt, Id1, Amount1),
        9 => new OpportunityLost(EventId, OccurredAt, Id1, Text1),
        10 => new ActivityLogged(EventId, OccurredAt, Id1, Id2, (ActivityType)Int1, Int3, (TimeCategory)Int2),
        11 => new PaymentReceived(EventId, OccurredAt, Id1, Id2, Amount1),
        12 => new TargetSet(EventId, OccurredAt, (TargetScope)Int1, Id1, new Period(Int3), (TargetMetric)Int2, Amount1, Amount2),
        _ => throw new InvalidDataException($"Legacy journal entry has an unknown event kind {Kind}."),
    };
}
