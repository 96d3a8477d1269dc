namespace SalesOps.Domain;

public enum EntityKind : byte
{
    Region = 0,
    Rep = 1,
    Customer = 2,
    Opportunity = 3,
}

/// <summary>A reference an event makes to another entity, which must exist before the event is accepted.</summary>
public readonly record struct EntityRef(EntityKind Kind, string Id, string Field);

/// <summary>
/// Where an event is applied (the entity that de-duplicates it) and what it references. Shared by the in-process
/// engine and the grains so both route the same way.
/// </summary>
public static class EventRouting
{
    public static EntityRef Target(SalesEvent e) => e switch
    {
        RegionDefined r => new(EntityKind.Region, r.RegionId, "region_id"),
        RepJoined r => new(EntityKind.Rep, r.RepId, "rep_id"),
        RepMoved r => new(EntityKind.Rep, r.RepId, "rep_id"),
        CustomerRegistered c => new(EntityKind.Customer, c.CustomerId, "customer_id"),
        OpportunityOpened o => new(EntityKind.Opportunity, o.OpportunityId, "opportunity_id"),
        OpportunityStageChanged o => new(EntityKind.Opportunity, o.OpportunityId, "opportunity_id"),
        OpportunityAmountChanged o => new(EntityKind.Opportunity, o.OpportunityId, "opportunity_id"),
        OpportunityReassigned o => new(EntityKind.Opportunity, o.OpportunityId, "opportunity_id"),
        OpportunityWon o => new(EntityKind.Opportunity, o.OpportunityId, "opportunity_id"),
        OpportunityLost o => new(EntityKind.Opportunity, o.OpportunityId, "opportunity_id"),
        ActivityLogged a => new(EntityKind.Rep, a.RepId, "rep_id"),
        PaymentReceived p => new(EntityKind.Rep, p.RepId, "rep_id"),
        TargetSet { Scope: TargetScope.Rep } t => new(EntityKind.Rep, t.ScopeId, "scope_id"),
        TargetSet t => new(EntityKind.Region, t.ScopeId, "scope_id"),
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name, "unknown event"),
    };

    /// <summary>Other entities the event needs to exist (checked before it is applied).</summary>
    public static IReadOnlyList<EntityRef> References(SalesEvent e) => e switch
    {
        RegionDefined r when !string.IsNullOrEmpty(r.ParentRegionId) => [new(EntityKind.Region, r.ParentRegionId, "parent_region_id")],
        RepJoined r => [new(EntityKind.Region, r.RegionId, "region_id")],
        RepMoved r => [new(EntityKind.Region, r.RegionId, "region_id")],
        OpportunityOpened o => [new(EntityKind.Rep, o.OwnerRepId, "owner_rep_id"), new(EntityKind.Customer, o.CustomerId, "customer_id")],
        OpportunityReassigned o => [new(EntityKind.Rep, o.NewOwnerRepId, "new_owner_rep_id")],
        ActivityLogged a when !string.IsNullOrEmpty(a.CustomerId) => [new(EntityKind.Customer, a.CustomerId, "customer_id")],
        PaymentReceived p => [new(EntityKind.Customer, p.CustomerId, "customer_id")],
        _ => [],
    };

    public static Outcome Missing(EntityRef r) =>
        Outcome.NotFound(r.Field, $"{r.Kind.ToString().ToLowerInvariant()} '{r.Id}' is not known; send its defining event first");
}

/// <summary>Engine settings shared by the in-process engine and the grains.</summary>
public sealed class EngineSettings
{
    public StageTable Stages { get; init; } = StageTable.Default;
    public CompanyCalendar Calendar { get; init; } = CompanyCalendar.Utc;
    public string CompanyName { get; init; } = "Company";

    /// <summary>ISO 4217 code of the one company currency: every amount is an integer of its minor units (ADR 0012).</summary>
    public string CurrencyCode { get; init; } = "USD";

    /// <summary>A won deal of at least this amount raises a celebration alert.</summary>
    public long BigDealThreshold { get; init; } = 100_000;

    /// <summary>Overtakes are alerted only for ranks this good or better.</summary>
    public int OvertakeDepth { get; init; } = 10;

    /// <summary>How far ahead of the engine's clock an event's <c>occurred_at</c> may be (clients' clocks drift).</summary>
    public TimeSpan MaxFutureSkew { get; init; } = TimeSpan.FromMinutes(5);
}
