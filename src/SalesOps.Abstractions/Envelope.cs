using SalesOps.Domain;

namespace SalesOps.Abstractions;

/// <summary>Which event an <see cref="EventEnvelope"/> carries.</summary>
public enum EventKind : byte
{
    RegionDefined = 0,
    RepJoined = 1,
    RepMoved = 2,
    CustomerRegistered = 3,
    OpportunityOpened = 4,
    OpportunityStageChanged = 5,
    OpportunityAmountChanged = 6,
    OpportunityReassigned = 7,
    OpportunityWon = 8,
    OpportunityLost = 9,
    ActivityLogged = 10,
    PaymentReceived = 11,
    TargetSet = 12,
}

/// <summary>
/// A domain event flattened for the wire between grains: one serializable shape for all event types keeps the
/// domain free of Orleans attributes. <see cref="From"/> and <see cref="ToDomain"/> are exact inverses.
/// </summary>
[GenerateSerializer, Immutable, Alias("salesops.EventEnvelope")]
public sealed record EventEnvelope(
    [property: Id(0)] EventKind Kind,
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

    public static EventEnvelope From(SalesEvent e) => e switch
    {
        RegionDefined r => Make(EventKind.RegionDefined, e, r.RegionId, r.ParentRegionId, text1: r.Name),
        RepJoined r => Make(EventKind.RepJoined, e, r.RepId, r.RegionId, text1: r.Name, int1: (int)r.Role, int2: (int)r.Style),
        RepMoved r => Make(EventKind.RepMoved, e, r.RepId, r.RegionId),
        CustomerRegistered c => Make(EventKind.CustomerRegistered, e, c.CustomerId, text1: c.Name),
        OpportunityOpened o => Make(
            EventKind.OpportunityOpened, e, o.OpportunityId, o.OwnerRepId, o.CustomerId, o.ProductLine, o.Channel,
            o.Amount, text3: o.StageId, day: o.ExpectedClose.DayNumber),
        OpportunityStageChanged s => Make(EventKind.OpportunityStageChanged, e, s.OpportunityId, text3: s.StageId, day: s.ExpectedClose?.DayNumber ?? NoDate),
        OpportunityAmountChanged a => Make(EventKind.OpportunityAmountChanged, e, a.OpportunityId, amount1: a.Amount),
        OpportunityReassigned r => Make(EventKind.OpportunityReassigned, e, r.OpportunityId, r.NewOwnerRepId),
        OpportunityWon w => Make(EventKind.OpportunityWon, e, w.OpportunityId, amount1: w.Amount),
        OpportunityLost l => Make(EventKind.OpportunityLost, e, l.OpportunityId, text1: l.Reason),
        ActivityLogged a => Make(EventKind.ActivityLogged, e, a.RepId, a.CustomerId, int1: (int)a.Type, int2: (int)a.TimeCategory, int3: a.DurationMinutes),
        PaymentReceived p => Make(EventKind.PaymentReceived, e, p.RepId, p.CustomerId, amount1: p.Amount),
        TargetSet t => Make(EventKind.TargetSet, e, t.ScopeId, amount1: t.MustAchieve, amount2: t.Stretch, int1: (int)t.Scope, int2: (int)t.Metric, int3: t.Period.Code),
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name, "unknown event"),
    };

    public SalesEvent ToDomain() => Kind switch
    {
        EventKind.RegionDefined => new RegionDefined(EventId, OccurredAt, Id1, Text1, Id2),
        EventKind.RepJoined => new RepJoined(EventId, OccurredAt, Id1, Text1, Id2, (RepRole)Int1, (RepStyle)Int2),
        EventKind.RepMoved => new RepMoved(EventId, OccurredAt, Id1, Id2),
        EventKind.CustomerRegistered => new CustomerRegistered(EventId, OccurredAt, Id1, Text1),
        EventKind.OpportunityOpened => new OpportunityOpened(EventId, OccurredAt, Id1, Id2, Id3, Amount1, Text1, Text2, DateOnly.FromDayNumber(DayNumber), Text3),
        EventKind.OpportunityStageChanged => new OpportunityStageChanged(EventId, OccurredAt, Id1, Text3, DayNumber == NoDate ? null : DateOnly.FromDayNumber(DayNumber)),
        EventKind.OpportunityAmountChanged => new OpportunityAmountChanged(EventId, OccurredAt, Id1, Amount1),
        EventKind.OpportunityReassigned => new OpportunityReassigned(EventId, OccurredAt, Id1, Id2),
        EventKind.OpportunityWon => new OpportunityWon(EventId, OccurredAt, Id1, Amount1),
        EventKind.OpportunityLost => new OpportunityLost(EventId, OccurredAt, Id1, Text1),
        EventKind.ActivityLogged => new ActivityLogged(EventId, OccurredAt, Id1, Id2, (ActivityType)Int1, Int3, (TimeCategory)Int2),
        EventKind.PaymentReceived => new PaymentReceived(EventId, OccurredAt, Id1, Id2, Amount1),
        EventKind.TargetSet => new TargetSet(EventId, OccurredAt, (TargetScope)Int1, Id1, new Period(Int3), (TargetMetric)Int2, Amount1, Amount2),
        _ => throw new InvalidOperationException($"unknown event kind {Kind}"),
    };

    private static EventEnvelope Make(
        EventKind kind,
        SalesEvent e,
        string id1,
        string id2 = "",
        string id3 = "",
        string text1 = "",
        string text2 = "",
        long amount1 = 0,
        long amount2 = 0,
        int int1 = 0,
        int int2 = 0,
        int int3 = 0,
        int day = NoDate,
        string text3 = "")
    {
        return new EventEnvelope(kind, e.EventId, e.OccurredAt, id1, id2, id3, text1, text2, amount1, amount2, int1, int2, int3, day, text3);
    }
}
