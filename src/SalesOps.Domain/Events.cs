namespace SalesOps.Domain;

/// <summary>Kinds of sales activity.</summary>
public enum ActivityType : byte
{
    Call = 0,
    Visit = 1,
    Meeting = 2,
    Proposal = 3,
    Demo = 4,
}

/// <summary>RAC time categories (seed 002): T1 face-to-face selling … T5 personal.</summary>
public enum TimeCategory : byte
{
    T1 = 0,
    T2 = 1,
    T3 = 2,
    T4 = 3,
    T5 = 4,
}

public enum RepRole : byte
{
    Direct = 0,
    Channel = 1,
}

public enum RepStyle : byte
{
    Hunter = 0,
    Farmer = 1,
}

public enum TargetScope : byte
{
    Rep = 0,
    Region = 1,
}

/// <summary>What a target measures.</summary>
public enum TargetMetric : byte
{
    Bookings = 0,
    Collections = 1,
    Activities = 2,
}

/// <summary>
/// Base of every event a CRM sends. <see cref="EventId"/> identifies the event for de-duplication (delivery is
/// at-least-once); <see cref="OccurredAt"/> places it in time, and so in periods and in last-writer-wins order.
/// </summary>
public abstract record SalesEvent(string EventId, DateTimeOffset OccurredAt);

public sealed record RegionDefined(string EventId, DateTimeOffset OccurredAt, string RegionId, string Name, string ParentRegionId)
    : SalesEvent(EventId, OccurredAt);

public sealed record RepJoined(string EventId, DateTimeOffset OccurredAt, string RepId, string Name, string RegionId, RepRole Role, RepStyle Style)
    : SalesEvent(EventId, OccurredAt);

public sealed record RepMoved(string EventId, DateTimeOffset OccurredAt, string RepId, string RegionId)
    : SalesEvent(EventId, OccurredAt);

public sealed record CustomerRegistered(string EventId, DateTimeOffset OccurredAt, string CustomerId, string Name)
    : SalesEvent(EventId, OccurredAt);

public sealed record OpportunityOpened(
    string EventId,
    DateTimeOffset OccurredAt,
    string OpportunityId,
    string OwnerRepId,
    string CustomerId,
    long Amount,
    string ProductLine,
    string Channel,
    DateOnly ExpectedClose,
    string StageId)
    : SalesEvent(EventId, OccurredAt);

/// <param name="ExpectedClose">A new expected close date, or null to keep the current one.</param>
public sealed record OpportunityStageChanged(string EventId, DateTimeOffset OccurredAt, string OpportunityId, string StageId, DateOnly? ExpectedClose)
    : SalesEvent(EventId, OccurredAt);

public sealed record OpportunityAmountChanged(string EventId, DateTimeOffset OccurredAt, string OpportunityId, long Amount)
    : SalesEvent(EventId, OccurredAt);

public sealed record OpportunityReassigned(string EventId, DateTimeOffset OccurredAt, string OpportunityId, string NewOwnerRepId)
    : SalesEvent(EventId, OccurredAt);

/// <param name="Amount">The signed amount, or 0 to keep the opportunity's amount.</param>
public sealed record OpportunityWon(string EventId, DateTimeOffset OccurredAt, string OpportunityId, long Amount)
    : SalesEvent(EventId, OccurredAt);

public sealed record OpportunityLost(string EventId, DateTimeOffset OccurredAt, string OpportunityId, string Reason)
    : SalesEvent(EventId, OccurredAt);

/// <param name="CustomerId">The customer contacted, or empty.</param>
public sealed record ActivityLogged(
    string EventId,
    DateTimeOffset OccurredAt,
    string RepId,
    string CustomerId,
    ActivityType Type,
    int DurationMinutes,
    TimeCategory TimeCategory)
    : SalesEvent(EventId, OccurredAt);

/// <summary>Cash received (回款); credited to the rep and the customer.</summary>
public sealed record PaymentReceived(string EventId, DateTimeOffset OccurredAt, string RepId, string CustomerId, long Amount)
    : SalesEvent(EventId, OccurredAt);

public sealed record TargetSet(
    string EventId,
    DateTimeOffset OccurredAt,
    TargetScope Scope,
    string ScopeId,
    Period Period,
    TargetMetric Metric,
    long MustAchieve,
    long Stretch)
    : SalesEvent(EventId, OccurredAt);
