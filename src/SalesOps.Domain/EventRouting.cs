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
    private static readonly EntityRef[] None = [];

    public static EntityRef Target(SalesEvent e) => e.Accept(TargetOf.Instance);

    /// <summary>Other entities the event needs to exist (checked before it is applied).</summary>
    public static IReadOnlyList<EntityRef> References(SalesEvent e) => e.Accept(ReferencesOf.Instance);

    public static Outcome Missing(EntityRef r) =>
        Outcome.NotFound(r.Field, $"{r.Kind.ToString().ToLowerInvariant()} '{r.Id}' is not known; send its defining event first");

    private sealed class TargetOf : ISalesEventVisitor<EntityRef>
    {
        public static readonly TargetOf Instance = new();

        public EntityRef Visit(RegionDefined e) => new(EntityKind.Region, e.RegionId, "region_id");

        public EntityRef Visit(RepJoined e) => new(EntityKind.Rep, e.RepId, "rep_id");

        public EntityRef Visit(RepMoved e) => new(EntityKind.Rep, e.RepId, "rep_id");

        public EntityRef Visit(RepLeft e) => new(EntityKind.Rep, e.RepId, "rep_id");

        public EntityRef Visit(CustomerRegistered e) => new(EntityKind.Customer, e.CustomerId, "customer_id");

        public EntityRef Visit(CustomerKeyAccountChanged e) => new(EntityKind.Customer, e.CustomerId, "customer_id");

        public EntityRef Visit(OpportunityOpened e) => Opportunity(e.OpportunityId);

        public EntityRef Visit(OpportunityStageChanged e) => Opportunity(e.OpportunityId);

        public EntityRef Visit(OpportunityAmountChanged e) => Opportunity(e.OpportunityId);

        public EntityRef Visit(OpportunityReassigned e) => Opportunity(e.OpportunityId);

        public EntityRef Visit(OpportunityWon e) => Opportunity(e.OpportunityId);

        public EntityRef Visit(OpportunityLost e) => Opportunity(e.OpportunityId);

        public EntityRef Visit(ActivityLogged e) => new(EntityKind.Rep, e.RepId, "rep_id");

        public EntityRef Visit(PaymentReceived e) => new(EntityKind.Rep, e.RepId, "rep_id");

        public EntityRef Visit(TargetSet e) =>
            new(e.Scope == TargetScope.Rep ? EntityKind.Rep : EntityKind.Region, e.ScopeId, "scope_id");

        public EntityRef Visit(ForecastSubmitted e) =>
            new(e.Scope == TargetScope.Rep ? EntityKind.Rep : EntityKind.Region, e.ScopeId, "scope_id");

        public EntityRef Visit(PlanningInputsRecorded e) =>
            new(e.Scope == TargetScope.Rep ? EntityKind.Rep : EntityKind.Region, e.ScopeId, "scope_id");

        private static EntityRef Opportunity(string id) => new(EntityKind.Opportunity, id, "opportunity_id");
    }

    private sealed class ReferencesOf : ISalesEventVisitor<IReadOnlyList<EntityRef>>
    {
        public static readonly ReferencesOf Instance = new();

        public IReadOnlyList<EntityRef> Visit(RegionDefined e) =>
            string.IsNullOrEmpty(e.ParentRegionId) ? None : [new(EntityKind.Region, e.ParentRegionId, "parent_region_id")];

        public IReadOnlyList<EntityRef> Visit(RepJoined e) => [new(EntityKind.Region, e.RegionId, "region_id")];

        public IReadOnlyList<EntityRef> Visit(RepMoved e) => [new(EntityKind.Region, e.RegionId, "region_id")];

        public IReadOnlyList<EntityRef> Visit(RepLeft e) => None;

        public IReadOnlyList<EntityRef> Visit(CustomerRegistered e) => None;

        public IReadOnlyList<EntityRef> Visit(CustomerKeyAccountChanged e) => [new(EntityKind.Customer, e.CustomerId, "customer_id")];

        public IReadOnlyList<EntityRef> Visit(OpportunityOpened e) =>
            [new(EntityKind.Rep, e.OwnerRepId, "owner_rep_id"), new(EntityKind.Customer, e.CustomerId, "customer_id")];

        public IReadOnlyList<EntityRef> Visit(OpportunityStageChanged e) => None;

        public IReadOnlyList<EntityRef> Visit(OpportunityAmountChanged e) => None;

        public IReadOnlyList<EntityRef> Visit(OpportunityReassigned e) => [new(EntityKind.Rep, e.NewOwnerRepId, "new_owner_rep_id")];

        public IReadOnlyList<EntityRef> Visit(OpportunityWon e) => None;

        public IReadOnlyList<EntityRef> Visit(OpportunityLost e) => None;

        public IReadOnlyList<EntityRef> Visit(ActivityLogged e) =>
            string.IsNullOrEmpty(e.CustomerId) ? None : [new(EntityKind.Customer, e.CustomerId, "customer_id")];

        public IReadOnlyList<EntityRef> Visit(PaymentReceived e) => [new(EntityKind.Customer, e.CustomerId, "customer_id")];

        public IReadOnlyList<EntityRef> Visit(TargetSet e) => None;

        public IReadOnlyList<EntityRef> Visit(ForecastSubmitted e) => None;

        public IReadOnlyList<EntityRef> Visit(PlanningInputsRecorded e) => None;
    }
}

/// <summary>Engine settings shared by the in-process engine and the grains.</summary>
public sealed class EngineSettings
{
    public StageTable Stages { get; init; } = StageTable.Default;
    public CompanyCalendar Calendar { get; init; } = CompanyCalendar.Utc;
    public string CompanyName { get; init; } = "Company";

    /// <summary>ISO 4217 code of the one company currency: every amount is an integer of its minor units (ADR 0013).</summary>
    public string CurrencyCode { get; init; } = "USD";

    /// <summary>A won deal of at least this amount raises a celebration alert.</summary>
    public long BigDealThreshold { get; init; } = 100_000;

    /// <summary>
    /// A current period's bookings, collections, won count or new customers that is more than this share below the same period last
    /// year to date is flagged and alerted (0.2: more than 20% behind).
    /// </summary>
    public double BehindLastYearShare { get; init; } = 0.2;

    /// <summary>The planning funnel's defaults and working calendar.</summary>
    public PlanningSettings Planning { get; init; } = new();

    /// <summary>Overtakes are alerted only for ranks this good or better.</summary>
    public int OvertakeDepth { get; init; } = 10;

    /// <summary>How far ahead of the engine's clock an event's <c>occurred_at</c> may be (clients' clocks drift).</summary>
    public TimeSpan MaxFutureSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How many event ids each rep, deal and region's targets remember to recognise re-sends (docs/semantics.md, rule 3).</summary>
    public DedupWindow Dedup { get; init; } = DedupWindow.Default;

    /// <summary>When an open deal is stalled or slipping (docs/semantics.md, "Deals that stall or slip").</summary>
    public AtRiskRules AtRisk { get; init; } = AtRiskRules.Default;

    /// <summary>
    /// How many days before a period's end its forecast cut-off falls: the submission scored for accuracy is the last
    /// one dated before the cut-off (docs/semantics.md, "Forecast submissions and accuracy"). 0 puts it at the end.
    /// </summary>
    public int ForecastCutoffDays
    {
        get => _forecastCutoffDays;
        init => (_forecastCutoffDays, _forecasts) = (value, null);
    }

    private int _forecastCutoffDays = ForecastRules.DefaultCutoffDays;
    private ForecastRules? _forecasts;

    /// <summary>The calendar and cut-off that decide when a period's forecasts are scored.</summary>
    public ForecastRules Forecasts => _forecasts ??= new ForecastRules(Calendar, ForecastCutoffDays);
}
