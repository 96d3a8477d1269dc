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

    /// <summary>New customers: customers whose first won deal was won in the period (a count).</summary>
    NewCustomers = 3,

    /// <summary>Gross margin of deals won in the period: Σ (amount − cost) over won deals that carry a cost.</summary>
    GrossMargin = 4,
}

/// <summary>
/// Base of every event a CRM sends. <see cref="EventId"/> identifies the event for de-duplication (delivery is
/// at-least-once); <see cref="OccurredAt"/> places it in time, and so in periods and in last-writer-wins order.
/// </summary>
public abstract record SalesEvent(string EventId, DateTimeOffset OccurredAt)
{
    /// <summary>Calls the visitor's method for this event's type (see <see cref="ISalesEventVisitor{TResult}"/>).</summary>
    public abstract TResult Accept<TResult>(ISalesEventVisitor<TResult> visitor);
}

/// <summary>
/// One method per event type: the closed set of events. Every place that must handle each event (routing, validation,
/// the aggregates' dispatch, the grains, the serializers and the journal) implements this interface instead of
/// switching over types with a catch-all default, so adding an event type is a compile error at each of them until it
/// is handled. See CONTRIBUTING.md, "Adding an event".
/// </summary>
public interface ISalesEventVisitor<out TResult>
{
    TResult Visit(RegionDefined e);

    TResult Visit(RepJoined e);

    TResult Visit(RepMoved e);

    TResult Visit(RepLeft e);

    TResult Visit(CustomerRegistered e);

    TResult Visit(CustomerKeyAccountChanged e);

    TResult Visit(OpportunityOpened e);

    TResult Visit(OpportunityStageChanged e);

    TResult Visit(OpportunityAmountChanged e);

    TResult Visit(OpportunityReassigned e);

    TResult Visit(OpportunityWon e);

    TResult Visit(OpportunityLost e);

    TResult Visit(ActivityLogged e);

    TResult Visit(PaymentReceived e);

    TResult Visit(TargetSet e);

    TResult Visit(ForecastSubmitted e);

    TResult Visit(PlanningInputsRecorded e);
}

public sealed record RegionDefined(string EventId, DateTimeOffset OccurredAt, string RegionId, string Name, string ParentRegionId)
    : SalesEvent(EventId, OccurredAt)
{
    public override TResult Accept<TResult>(ISalesEventVisitor<TResult> visitor) => visitor.Visit(this);
}

public sealed record RepJoined(string EventId, DateTimeOffset OccurredAt, string RepId, string Name, string RegionId, RepRole Role, RepStyle Style)
    : SalesEvent(EventId, OccurredAt)
{
    /// <summary>The rep's photo for screens: an https URL or a data:image URL; empty for none.</summary>
    public string PhotoUrl { get; init; } = "";

    public override TResult Accept<TResult>(ISalesEventVisitor<TResult> visitor) => visitor.Visit(this);
}

public sealed record RepMoved(string EventId, DateTimeOffset OccurredAt, string RepId, string RegionId)
    : SalesEvent(EventId, OccurredAt)
{
    public override TResult Accept<TResult>(ISalesEventVisitor<TResult> visitor) => visitor.Visit(this);
}

/// <summary>
/// The rep leaves the company at <see cref="SalesEvent.OccurredAt"/> (docs/semantics.md, "A rep leaves"): what they
/// earned stays, they drop off the boards of every period not ended by then, their open deals are listed until
/// reassigned, and any later-dated event naming them is refused. A departure is final.
/// </summary>
/// <param name="Reason">Free text for people (resigned, retired…), or empty; the engine does not read it.</param>
public sealed record RepLeft(string EventId, DateTimeOffset OccurredAt, string RepId, string Reason)
    : SalesEvent(EventId, OccurredAt)
{
    public override TResult Accept<TResult>(ISalesEventVisitor<TResult> visitor) => visitor.Visit(this);
}

/// <param name="KeyAccount">The customer is a key account: its activities count in that group (docs/semantics.md, "Activity direction").</param>
public sealed record CustomerRegistered(string EventId, DateTimeOffset OccurredAt, string CustomerId, string Name, bool KeyAccount = false)
    : SalesEvent(EventId, OccurredAt)
{
    public override TResult Accept<TResult>(ISalesEventVisitor<TResult> visitor) => visitor.Visit(this);
}

/// <summary>
/// The customer becomes a key account, or stops being one (docs/semantics.md, "Activity direction and quality"). The
/// flag of the latest (occurred_at, event id) among the registration and these changes is in force, and every activity
/// that named the customer, earlier ones included, counts in the group it sets (ADR 0022).
/// </summary>
public sealed record CustomerKeyAccountChanged(string EventId, DateTimeOffset OccurredAt, string CustomerId, bool KeyAccount)
    : SalesEvent(EventId, OccurredAt)
{
    public override TResult Accept<TResult>(ISalesEventVisitor<TResult> visitor) => visitor.Visit(this);
}

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
    : SalesEvent(EventId, OccurredAt)
{
    /// <summary>The deal's cost, if known (gross margin = amount − cost); null: none known yet.</summary>
    public long? Cost { get; init; }

    public override TResult Accept<TResult>(ISalesEventVisitor<TResult> visitor) => visitor.Visit(this);
}

/// <param name="ExpectedClose">A new expected close date, or null to keep the current one.</param>
public sealed record OpportunityStageChanged(string EventId, DateTimeOffset OccurredAt, string OpportunityId, string StageId, DateOnly? ExpectedClose)
    : SalesEvent(EventId, OccurredAt)
{
    public override TResult Accept<TResult>(ISalesEventVisitor<TResult> visitor) => visitor.Visit(this);
}

public sealed record OpportunityAmountChanged(string EventId, DateTimeOffset OccurredAt, string OpportunityId, long Amount)
    : SalesEvent(EventId, OccurredAt)
{
    /// <summary>A new cost of the deal, or null to keep its cost.</summary>
    public long? Cost { get; init; }

    public override TResult Accept<TResult>(ISalesEventVisitor<TResult> visitor) => visitor.Visit(this);
}

public sealed record OpportunityReassigned(string EventId, DateTimeOffset OccurredAt, string OpportunityId, string NewOwnerRepId)
    : SalesEvent(EventId, OccurredAt)
{
    public override TResult Accept<TResult>(ISalesEventVisitor<TResult> visitor) => visitor.Visit(this);
}

/// <param name="Amount">The signed amount, or 0 to keep the opportunity's amount.</param>
public sealed record OpportunityWon(string EventId, DateTimeOffset OccurredAt, string OpportunityId, long Amount)
    : SalesEvent(EventId, OccurredAt)
{
    /// <summary>The final cost of the deal, or null to keep its cost.</summary>
    public long? Cost { get; init; }

    public override TResult Accept<TResult>(ISalesEventVisitor<TResult> visitor) => visitor.Visit(this);
}

public sealed record OpportunityLost(string EventId, DateTimeOffset OccurredAt, string OpportunityId, string Reason)
    : SalesEvent(EventId, OccurredAt)
{
    public override TResult Accept<TResult>(ISalesEventVisitor<TResult> visitor) => visitor.Visit(this);
}

/// <param name="CustomerId">The customer contacted, or empty.</param>
public sealed record ActivityLogged(
    string EventId,
    DateTimeOffset OccurredAt,
    string RepId,
    string CustomerId,
    ActivityType Type,
    int DurationMinutes,
    TimeCategory TimeCategory)
    : SalesEvent(EventId, OccurredAt)
{
    /// <summary>
    /// The deal the activity was for, or empty: it then counts for that deal's product line and in the deal's activity
    /// load (ADR 0023). The deal need not be opened yet.
    /// </summary>
    public string OpportunityId { get; init; } = "";

    public override TResult Accept<TResult>(ISalesEventVisitor<TResult> visitor) => visitor.Visit(this);
}

/// <summary>Cash received (回款); credited to the rep and the customer.</summary>
public sealed record PaymentReceived(string EventId, DateTimeOffset OccurredAt, string RepId, string CustomerId, long Amount)
    : SalesEvent(EventId, OccurredAt)
{
    public override TResult Accept<TResult>(ISalesEventVisitor<TResult> visitor) => visitor.Visit(this);
}

/// <summary>
/// A must-achieve and stretch target of a scope (a rep, a region or the company) for a period and metric, optionally for
/// one value of a dimension (<see cref="Dimension"/>: a product line, channel, customer or activity type). The one with
/// the greatest (occurred_at, event id) per scope, period, metric and dimension is in force.
/// </summary>
public sealed record TargetSet(
    string EventId,
    DateTimeOffset OccurredAt,
    TargetScope Scope,
    string ScopeId,
    Period Period,
    TargetMetric Metric,
    long MustAchieve,
    long Stretch)
    : SalesEvent(EventId, OccurredAt)
{
    /// <summary>The part of the metric the target is for; <see cref="TargetDimension.None"/> for the whole of it.</summary>
    public TargetDimension Dimension { get; init; }

    public override TResult Accept<TResult>(ISalesEventVisitor<TResult> visitor) => visitor.Visit(this);
}

/// <summary>
/// A forecast call for a period (docs/semantics.md, "Forecast submissions and accuracy"): a rep submits for themselves
/// (<see cref="TargetScope.Rep"/>), a manager for a region or the company (<see cref="TargetScope.Region"/>, scope id
/// <c>company</c>). Every submission is kept, in (<c>occurred_at</c>, event id) order; the last one dated before the
/// period's cut-off is the one its accuracy is scored on.
/// </summary>
/// <param name="Commit">What the submitter commits to book in the period, in minor units (0 ≤ commit ≤ best case).</param>
/// <param name="BestCase">The most the submitter expects to book in the period, in minor units.</param>
/// <param name="SubmittedBy">Who submitted it (a rep id or free text), or empty; the engine does not read it.</param>
/// <param name="Note">Free text for people, or empty.</param>
public sealed record ForecastSubmitted(
    string EventId,
    DateTimeOffset OccurredAt,
    TargetScope Scope,
    string ScopeId,
    Period Period,
    long Commit,
    long BestCase,
    string SubmittedBy,
    string Note)
    : SalesEvent(EventId, OccurredAt)
{
    public override TResult Accept<TResult>(ISalesEventVisitor<TResult> visitor) => visitor.Visit(this);
}

/// <summary>
/// A planner records the four reference variables of a year's target for a rep, a region or the company (scope REGION,
/// id <c>company</c>): docs/semantics.md, "Suggested target". Last-writer-wins per scope, year and metric; the
/// suggested target they imply is shown beside the target set for that year.
/// </summary>
/// <param name="Year">The year the target is for (a year period).</param>
/// <param name="LastYearActual">Last year's actual in the metric's unit, or null to take the engine's own figure.</param>
/// <param name="LongTermPlan">What the long-term plan sets for the year (0: none).</param>
/// <param name="IndustryGrowthBasisPoints">The industry growth rate in hundredths of a percent (−10,000 to 100,000).</param>
/// <param name="NewGrowthPoints">What new growth points (products, markets, channels) are expected to add in the year.</param>
public sealed record PlanningInputsRecorded(
    string EventId,
    DateTimeOffset OccurredAt,
    TargetScope Scope,
    string ScopeId,
    Period Year,
    TargetMetric Metric,
    long? LastYearActual,
    long LongTermPlan,
    int IndustryGrowthBasisPoints,
    long NewGrowthPoints)
    : SalesEvent(EventId, OccurredAt)
{
    public override TResult Accept<TResult>(ISalesEventVisitor<TResult> visitor) => visitor.Visit(this);
}
