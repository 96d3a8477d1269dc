using System.Globalization;
using SalesOps.Domain;

namespace SalesOps.Reference;

/// <summary>The reference's verdict on a delivered event; names match the API's result names.</summary>
public enum Verdict
{
    Accepted,
    Duplicate,
    InvalidArgument,
    NotFound,
    FailedPrecondition,
}

/// <summary>A counter as the contract names it: a figure, a period code ("" for figures of no period) and two small dimensions.</summary>
public readonly record struct CounterKey(string Figure, string Period, int A, int B);

/// <summary>A deal after replaying its accepted events in (occurred_at, event id) order.</summary>
public sealed class RefDeal
{
    public required string Id { get; init; }
    public required string CustomerId { get; init; }
    public required DateTimeOffset OpenedAt { get; init; }
    public string ProductLine { get; init; } = "";
    public string Channel { get; init; } = "";
    public string Owner { get; set; } = "";
    public long Amount { get; set; }

    /// <summary>The latest cost given (in stamp order), or null when none was.</summary>
    public long? Cost { get; set; }
    public DateOnly ExpectedClose { get; set; }

    /// <summary>An open stage's id, or "won" / "lost".</summary>
    public string Stage { get; set; } = "";

    /// <summary>When the deal was won or lost (the stage register's stamp).</summary>
    public DateTimeOffset StageAt { get; set; }

    /// <summary>Highest level ever reached (an open stage's position, the open-stage count for won); -1 when none.</summary>
    public int Level { get; set; } = -1;

    /// <summary>Settings of the expected close, in stamp order, that put it in a later month than the one before.</summary>
    public int Pushes { get; set; }

    /// <summary>Whether an event has set the expected close yet (in stamp order).</summary>
    public bool HasClose { get; set; }
}

/// <summary>The at-risk settings, as docs/semantics.md states them ("Deals that stall or slip").</summary>
public sealed record RefRiskRules(int DefaultStallDays, IReadOnlyDictionary<string, int> StallDaysByStage, int PushLimit)
{
    public int StallDays(string stage) => StallDaysByStage.TryGetValue(stage, out var d) ? d : DefaultStallDays;
}

/// <summary>One row of the at-risk list: an open deal for which at least one condition holds.</summary>
public readonly record struct RefAtRisk(string Deal, string Owner, string Stage, int DaysInStage, DateOnly ExpectedClose, int Pushes, bool Stalled, bool Overdue, bool Slipping);

/// <summary>A rep: the join, then the accepted moves in (occurred_at, event id) order.</summary>
public sealed class RefRep
{
    public required string Id { get; init; }
    public required List<(DateTimeOffset At, string Region)> Memberships { get; init; }

    public string CurrentRegion => Memberships[^1].Region;

    /// <summary>The latest membership dated at or before <paramref name="at"/>; the joining region before the join.</summary>
    public string RegionAt(DateTimeOffset at)
    {
        var region = Memberships[0].Region;
        foreach (var (when, where) in Memberships)
        {
            if (when <= at)
            {
                region = where;
            }
        }

        return region;
    }
}

/// <summary>
/// The de-dup window as docs/semantics.md states it (rule 3): how long, in the entity's own event time, and how many
/// event ids an entity remembers.
/// </summary>
public sealed record RefDedup(TimeSpan MaxAge, int MaxCount)
{
    /// <summary>The documented default: 62 days, 4,096 ids.</summary>
    public static readonly RefDedup Documented = new(TimeSpan.FromDays(62), 4_096);
}

/// <summary>What the de-dup window of an event's entity says of it, before the event is decided.</summary>
/// <param name="Windowed">The event's entity de-duplicates it in a window (every event but a region's or customer's definition).</param>
/// <param name="Forgot">The entity has forgotten ids already (it has a horizon).</param>
/// <param name="Remembered">Its id is remembered: a duplicate.</param>
/// <param name="Beyond">Its id is not remembered and it is dated at or before the horizon: refused.</param>
/// <param name="Resent">Its id was accepted by the entity before (remembered or not).</param>
public readonly record struct RefDedupView(bool Windowed, bool Forgot, bool Remembered, bool Beyond, bool Resent)
{
    /// <summary>Counts what the window did with the delivery, for a run's coverage checks.</summary>
    public void CountInto(Dictionary<string, long> stats)
    {
        void Count(string key) => stats[key] = stats.GetValueOrDefault(key) + 1;
        if (Beyond)
        {
            Count("beyond de-dup window");
            if (Resent)
            {
                Count("re-send beyond de-dup window");
            }
        }
        else if (Remembered && Forgot)
        {
            Count("duplicate after ids were forgotten");
        }
    }
}

public sealed record RefCustomer(int Orders, long LifetimeValue, DateTimeOffset? LastOrder, long Collections, DateTimeOffset? LastContact);

/// <summary>One row of a leaderboard.</summary>
public readonly record struct RefRow(int Rank, string RepId, double Score);

/// <summary>A leaderboard: a region (or the company), a period code and a metric name.</summary>
public readonly record struct RefBoard(string Region, string Period, string Metric);

/// <summary>A target's figures in a report (the reference's, or an engine's read into this form).</summary>
public sealed record RefTarget(string Metric, long Actual, long Must, long Stretch, double MustAttainment, double StretchAttainment, double Pace, bool Behind);

/// <summary>The figures of one scope for one period: the reference's, straight from the deals and items, or an engine's.</summary>
public sealed record RefReport(
    long OpenCount,
    long OpenAmount,
    decimal Weighted,
    long[] StageCount,
    long[] StageAmount,
    long[] Reached,
    double[] Conversion,
    long Bookings,
    long Won,
    long Lost,
    long LostAmount,
    long Collections,
    double WinRate,
    double AverageDeal,
    double AverageCycleDays,
    decimal Forecast,
    long Commit,
    long BestCase,
    long Pipeline,
    long ActivityTotal,
    SortedDictionary<(int Type, int Category), long> Activities,
    long[] Minutes,
    List<RefTarget> Targets,
    List<RefYearOnYear> LastYear,
    long NewCustomers,
    long NewCustomerBookings,
    long RepeatBookings,
    RefPlan? Plan,
    long GrossMargin)
{
    /// <summary>Top-down against bottom-up, in metric then basis order.</summary>
    public List<RefCoverage> Coverage { get; init; } = [];

    /// <summary>The targets the recorded reference variables suggest, in metric order.</summary>
    public List<RefSuggestion> Suggestions { get; init; } = [];

    /// <summary>Activity direction and quality (docs/semantics.md, "Activity direction and quality").</summary>
    public RefActivity? Activity { get; init; }
}

/// <summary>A scope's period figures over some local dates, summed from the deals and accepted events.</summary>
public readonly record struct RefSums(long Bookings, long Won, long Collections, long NewCustomers, long NewBookings, long Proposals, long Visits, long Calls);

/// <summary>A period figure beside the same period last year (docs/semantics.md, "Same period last year").</summary>
public sealed record RefYearOnYear(string Figure, long Actual, long LastYear, long LastYearToDate, double Growth, bool Behind);

/// <summary>
/// A naive, from-scratch model of docs/semantics.md. It keeps the accepted events; each delivered event's verdict is
/// decided by applying the acceptance rules directly over that list, and every figure is recomputed from the accepted
/// events alone. It shares no code with the engine: it reads the domain's event records (its input) and the stage
/// table's configured stages (ids, probabilities, categories) as data, and has its own calendar
/// (<see cref="RefCalendar"/>), counters (<see cref="CounterKey"/>), formulas, rankings and comparisons.
/// </summary>
public sealed partial class ReferenceModel
{
    public const string Company = "company";
    public const string Won = "won";
    public const string Lost = "lost";

    /// <summary>Figure names (the contract's counters, as README "Figures and formulas" lists them).</summary>
    public static class Fig
    {
        public const string PipelineCount = "PipelineCount";
        public const string PipelineAmount = "PipelineAmount";
        public const string OpenByClose = "OpenByClose";
        public const string Reached = "Reached";
        public const string Bookings = "Bookings";
        public const string WonCount = "WonCount";
        public const string LostCount = "LostCount";
        public const string LostAmount = "LostAmount";
        public const string CycleSeconds = "CycleSeconds";
        public const string Collections = "Collections";
        public const string ActivityCount = "ActivityCount";
        public const string ActivityMinutes = "ActivityMinutes";
        public const string NewCustomers = "NewCustomers";
        public const string NewCustomerBookings = "NewCustomerBookings";
        public const string CustomerActivityCount = "CustomerActivityCount";
        public const string CustomerActivityMinutes = "CustomerActivityMinutes";
        public const string GrossMargin = "GrossMargin";
        public const string ClosedByActivityLoad = "ClosedByActivityLoad";

        /// <summary>A dimension counter's name: the figure and the dimension value it is for.</summary>
        public static string Of(string figure, DimensionKind kind, string value) => $"{figure}|{kind}={value}";
    }

    /// <summary>Customer groups of activity direction (docs/semantics.md, "Activity direction"), as the contract numbers them.</summary>
    public const int KeyAccountGroup = 1, OtherAccountGroup = 2, NewCustomerGroup = 3, ExistingCustomerGroup = 4;

    /// <summary>Leaderboard metric names.</summary>
    public static readonly string[] BoardMetrics = ["Bookings", "Attainment", "Collections", "Activities"];

    /// <summary>The documented default of Engine:BehindLastYearShare: more than 20% behind last year to date is flagged.</summary>
    public const double BehindLastYearShare = 0.2;

    private readonly (string Id, int Probability, ForecastCategory Category)[] _open;
    private readonly RefCalendar _calendar;
    private readonly RefDedup _dedup;
    private readonly DateTimeOffset? _latestOccurredAt;
    private readonly List<SalesEvent> _accepted = [];
    private readonly int _cutoffDays;
    private readonly int _planMinHistory;

    /// <summary>The accepted events of each entity that de-duplicates in a window (an index into <see cref="_accepted"/>).</summary>
    private readonly Dictionary<(string Kind, string Id), List<SalesEvent>> _windowed = new();

    /// <summary>Per rep: the latest historical item ever credited to them (a running maximum).</summary>
    private readonly Dictionary<string, DateTimeOffset> _everCredited = new(StringComparer.Ordinal);

    /// <param name="stages">The stage table in force; only its configured open stages are read, as data.</param>
    /// <param name="calendar">The company calendar.</param>
    /// <param name="dedup">The de-dup window the engine is configured with.</param>
    /// <param name="latestOccurredAt">
    /// The latest <c>occurred_at</c> the engine accepts (its clock plus its allowed skew), or null for an engine without
    /// a clock (the in-process engine).
    /// </param>
    /// <param name="forecastCutoffDays">How many days before a period's end its forecast cut-off falls.</param>
    /// <param name="planMinHistory">The planning funnel's history threshold for a scope's own ratios.</param>
    public ReferenceModel(StageTable stages, RefCalendar calendar, RefDedup dedup, DateTimeOffset? latestOccurredAt = null, int forecastCutoffDays = 7, int planMinHistory = 5)
    {
        _planMinHistory = planMinHistory;
        _cutoffDays = forecastCutoffDays;
        _latestOccurredAt = latestOccurredAt;
        _dedup = dedup;
        _open = stages.Stages.Take(stages.OpenCount).Select(s => (s.Id, s.ProbabilityPercent, s.Category)).ToArray();
        _calendar = calendar;
    }

    public IReadOnlyList<SalesEvent> Accepted => _accepted;

    public int OpenStageCount => _open.Length;

    public IEnumerable<string> OpenStageIds => _open.Select(s => s.Id);

    public RefCalendar Calendar => _calendar;

    /// <summary>Decides the verdict on one delivered event and, when accepted, remembers it.</summary>
    public (Verdict Code, string Field) Decide(SalesEvent e)
    {
        if (Validate(e) is { } badField)
        {
            return (Verdict.InvalidArgument, badField);
        }

        foreach (var (kind, id, field) in References(e))
        {
            if (!Exists(kind, id))
            {
                return (Verdict.NotFound, field);
            }
        }

        var about = About(e);
        if (!Windowed(e))
        {
            if (_accepted.Any(a => a.EventId == e.EventId && About(a) == about))
            {
                return (Verdict.Duplicate, "event_id");
            }
        }
        else
        {
            var window = Window(about);
            if (window.Remembered.Contains(e.EventId))
            {
                return (Verdict.Duplicate, "event_id");
            }

            if (window.Refuses(e, _dedup))
            {
                return (Verdict.FailedPrecondition, "occurred_at");
            }
        }

        if (EntityRule(e) is { } rejected)
        {
            return rejected;
        }

        Take(e);
        return (Verdict.Accepted, "");
    }

    /// <summary>What <see cref="Decide"/> would answer, without taking the event.</summary>
    public (Verdict Code, string Field) Peek(SalesEvent e)
    {
        var count = _accepted.Count;
        var credited = new Dictionary<string, DateTimeOffset>(_everCredited, StringComparer.Ordinal);
        var verdict = Decide(e);
        if (_accepted.Count > count)
        {
            _accepted.RemoveAt(count);
            if (Windowed(e))
            {
                _windowed[About(e)].RemoveAt(_windowed[About(e)].Count - 1);
            }

            _everCredited.Clear();
            foreach (var (rep, at) in credited)
            {
                _everCredited[rep] = at;
            }
        }

        return verdict;
    }

    /// <summary>
    /// Whether the move is refused only because of a deal (won or lost) credited to the rep: it is dated after the join
    /// and after every activity and payment of the rep.
    /// </summary>
    public bool RefusedOnlyForDealCredits(RepMoved m) =>
        Peek(m) == (Verdict.FailedPrecondition, "occurred_at") && !DedupView(m).Beyond
        && JoinOf(m.RepId) is { } join && m.OccurredAt > join.OccurredAt
        && _accepted.All(e => e switch
        {
            ActivityLogged a when a.RepId == m.RepId => a.OccurredAt < m.OccurredAt,
            PaymentReceived p when p.RepId == m.RepId => p.OccurredAt < m.OccurredAt,
            _ => true,
        });

    /// <summary>
    /// Takes a valid event the rules would refuse, because the engine accepted it for a reason the reference cannot
    /// see (a move checked before a late credit reached the rep: docs/semantics.md, rule 4). The caller must have
    /// established that reason.
    /// </summary>
    public void AcceptAnyway(SalesEvent e) => Take(e);

    private void Take(SalesEvent e)
    {
        _accepted.Add(e);
        if (Windowed(e))
        {
            var about = About(e);
            if (!_windowed.TryGetValue(about, out var events))
            {
                _windowed[about] = events = [];
            }

            events.Add(e);
        }

        FoldCredited();
    }

    /// <summary>The latest historical item ever credited to the rep, if any.</summary>
    public DateTimeOffset? EverCredited(string repId) => _everCredited.TryGetValue(repId, out var at) ? at : null;

    // ---- rule 1: validation -------------------------------------------------------------------------------

    private string? Validate(SalesEvent e)
    {
        if (BadId(e.EventId))
        {
            return "event_id";
        }

        if (e.OccurredAt == default || e.OccurredAt.UtcDateTime.Year is < 1900 or > 9000 || e.OccurredAt > _latestOccurredAt)
        {
            return "occurred_at";
        }

        return e switch
        {
            RegionDefined r => BadId(r.RegionId) ? "region_id" : BadName(r.Name) ? "name"
                : r.ParentRegionId.Length > 128 ? "parent_region_id" : r.ParentRegionId == r.RegionId ? "parent_region_id" : null,
            RepJoined j => BadId(j.RepId) ? "rep_id" : BadName(j.Name) ? "name" : BadId(j.RegionId) ? "region_id"
                : (int)j.Role is not (0 or 1) ? "role" : (int)j.Style is not (0 or 1) ? "style" : null,
            RepMoved m => BadId(m.RepId) ? "rep_id" : BadId(m.RegionId) ? "region_id" : null,
            RepLeft l => BadId(l.RepId) ? "rep_id" : l.Reason.Length > 256 ? "reason" : null,
            CustomerRegistered c => BadId(c.CustomerId) ? "customer_id" : BadName(c.Name) ? "name" : null,
            CustomerKeyAccountChanged k => BadId(k.CustomerId) ? "customer_id" : null,
            OpportunityOpened o => BadId(o.OpportunityId) ? "opportunity_id" : BadId(o.OwnerRepId) ? "owner_rep_id"
                : BadId(o.CustomerId) ? "customer_id" : BadAmount(o.Amount) ? "amount" : BadDate(o.ExpectedClose) ? "expected_close"
                : !IsOpenStage(o.StageId) ? "stage_id" : o.ProductLine.Length > 128 ? "product_line" : o.Channel.Length > 128 ? "channel"
                : BadCost(o.Cost) ? "cost" : null,
            OpportunityStageChanged s => BadId(s.OpportunityId) ? "opportunity_id" : !IsOpenStage(s.StageId) ? "stage_id"
                : s.ExpectedClose is { } close && BadDate(close) ? "expected_close" : null,
            OpportunityAmountChanged a => BadId(a.OpportunityId) ? "opportunity_id" : BadAmount(a.Amount) ? "amount" : BadCost(a.Cost) ? "cost" : null,
            OpportunityReassigned r => BadId(r.OpportunityId) ? "opportunity_id" : BadId(r.NewOwnerRepId) ? "new_owner_rep_id" : null,
            OpportunityWon w => BadId(w.OpportunityId) ? "opportunity_id" : w.Amount != 0 && BadAmount(w.Amount) ? "amount" : BadCost(w.Cost) ? "cost" : null,
            OpportunityLost l => BadId(l.OpportunityId) ? "opportunity_id" : null,
            ActivityLogged a => BadId(a.RepId) ? "rep_id" : a.CustomerId.Length > 128 ? "customer_id"
                : (int)a.Type is < 0 or > 4 ? "type" : (int)a.TimeCategory is < 0 or > 4 ? "time_category"
                : a.DurationMinutes is < 0 or > 1440 ? "duration_minutes" : a.OpportunityId.Length > 0 && BadId(a.OpportunityId) ? "opportunity_id" : null,
            PaymentReceived p => BadId(p.RepId) ? "rep_id" : BadId(p.CustomerId) ? "customer_id" : BadAmount(p.Amount) ? "amount" : null,
            TargetSet t => BadId(t.ScopeId) ? "scope_id" : (int)t.Scope is not (0 or 1) ? "scope"
                : (int)t.Metric is < 0 or > 4 ? "metric"
                : RefCalendar.CodeOf(t.Period).Length == 0 || t.Period.Year is < 1900 or > 9000 ? "period"
                : TargetDimensionField(t) is { } dimensionField ? dimensionField
                : BadAmount(t.MustAchieve) ? "must_achieve" : t.Stretch < t.MustAchieve || BadAmount(t.Stretch) ? "stretch" : null,
            ForecastSubmitted f => BadId(f.ScopeId) ? "scope_id" : (int)f.Scope is not (0 or 1) ? "scope"
                : RefCalendar.CodeOf(f.Period).Length == 0 || RefCalendar.IsWeek(RefCalendar.CodeOf(f.Period)) || f.Period.Year is < 1900 or > 9000 ? "period"
                : f.Commit is < 0 or > 1_000_000_000_000_000 ? "commit"
                : f.BestCase < f.Commit || f.BestCase > 1_000_000_000_000_000 ? "best_case"
                : f.SubmittedBy.Length > 256 ? "submitted_by" : f.Note.Length > 1024 ? "note" : null,
            PlanningInputsRecorded i => BadId(i.ScopeId) ? "scope_id" : (int)i.Scope is not (0 or 1) ? "scope"
                : RefCalendar.CodeOf(i.Year).Length != 4 || i.Year.Year is < 1900 or > 9000 ? "year"
                : (int)i.Metric is < 0 or > 4 ? "metric"
                : i.LastYearActual is < 0 or > 1_000_000_000_000_000 ? "last_year_actual"
                : i.LongTermPlan is < 0 or > 1_000_000_000_000_000 ? "long_term_plan"
                : i.IndustryGrowthBasisPoints is < -10_000 or > 100_000 ? "industry_growth_bp"
                : i.NewGrowthPoints is < 0 or > 1_000_000_000_000_000 ? "new_growth_points" : null,
            _ => "event",
        };
    }

    private static bool BadId(string? id) => string.IsNullOrWhiteSpace(id) || id.Length > 128;

    /// <summary>
    /// The field naming what is wrong with a target's period kind or dimension (docs/semantics.md, "Targets by
    /// dimension"): weeks are for activities only; an activity-type dimension for activities only, with a known type;
    /// product line and channel for bookings and gross margin, customer for those and collections, with a value of at
    /// most 128 characters, and customer targets for quarters and years only.
    /// </summary>
    private static string? TargetDimensionField(TargetSet t)
    {
        var code = RefCalendar.CodeOf(t.Period);
        if (RefCalendar.IsWeek(code) && t.Metric != TargetMetric.Activities)
        {
            return "period";
        }

        var (kind, value) = (t.Dimension.Kind, t.Dimension.Value);
        switch (kind)
        {
            case DimensionKind.None:
                return null;
            case DimensionKind.ActivityType:
                return t.Metric != TargetMetric.Activities ? "dimension.kind"
                    : new[] { "Call", "Visit", "Meeting", "Proposal", "Demo" }.Contains(value) ? null : "dimension.activity_type";
            case DimensionKind.ProductLine or DimensionKind.Channel or DimensionKind.Customer:
                break;
            default:
                return "dimension.kind";
        }

        if (string.IsNullOrWhiteSpace(value) || value.Length > 128)
        {
            return "dimension.value";
        }

        var allowed = t.Metric is TargetMetric.Bookings or TargetMetric.GrossMargin || (t.Metric == TargetMetric.Collections && kind == DimensionKind.Customer);
        if (!allowed)
        {
            return "dimension.kind";
        }

        // A quarter ("2026-Q4") or a year ("2026") for a customer.
        return kind == DimensionKind.Customer && !(code.Length == 4 || (code.Length == 7 && code[5] == 'Q')) ? "period" : null;
    }

    /// <summary>Amounts are positive and at most 10^15 (docs/semantics.md, rule 1).</summary>
    private static bool BadAmount(long amount) => amount is <= 0 or > 1_000_000_000_000_000;

    /// <summary>A cost, when given, is 0 to 10^15.</summary>
    private static bool BadCost(long? cost) => cost is < 0 or > 1_000_000_000_000_000;

    private static bool BadName(string? name) => string.IsNullOrWhiteSpace(name) || name.Length > 256;

    private static bool BadDate(DateOnly d) => d.Year is < 1900 or > 9000;

    private bool IsOpenStage(string id) => _open.Any(s => s.Id == id);

    // ---- rule 2: references -------------------------------------------------------------------------------

    private static IEnumerable<(string Kind, string Id, string Field)> References(SalesEvent e)
    {
        switch (e)
        {
            case RegionDefined r when r.ParentRegionId.Length > 0:
                yield return ("region", r.ParentRegionId, "parent_region_id");
                break;
            case RepJoined j:
                yield return ("region", j.RegionId, "region_id");
                break;
            case RepMoved m:
                yield return ("region", m.RegionId, "region_id");
                break;
            case OpportunityOpened o:
                yield return ("rep", o.OwnerRepId, "owner_rep_id");
                yield return ("customer", o.CustomerId, "customer_id");
                break;
            case OpportunityReassigned r:
                yield return ("rep", r.NewOwnerRepId, "new_owner_rep_id");
                break;
            case ActivityLogged a when a.CustomerId.Length > 0:
                yield return ("customer", a.CustomerId, "customer_id");
                break;
            case PaymentReceived p:
                yield return ("customer", p.CustomerId, "customer_id");
                break;
            case CustomerKeyAccountChanged k:
                yield return ("customer", k.CustomerId, "customer_id");
                break;
        }
    }

    /// <summary>
    /// The customers that are key accounts now: per customer, the flag of the latest (occurred_at, event id) among its
    /// registration and its accepted key-account changes (ADR 0022). It classifies every activity naming the customer.
    /// </summary>
    private HashSet<string> KeyAccounts()
    {
        var latest = new Dictionary<string, (DateTimeOffset At, string EventId, bool Key)>(StringComparer.Ordinal);
        foreach (var e in _accepted)
        {
            (string Customer, bool Key)? flag = e switch
            {
                CustomerRegistered c => (c.CustomerId, c.KeyAccount),
                CustomerKeyAccountChanged k => (k.CustomerId, k.KeyAccount),
                _ => null,
            };
            if (flag is { } f && (!latest.TryGetValue(f.Customer, out var held)
                || e.OccurredAt.UtcTicks > held.At.UtcTicks
                || (e.OccurredAt.UtcTicks == held.At.UtcTicks && string.CompareOrdinal(e.EventId, held.EventId) > 0)))
            {
                latest[f.Customer] = (e.OccurredAt, e.EventId, f.Key);
            }
        }

        return latest.Where(p => p.Value.Key).Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The activities logged against a closed deal dated at or before its close (docs/semantics.md, "win rate by activity load").</summary>
    private long ActivitiesUpTo(RefDeal d) =>
        _accepted.OfType<ActivityLogged>().LongCount(a => a.OpportunityId == d.Id && a.OccurredAt.UtcTicks <= d.StageAt.UtcTicks);

    private bool Exists(string kind, string id) => kind switch
    {
        "region" => id == Company || _accepted.Any(a => a is RegionDefined r && r.RegionId == id),
        "rep" => JoinOf(id) is not null,
        _ => _accepted.Any(a => a is CustomerRegistered c && c.CustomerId == id),
    };

    // ---- rule 3: the entity an event is about ---------------------------------------------------------------

    private static (string Kind, string Id) About(SalesEvent e) => e switch
    {
        RegionDefined r => ("region", r.RegionId),
        TargetSet { Scope: TargetScope.Region } t => ("region", t.ScopeId),
        TargetSet t => ("rep", t.ScopeId),
        ForecastSubmitted { Scope: TargetScope.Region } f => ("region", f.ScopeId),
        ForecastSubmitted f => ("rep", f.ScopeId),
        PlanningInputsRecorded { Scope: TargetScope.Region } i => ("region", i.ScopeId),
        PlanningInputsRecorded i => ("rep", i.ScopeId),
        RepJoined j => ("rep", j.RepId),
        RepMoved m => ("rep", m.RepId),
        RepLeft l => ("rep", l.RepId),
        ActivityLogged a => ("rep", a.RepId),
        PaymentReceived p => ("rep", p.RepId),
        CustomerRegistered c => ("customer", c.CustomerId),
        CustomerKeyAccountChanged k => ("customer", k.CustomerId),
        _ => ("opportunity", DealOf(e)),
    };

    /// <summary>
    /// Rule 3's window. A region's and a customer's definition are de-duplicated against the one definition the entity
    /// holds; every other event by its entity's window: a rep's events, a deal's events, a region's targets.
    /// </summary>
    private static bool Windowed(SalesEvent e) => e is not (RegionDefined or CustomerRegistered);

    /// <summary>
    /// The window of an entity straight from its accepted (windowed) events: with N their latest date, the horizon is the
    /// earliest of "none" and their dates such that the events dated after it number at most MaxCount and none is dated
    /// before N − MaxAge; the ids of exactly those events are remembered.
    /// </summary>
    private RefWindow Window((string Kind, string Id) entity)
    {
        var events = _windowed.TryGetValue(entity, out var taken) ? taken.ToList() : [];
        events.Sort((a, b) => a.OccurredAt.CompareTo(b.OccurredAt));
        DateTimeOffset? horizon = null;
        var first = 0; // events[first..] are dated after the horizon
        while (first < events.Count
            && (events.Count - first > _dedup.MaxCount || events[first].OccurredAt < events[^1].OccurredAt - _dedup.MaxAge))
        {
            // The earliest date still kept breaks the rule: the horizon moves to it, taking every event of that date.
            horizon = events[first].OccurredAt;
            while (first < events.Count && events[first].OccurredAt == horizon)
            {
                first++;
            }
        }

        var kept = events.Skip(first).ToList();
        return new RefWindow(
            kept.Select(a => a.EventId).ToHashSet(StringComparer.Ordinal),
            horizon,
            events.Count == 0 ? null : events[^1].OccurredAt,
            kept.Count == 0 ? null : kept[0].OccurredAt);
    }

    /// <summary>An entity's window: the ids remembered, the horizon, the newest date, the oldest date remembered.</summary>
    private sealed record RefWindow(HashSet<string> Remembered, DateTimeOffset? Horizon, DateTimeOffset? Newest, DateTimeOffset? OldestKept)
    {
        /// <summary>
        /// Rule 3: an event with an id not remembered is refused when the window would not keep it: dated at or before
        /// the horizon, before N − MaxAge, or, with MaxCount ids remembered, at or before the oldest of them.
        /// </summary>
        public bool Refuses(SalesEvent e, RefDedup dedup) =>
            e.OccurredAt <= Horizon
            || e.OccurredAt < Newest - dedup.MaxAge
            || (Remembered.Count >= dedup.MaxCount && e.OccurredAt <= OldestKept);
    }

    /// <summary>What the window of the entity of <paramref name="e"/> says of it now (for coverage counts and messages).</summary>
    public RefDedupView DedupView(SalesEvent e)
    {
        if (Validate(e) is not null || !Windowed(e))
        {
            return default;
        }

        var about = About(e);
        var window = Window(about);
        var isRemembered = window.Remembered.Contains(e.EventId);
        return new RefDedupView(
            true,
            window.Horizon is not null,
            isRemembered,
            !isRemembered && window.Refuses(e, _dedup),
            _windowed.TryGetValue(about, out var taken) && taken.Any(a => a.EventId == e.EventId));
    }

    private static string DealOf(SalesEvent e) => e switch
    {
        OpportunityOpened o => o.OpportunityId,
        OpportunityStageChanged s => s.OpportunityId,
        OpportunityAmountChanged a => a.OpportunityId,
        OpportunityReassigned r => r.OpportunityId,
        OpportunityWon w => w.OpportunityId,
        OpportunityLost l => l.OpportunityId,
        _ => throw new ArgumentException($"not an opportunity event: {e.GetType().Name}", nameof(e)),
    };

    private static string ParentOf(string parent) => parent.Length == 0 ? Company : parent;

    // ---- rule 4: entity rules -----------------------------------------------------------------------------

    private (Verdict, string)? EntityRule(SalesEvent e)
    {
        switch (e)
        {
            case RegionDefined r:
                if (r.RegionId == Company)
                {
                    return (Verdict.FailedPrecondition, "region_id");
                }

                var prior = _accepted.OfType<RegionDefined>().FirstOrDefault(x => x.RegionId == r.RegionId);
                if (prior is null)
                {
                    return null;
                }

                return ParentOf(prior.ParentRegionId) == ParentOf(r.ParentRegionId) && prior.Name == r.Name
                    ? (Verdict.Duplicate, "event_id")
                    : (Verdict.FailedPrecondition, "region_id");
            case RepJoined j:
                return JoinOf(j.RepId) is null ? null : (Verdict.FailedPrecondition, "rep_id");
            case RepMoved m:
                var join = JoinOf(m.RepId);
                if (join is null)
                {
                    return (Verdict.NotFound, "rep_id");
                }

                if (m.OccurredAt <= join.OccurredAt)
                {
                    return (Verdict.FailedPrecondition, "occurred_at");
                }

                if (Gone(m.RepId, m.OccurredAt))
                {
                    return (Verdict.FailedPrecondition, "rep_id");
                }

                if (_everCredited.TryGetValue(m.RepId, out var latest) && m.OccurredAt <= latest)
                {
                    return (Verdict.FailedPrecondition, "occurred_at");
                }

                return null;
            case RepLeft l:
                var joined = JoinOf(l.RepId);
                return joined is null ? (Verdict.NotFound, "rep_id")
                    : LeaveOf(l.RepId) is not null ? (Verdict.FailedPrecondition, "rep_id")
                    : l.OccurredAt <= joined.OccurredAt ? (Verdict.FailedPrecondition, "occurred_at")
                    : null;
            case ActivityLogged a:
                return JoinOf(a.RepId) is null ? (Verdict.NotFound, "rep_id") : Gone(a.RepId, a.OccurredAt) ? (Verdict.FailedPrecondition, "rep_id") : null;
            case PaymentReceived p:
                return JoinOf(p.RepId) is null ? (Verdict.NotFound, "rep_id") : Gone(p.RepId, p.OccurredAt) ? (Verdict.FailedPrecondition, "rep_id") : null;
            case TargetSet { Scope: TargetScope.Rep } t:
                return JoinOf(t.ScopeId) is null ? (Verdict.NotFound, "scope_id") : Gone(t.ScopeId, t.OccurredAt) ? (Verdict.FailedPrecondition, "scope_id") : null;
            case TargetSet t:
                return Exists("region", t.ScopeId) ? null : (Verdict.NotFound, "scope_id");
            case ForecastSubmitted { Scope: TargetScope.Rep } f:
                return JoinOf(f.ScopeId) is null ? (Verdict.NotFound, "scope_id") : Gone(f.ScopeId, f.OccurredAt) ? (Verdict.FailedPrecondition, "scope_id") : null;
            case ForecastSubmitted f:
                return Exists("region", f.ScopeId) ? null : (Verdict.NotFound, "scope_id");
            case PlanningInputsRecorded { Scope: TargetScope.Rep } i:
                return JoinOf(i.ScopeId) is null ? (Verdict.NotFound, "scope_id") : Gone(i.ScopeId, i.OccurredAt) ? (Verdict.FailedPrecondition, "scope_id") : null;
            case PlanningInputsRecorded i:
                return Exists("region", i.ScopeId) ? null : (Verdict.NotFound, "scope_id");
            case CustomerRegistered c:
                return Exists("customer", c.CustomerId) ? (Verdict.FailedPrecondition, "customer_id") : null;
            case CustomerKeyAccountChanged:
                return null;
            default:
                var dealId = DealOf(e);
                var opened = _accepted.Any(a => a is OpportunityOpened o && o.OpportunityId == dealId);
                if (!opened && e is not OpportunityOpened)
                {
                    return (Verdict.NotFound, "opportunity_id");
                }

                // Giving a deal, or a win of it, to a rep who had left by the event's date (docs/semantics.md, "A rep leaves").
                (string Rep, string Field) given = e switch
                {
                    OpportunityOpened o => (o.OwnerRepId, "owner_rep_id"),
                    OpportunityReassigned r => (r.NewOwnerRepId, "new_owner_rep_id"),
                    OpportunityWon => (Deals()[dealId].Owner, "opportunity_id"),
                    _ => ("", ""),
                };
                if (given.Rep.Length > 0 && Gone(given.Rep, e.OccurredAt))
                {
                    return (Verdict.FailedPrecondition, given.Field);
                }

                return e is OpportunityOpened && opened ? (Verdict.FailedPrecondition, "opportunity_id") : null;
        }
    }

    private RepJoined? JoinOf(string repId) => _accepted.OfType<RepJoined>().FirstOrDefault(j => j.RepId == repId);

    /// <summary>The rep's accepted leave, if they left.</summary>
    public RepLeft? LeaveOf(string repId) => _accepted.OfType<RepLeft>().FirstOrDefault(l => l.RepId == repId);

    /// <summary>Whether the rep had left by <paramref name="at"/> (the leave instant counts as gone).</summary>
    private bool Gone(string repId, DateTimeOffset at) => LeaveOf(repId) is { } left && at >= left.OccurredAt;

    /// <summary>Open deals whose owner left, ordered by deal id, with that owner.</summary>
    public List<(string Deal, string Owner)> OrphanedDeals() =>
        Deals().Values.Where(d => IsOpen(d.Stage) && LeaveOf(d.Owner) is not null)
            .OrderBy(d => d.Id, StringComparer.Ordinal)
            .Select(d => (d.Id, d.Owner))
            .ToList();

    /// <summary>
    /// Open deals at risk at <paramref name="now"/>, ordered by deal id, from scratch: days in stage = whole 24-hour days
    /// since the stage's stamp (0 if that is later); stalled when at least the stage's stall days; overdue when the
    /// expected close is before the local date of <paramref name="now"/>; slipping when pushed out more than the limit.
    /// </summary>
    public List<RefAtRisk> AtRisk(DateTimeOffset now, RefRiskRules rules)
    {
        var today = _calendar.LocalDate(now);
        var list = new List<RefAtRisk>();
        foreach (var d in Deals().Values.Where(d => IsOpen(d.Stage)).OrderBy(d => d.Id, StringComparer.Ordinal))
        {
            var days = now > d.StageAt ? (int)((now.UtcTicks - d.StageAt.UtcTicks) / TimeSpan.TicksPerDay) : 0;
            var stalled = days >= rules.StallDays(d.Stage);
            var overdue = d.ExpectedClose < today;
            var slipping = d.Pushes > rules.PushLimit;
            if (stalled || overdue || slipping)
            {
                list.Add(new RefAtRisk(d.Id, d.Owner, d.Stage, days, d.ExpectedClose, d.Pushes, stalled, overdue, slipping));
            }
        }

        return list;
    }

    /// <summary>
    /// After every accepted event: which historical items (won, lost, activity, payment) are credited to each rep
    /// now, recomputed from scratch, folded into the running maximum (an item retracted later still counts).
    /// </summary>
    private void FoldCredited()
    {
        foreach (var e in _accepted)
        {
            switch (e)
            {
                case ActivityLogged a:
                    Bump(a.RepId, a.OccurredAt);
                    break;
                case PaymentReceived p:
                    Bump(p.RepId, p.OccurredAt);
                    break;
            }
        }

        foreach (var deal in Deals().Values.Where(d => !IsOpen(d.Stage)))
        {
            Bump(deal.Owner, deal.StageAt);
        }
    }

    private void Bump(string repId, DateTimeOffset at)
    {
        if (!_everCredited.TryGetValue(repId, out var max) || at > max)
        {
            _everCredited[repId] = at;
        }
    }

    // ---- from-scratch state -------------------------------------------------------------------------------

    private static int Stamp(SalesEvent a, SalesEvent b)
    {
        var c = a.OccurredAt.UtcTicks.CompareTo(b.OccurredAt.UtcTicks);
        return c != 0 ? c : string.CompareOrdinal(a.EventId, b.EventId);
    }

    public bool IsOpen(string stage) => stage is not (Won or Lost);

    /// <summary>Each opportunity's accepted events sorted by (occurred_at, event id ordinal) and replayed.</summary>
    public Dictionary<string, RefDeal> Deals()
    {
        var deals = new Dictionary<string, RefDeal>(StringComparer.Ordinal);
        foreach (var group in _accepted.Where(e => About(e).Kind == "opportunity").GroupBy(DealOf, StringComparer.Ordinal))
        {
            var open = group.OfType<OpportunityOpened>().Single();
            var deal = new RefDeal { Id = group.Key, CustomerId = open.CustomerId, OpenedAt = open.OccurredAt, ProductLine = open.ProductLine, Channel = open.Channel };
            var ordered = group.ToList();
            ordered.Sort(Stamp);
            foreach (var e in ordered)
            {
                switch (e)
                {
                    case OpportunityOpened o:
                        deal.Owner = o.OwnerRepId;
                        deal.Amount = o.Amount;
                        deal.Cost = o.Cost ?? deal.Cost;
                        SetClose(deal, o.ExpectedClose);
                        SetStage(deal, o.StageId, o.OccurredAt);
                        break;
                    case OpportunityStageChanged s:
                        SetStage(deal, s.StageId, s.OccurredAt);
                        if (s.ExpectedClose is { } close)
                        {
                            SetClose(deal, close);
                        }

                        break;
                    case OpportunityAmountChanged a:
                        deal.Amount = a.Amount;
                        deal.Cost = a.Cost ?? deal.Cost;
                        break;
                    case OpportunityReassigned r:
                        deal.Owner = r.NewOwnerRepId;
                        break;
                    case OpportunityWon w:
                        SetStage(deal, Won, w.OccurredAt);
                        deal.Amount = w.Amount > 0 ? w.Amount : deal.Amount;
                        deal.Cost = w.Cost ?? deal.Cost;
                        break;
                    case OpportunityLost l:
                        SetStage(deal, Lost, l.OccurredAt);
                        break;
                }
            }

            deals[deal.Id] = deal;
        }

        return deals;
    }

    /// <summary>A push: the new expected close is in a later calendar month than the one it replaces in stamp order.</summary>
    private static void SetClose(RefDeal deal, DateOnly close)
    {
        if (deal.HasClose && (close.Year, close.Month).CompareTo((deal.ExpectedClose.Year, deal.ExpectedClose.Month)) > 0)
        {
            deal.Pushes++;
        }

        deal.ExpectedClose = close;
        deal.HasClose = true;
    }

    private void SetStage(RefDeal deal, string stage, DateTimeOffset at)
    {
        deal.Stage = stage;
        deal.StageAt = at;
        var level = stage switch
        {
            Won => _open.Length,
            Lost => -1,
            _ => Array.FindIndex(_open, s => s.Id == stage),
        };
        deal.Level = Math.Max(deal.Level, level);
    }

    /// <summary>Region parents: "company" → "", every accepted region → its parent (empty means the company).</summary>
    public Dictionary<string, string> RegionParents()
    {
        var parents = new Dictionary<string, string>(StringComparer.Ordinal) { [Company] = "" };
        foreach (var r in _accepted.OfType<RegionDefined>())
        {
            parents[r.RegionId] = ParentOf(r.ParentRegionId);
        }

        return parents;
    }

    /// <summary>The region and every region above it, up to the company.</summary>
    public static IEnumerable<string> Chain(string region, Dictionary<string, string> parents)
    {
        for (var r = region; r.Length > 0; r = parents[r])
        {
            yield return r;
        }
    }

    public Dictionary<string, RefRep> Reps()
    {
        var reps = new Dictionary<string, RefRep>(StringComparer.Ordinal);
        foreach (var j in _accepted.OfType<RepJoined>())
        {
            var moves = _accepted.OfType<RepMoved>().Where(m => m.RepId == j.RepId).ToList();
            moves.Sort(Stamp);
            var list = new List<(DateTimeOffset, string)> { (j.OccurredAt, j.RegionId) };
            list.AddRange(moves.Select(m => (m.OccurredAt, m.RegionId)));
            reps[j.RepId] = new RefRep { Id = j.RepId, Memberships = list };
        }

        return reps;
    }

    /// <summary>
    /// Target in force per (scope, id, period code, metric, dimension): the one with the greatest (occurred_at, event id).
    /// The dimension is "" for the whole metric, else "Kind=Value" (<see cref="DimensionOf"/>).
    /// </summary>
    public Dictionary<(TargetScope Scope, string Id, string Period, TargetMetric Metric, string Dimension), TargetSet> Targets()
    {
        var result = new Dictionary<(TargetScope, string, string, TargetMetric, string), TargetSet>();
        foreach (var t in _accepted.OfType<TargetSet>())
        {
            var key = (t.Scope, t.ScopeId, RefCalendar.CodeOf(t.Period), t.Metric, DimensionOf(t));
            if (!result.TryGetValue(key, out var held) || Stamp(t, held) > 0)
            {
                result[key] = t;
            }
        }

        return result;
    }

    /// <summary>A target's dimension as the reference names it: "" for none, else "Kind=Value".</summary>
    public static string DimensionOf(TargetSet t) => t.Dimension.Kind == DimensionKind.None ? "" : $"{t.Dimension.Kind}={t.Dimension.Value}";

    /// <summary>
    /// Each customer's first order (docs/semantics.md, "New customers"): among its deals that stand won, the one won
    /// earliest (by instant), ties by deal id (ordinal). Customers without a standing win are absent.
    /// </summary>
    public static Dictionary<string, RefDeal> FirstOrders(Dictionary<string, RefDeal> deals)
    {
        var firsts = new Dictionary<string, RefDeal>(StringComparer.Ordinal);
        foreach (var d in deals.Values.Where(d => d.Stage == Won))
        {
            if (!firsts.TryGetValue(d.CustomerId, out var held)
                || d.StageAt.UtcTicks < held.StageAt.UtcTicks
                || (d.StageAt.UtcTicks == held.StageAt.UtcTicks && string.CompareOrdinal(d.Id, held.Id) < 0))
            {
                firsts[d.CustomerId] = d;
            }
        }

        return firsts;
    }

    /// <summary>Whole seconds from opening to the win, never negative.</summary>
    public static long CycleSeconds(DateTimeOffset opened, DateTimeOffset won) =>
        Math.Max(0, (won.UtcTicks - opened.UtcTicks) / TimeSpan.TicksPerSecond);

    /// <summary>Every counter of every rep and every region (zeros left out), recomputed from the accepted events.</summary>
    public (Dictionary<string, Dictionary<CounterKey, long>> Reps, Dictionary<string, Dictionary<CounterKey, long>> Regions) Counters()
    {
        var parents = RegionParents();
        var reps = Reps();
        var repCounters = reps.Keys.ToDictionary(r => r, _ => new Dictionary<CounterKey, long>(), StringComparer.Ordinal);
        var regionCounters = parents.Keys.ToDictionary(r => r, _ => new Dictionary<CounterKey, long>(), StringComparer.Ordinal);

        void Add(string repId, string regionId, CounterKey key, long value)
        {
            repCounters[repId][key] = checked(repCounters[repId].GetValueOrDefault(key) + value);
            foreach (var r in Chain(regionId, parents))
            {
                regionCounters[r][key] = checked(regionCounters[r].GetValueOrDefault(key) + value);
            }
        }

        void Current(string repId, string figure, int a, long value) =>
            Add(repId, reps[repId].CurrentRegion, new CounterKey(figure, "", a, 0), value);

        void Dated(string repId, string region, string figure, DateOnly day, int a, int b, long value)
        {
            foreach (var period in RefCalendar.PeriodsOf(day))
            {
                Add(repId, region, new CounterKey(figure, period, a, b), value);
            }
        }

        void Historical(string repId, DateTimeOffset at, string figure, int a, int b, long value) =>
            Dated(repId, reps[repId].RegionAt(at), figure, _calendar.LocalDate(at), a, b, value);

        // A dimension value's counters: month, quarter and year, but a customer's quarter and year only.
        void ByDimension(string repId, DateTimeOffset at, string figure, DimensionKind kind, string value, long amount)
        {
            foreach (var period in RefCalendar.PeriodsOf(_calendar.LocalDate(at)).Where(p => kind != DimensionKind.Customer || p.Length != 7 || p[5] == 'Q'))
            {
                Add(repId, reps[repId].RegionAt(at), new CounterKey(Fig.Of(figure, kind, value), period, 0, 0), amount);
            }
        }

        foreach (var d in Deals().Values)
        {
            if (IsOpen(d.Stage))
            {
                var stage = Array.FindIndex(_open, s => s.Id == d.Stage);
                Current(d.Owner, Fig.PipelineCount, stage, 1);
                Current(d.Owner, Fig.PipelineAmount, stage, d.Amount);
                Dated(d.Owner, reps[d.Owner].CurrentRegion, Fig.OpenByClose, d.ExpectedClose, stage, 0, d.Amount);
            }
            else if (d.Stage == Won)
            {
                Historical(d.Owner, d.StageAt, Fig.Bookings, 0, 0, d.Amount);
                Historical(d.Owner, d.StageAt, Fig.WonCount, 0, 0, 1);
                Historical(d.Owner, d.StageAt, Fig.CycleSeconds, 0, 0, CycleSeconds(d.OpenedAt, d.StageAt));
                if (d.Cost is { } cost)
                {
                    Historical(d.Owner, d.StageAt, Fig.GrossMargin, 0, 0, d.Amount - cost);
                }

                foreach (var (kind, value) in new[] { (DimensionKind.ProductLine, d.ProductLine), (DimensionKind.Channel, d.Channel), (DimensionKind.Customer, d.CustomerId) })
                {
                    if (value.Length > 0)
                    {
                        ByDimension(d.Owner, d.StageAt, Fig.Bookings, kind, value, d.Amount);
                        if (d.Cost is { } c)
                        {
                            ByDimension(d.Owner, d.StageAt, Fig.GrossMargin, kind, value, d.Amount - c);
                        }
                    }
                }
            }
            else
            {
                Historical(d.Owner, d.StageAt, Fig.LostCount, 0, 0, 1);
                Historical(d.Owner, d.StageAt, Fig.LostAmount, 0, 0, d.Amount);
            }

            for (var level = 0; level <= d.Level; level++)
            {
                Current(d.Owner, Fig.Reached, level, 1);
            }
        }

        PipelineCounters(reps, Deals(), (rep, region, key, value) => Add(rep, region, key, value));

        // A closed deal with activities logged against it by its close, in its load bucket (bucket 0 is derived, not counted).
        foreach (var d in Deals().Values.Where(d => !IsOpen(d.Stage)))
        {
            if (ActivitiesUpTo(d) is var load and > 0)
            {
                Historical(d.Owner, d.StageAt, Fig.ClosedByActivityLoad, RefActivity.LoadBucket(load), d.Stage == Won ? 0 : 1, 1);
            }
        }

        foreach (var first in FirstOrders(Deals()).Values)
        {
            Historical(first.Owner, first.StageAt, Fig.NewCustomers, 0, 0, 1);
            Historical(first.Owner, first.StageAt, Fig.NewCustomerBookings, 0, 0, first.Amount);
        }

        var dealsNow = Deals();
        var firstOrders = FirstOrders(dealsNow);
        var keyAccounts = KeyAccounts();
        foreach (var e in _accepted)
        {
            switch (e)
            {
                case ActivityLogged a:
                    Historical(a.RepId, a.OccurredAt, Fig.ActivityCount, (int)a.Type, (int)a.TimeCategory, 1);
                    Historical(a.RepId, a.OccurredAt, Fig.ActivityMinutes, 0, (int)a.TimeCategory, a.DurationMinutes);

                    // Logged against a deal that is opened (whenever it arrived) with a product line: that line's activity.
                    if (a.OpportunityId.Length > 0 && dealsNow.TryGetValue(a.OpportunityId, out var forDeal) && forDeal.ProductLine.Length > 0)
                    {
                        ByDimension(a.RepId, a.OccurredAt, Fig.ActivityCount, DimensionKind.ProductLine, forDeal.ProductLine, 1);
                        ByDimension(a.RepId, a.OccurredAt, Fig.ActivityMinutes, DimensionKind.ProductLine, forDeal.ProductLine, a.DurationMinutes);
                    }

                    if (a.CustomerId.Length > 0)
                    {
                        // Existing: the customer's earliest standing win is strictly before the activity (as the set of events stands now).
                        var existing = firstOrders.TryGetValue(a.CustomerId, out var first) && first.StageAt.UtcTicks < a.OccurredAt.UtcTicks;
                        foreach (var group in new[] { keyAccounts.Contains(a.CustomerId) ? KeyAccountGroup : OtherAccountGroup, existing ? ExistingCustomerGroup : NewCustomerGroup })
                        {
                            Historical(a.RepId, a.OccurredAt, Fig.CustomerActivityCount, group, 0, 1);
                            Historical(a.RepId, a.OccurredAt, Fig.CustomerActivityMinutes, group, 0, a.DurationMinutes);

                            // Activity figures are kept per ISO week too, direction included.
                            var weekOf = RefCalendar.WeekCode(_calendar.LocalDate(a.OccurredAt));
                            Add(a.RepId, reps[a.RepId].RegionAt(a.OccurredAt), new CounterKey(Fig.CustomerActivityCount, weekOf, group, 0), 1);
                            Add(a.RepId, reps[a.RepId].RegionAt(a.OccurredAt), new CounterKey(Fig.CustomerActivityMinutes, weekOf, group, 0), a.DurationMinutes);
                        }
                    }

                    // Activities are kept per ISO week too (docs/semantics.md, "Targets by dimension").
                    var week = RefCalendar.WeekCode(_calendar.LocalDate(a.OccurredAt));
                    var region = reps[a.RepId].RegionAt(a.OccurredAt);
                    Add(a.RepId, region, new CounterKey(Fig.ActivityCount, week, (int)a.Type, (int)a.TimeCategory), 1);
                    Add(a.RepId, region, new CounterKey(Fig.ActivityMinutes, week, 0, (int)a.TimeCategory), a.DurationMinutes);
                    break;
                case PaymentReceived p:
                    Historical(p.RepId, p.OccurredAt, Fig.Collections, 0, 0, p.Amount);
                    ByDimension(p.RepId, p.OccurredAt, Fig.Collections, DimensionKind.Customer, p.CustomerId, p.Amount);
                    break;
            }
        }

        AddTargetCounters(reps, parents, Add, regionCounters);
        foreach (var set in repCounters.Values.Concat(regionCounters.Values))
        {
            foreach (var zero in set.Where(kv => kv.Value == 0).Select(kv => kv.Key).ToList())
            {
                set.Remove(zero);
            }
        }

        return (repCounters, regionCounters);
    }

    /// <summary>
    /// Every leaderboard: for each region (and the company), period and metric, the reps currently in the region or
    /// below it that have a score, by score descending then rep id (ordinal), ranked from 1.
    /// </summary>
    /// <param name="repCounters">Every rep's counters (<see cref="Counters"/>).</param>
    /// <param name="clock">The engine's clock: accuracy boards list the periods that ended by then.</param>
    public Dictionary<RefBoard, List<RefRow>> Leaderboards(Dictionary<string, Dictionary<CounterKey, long>> repCounters, DateTimeOffset clock)
    {
        var parents = RegionParents();
        var reps = Reps();
        var targets = Targets();
        var scores = new Dictionary<string, Dictionary<(string Period, string Metric), double>>(StringComparer.Ordinal);
        foreach (var (repId, counters) in repCounters)
        {
            var mine = new Dictionary<(string, string), double>();
            foreach (var (key, value) in counters)
            {
                var metric = key.Figure switch
                {
                    Fig.Bookings => "Bookings",
                    Fig.Collections => "Collections",
                    Fig.ActivityCount => "Activities",
                    _ => null,
                };
                if (metric is not null && !RefCalendar.IsWeek(key.Period))
                {
                    mine[(key.Period, metric)] = mine.GetValueOrDefault((key.Period, metric)) + value;
                }
            }

            foreach (var ((scope, id, period, metric, dimension), target) in targets)
            {
                if (scope == TargetScope.Rep && id == repId && metric == TargetMetric.Bookings && dimension.Length == 0)
                {
                    var bookings = counters.GetValueOrDefault(new CounterKey(Fig.Bookings, period, 0, 0));
                    mine[(period, "Attainment")] = Math.Round(bookings * 100.0 / target.MustAchieve, 4);
                }
            }

            foreach (var period in SubmittedPeriods(TargetScope.Rep, repId))
            {
                if (Ended(period, clock) && Counted(TargetScope.Rep, repId, period) is { } counted)
                {
                    var bookings = counters.GetValueOrDefault(new CounterKey(Fig.Bookings, period, 0, 0));
                    mine[(period, "ForecastAccuracy")] = AccuracyPercent(bookings, counted.Commit);
                }
            }

            if (LeaveOf(repId) is { } left)
            {
                // A departed rep stays only on boards of periods that ended before the leave date.
                var leftOn = _calendar.LocalDate(left.OccurredAt);
                foreach (var key in mine.Keys.Where(k => RefCalendar.Days(k.Item1).End > leftOn).ToList())
                {
                    mine.Remove(key);
                }
            }

            scores[repId] = mine;
        }

        var boards = new Dictionary<RefBoard, List<RefRow>>();
        foreach (var region in parents.Keys)
        {
            var members = reps.Values.Where(r => Chain(r.CurrentRegion, parents).Contains(region)).Select(r => r.Id).ToList();
            foreach (var key in members.SelectMany(m => scores[m].Keys).Distinct())
            {
                var rows = members.Where(m => scores[m].ContainsKey(key)).Select(m => (Rep: m, Score: scores[m][key])).ToList();
                rows.Sort((a, b) => a.Score != b.Score ? (a.Score > b.Score ? -1 : 1) : string.CompareOrdinal(a.Rep, b.Rep));
                boards[new RefBoard(region, key.Period, key.Metric)] = rows.Select((r, i) => new RefRow(i + 1, r.Rep, r.Score)).ToList();
            }
        }

        return boards;
    }

    public Dictionary<string, RefCustomer> Customers()
    {
        var deals = Deals();
        var result = new Dictionary<string, RefCustomer>(StringComparer.Ordinal);
        foreach (var c in _accepted.OfType<CustomerRegistered>())
        {
            var orders = deals.Values.Where(d => d.CustomerId == c.CustomerId && d.Stage == Won).ToList();
            var contacts = _accepted.OfType<ActivityLogged>().Where(a => a.CustomerId == c.CustomerId).Select(a => a.OccurredAt).ToList();
            result[c.CustomerId] = new RefCustomer(
                orders.Count,
                orders.Sum(o => o.Amount),
                orders.Count == 0 ? null : orders.Max(o => o.StageAt),
                _accepted.OfType<PaymentReceived>().Where(p => p.CustomerId == c.CustomerId).Sum(p => p.Amount),
                contacts.Count == 0 ? null : contacts.Max());
        }

        return result;
    }

    /// <summary>
    /// The figures of a rep (<paramref name="scope"/> Rep) or a region for a period at <paramref name="now"/>, straight
    /// from the deals and items: open deals count where their owner is now, historical items where their rep was then.
    /// </summary>
    public RefReport Report(TargetScope scope, string scopeId, string period, DateTimeOffset now, ReportInputs inputs)
    {
        bool InScope(string repId, string regionId) => scope == TargetScope.Rep
            ? repId == scopeId
            : Chain(regionId, inputs.Parents).Contains(scopeId);

        // A week keeps activities only (docs/semantics.md, "Targets by dimension"): its other period figures read 0.
        var week = RefCalendar.IsWeek(period);
        var n = _open.Length;
        var stageCount = new long[n];
        var stageAmount = new long[n];
        var reached = new long[n + 1];
        decimal weighted = 0, forecastOpen = 0;
        long bookings = 0, won = 0, lost = 0, lostAmount = 0, cycle = 0, commit = 0, bestCase = 0, pipeline = 0, grossMargin = 0;
        var direction = new RefActivity.Builder();
        foreach (var d in inputs.Deals.Values)
        {
            if (InScope(d.Owner, inputs.Reps[d.Owner].CurrentRegion))
            {
                for (var level = 0; level <= d.Level; level++)
                {
                    reached[level]++;
                }

                if (IsOpen(d.Stage))
                {
                    var i = Array.FindIndex(_open, s => s.Id == d.Stage);
                    stageCount[i]++;
                    stageAmount[i] += d.Amount;
                    weighted += d.Amount * _open[i].Probability / 100m;
                    if (!week && RefCalendar.Contains(period, d.ExpectedClose))
                    {
                        forecastOpen += d.Amount * _open[i].Probability / 100m;
                        switch (_open[i].Category)
                        {
                            case ForecastCategory.Commit:
                                commit += d.Amount;
                                break;
                            case ForecastCategory.BestCase:
                                bestCase += d.Amount;
                                break;
                            default:
                                pipeline += d.Amount;
                                break;
                        }
                    }
                }
            }

            if (!week && !IsOpen(d.Stage) && InScope(d.Owner, inputs.Reps[d.Owner].RegionAt(d.StageAt)) && RefCalendar.Contains(period, _calendar.LocalDate(d.StageAt)))
            {
                direction.Closed(d.Stage == Won, ActivitiesUpTo(d));
                if (d.Stage == Won)
                {
                    bookings += d.Amount;
                    grossMargin += d.Amount - (d.Cost ?? d.Amount);
                    won++;
                    cycle += CycleSeconds(d.OpenedAt, d.StageAt);
                }
                else
                {
                    lost++;
                    lostAmount += d.Amount;
                }
            }
        }

        long newCustomers = 0, newCustomerBookings = 0;
        foreach (var order in FirstOrders(inputs.Deals).Values)
        {
            if (!week && InScope(order.Owner, inputs.Reps[order.Owner].RegionAt(order.StageAt)) && RefCalendar.Contains(period, _calendar.LocalDate(order.StageAt)))
            {
                newCustomers++;
                newCustomerBookings += order.Amount;
            }
        }

        long collections = 0, activityTotal = 0;
        var minutes = new long[5];
        var activities = new SortedDictionary<(int, int), long>();
        var firstOrders = FirstOrders(inputs.Deals);
        var keyAccounts = KeyAccounts();
        foreach (var e in _accepted)
        {
            if (e is ActivityLogged a && RefCalendar.Contains(period, _calendar.LocalDate(a.OccurredAt)) && InScope(a.RepId, inputs.Reps[a.RepId].RegionAt(a.OccurredAt)))
            {
                direction.Add(
                    a.Type,
                    a.DurationMinutes,
                    a.CustomerId.Length == 0
                        ? []
                        :
                        [
                            keyAccounts.Contains(a.CustomerId) ? KeyAccountGroup : OtherAccountGroup,
                            firstOrders.TryGetValue(a.CustomerId, out var firstOrder) && firstOrder.StageAt.UtcTicks < a.OccurredAt.UtcTicks ? ExistingCustomerGroup : NewCustomerGroup,
                        ]);
                if (!week && a.OpportunityId.Length > 0 && inputs.Deals.TryGetValue(a.OpportunityId, out var forDeal) && forDeal.ProductLine.Length > 0)
                {
                    direction.ForProductLine(forDeal.ProductLine, a.DurationMinutes);
                }

                activityTotal++;
                minutes[(int)a.TimeCategory] += a.DurationMinutes;
                activities[((int)a.Type, (int)a.TimeCategory)] = activities.GetValueOrDefault(((int)a.Type, (int)a.TimeCategory)) + 1;
            }
            else if (e is PaymentReceived p && !week && RefCalendar.Contains(period, _calendar.LocalDate(p.OccurredAt)) && InScope(p.RepId, inputs.Reps[p.RepId].RegionAt(p.OccurredAt)))
            {
                collections += p.Amount;
            }
        }

        static double Ratio(double a, double b) => b == 0 ? 0 : a / b;

        var targets = new List<RefTarget>();
        var elapsed = _calendar.ElapsedShare(period, now);
        var mine = inputs.Targets.Where(kv => kv.Key.Scope == scope && kv.Key.Id == scopeId && kv.Key.Period == period)
            .OrderBy(kv => (int)kv.Key.Metric).ThenBy(kv => (int)kv.Value.Dimension.Kind).ThenBy(kv => kv.Value.Dimension.Value ?? "", StringComparer.Ordinal);
        foreach (var ((_, _, _, metric, dimension), t) in mine)
        {
            var actual = dimension.Length > 0
                ? DimensionActual(t, InScope, inputs)
                : metric switch
                {
                    TargetMetric.Bookings => bookings,
                    TargetMetric.Collections => collections,
                    TargetMetric.NewCustomers => newCustomers,
                    TargetMetric.GrossMargin => grossMargin,
                    _ => activityTotal,
                };
            var expected = t.MustAchieve * elapsed;

            // Pace is only meaningful while the period runs: before it, nothing is expected yet; after it, the
            // target is met or missed, not behind (docs/semantics.md, "pace").
            targets.Add(new RefTarget(
                dimension.Length == 0 ? metric.ToString() : $"{metric}/{dimension}",
                actual,
                t.MustAchieve,
                t.Stretch,
                Ratio(actual, t.MustAchieve),
                Ratio(actual, t.Stretch),
                Ratio(actual, expected),
                elapsed is > 0 and < 1 && actual < Math.Floor(expected)));
        }

        var conversion = new double[n];
        for (var i = 0; i < n; i++)
        {
            conversion[i] = Ratio(reached[i + 1], reached[i]);
        }

        // Same period last year: the whole of it, and up to the same point (months over in full, the current one pro rata).
        static string YearBefore(string p) => (int.Parse(p[..4], CultureInfo.InvariantCulture) - 1).ToString("D4", CultureInfo.InvariantCulture) + p[4..];

        RefSums In(string p) => Sums(d => RefCalendar.Contains(p, d));
        var lastYear = In(YearBefore(period));
        long[] toDate = [0, 0, 0, 0];
        var (first, end) = RefCalendar.Days(period);
        for (var m = first; m < end; m = m.AddMonths(1))
        {
            var share = _calendar.ElapsedShare(RefCalendar.MonthCode(m), now);
            if (share == 0)
            {
                break;
            }

            var sums = In(YearBefore(RefCalendar.MonthCode(m)));
            long[] month = [sums.Bookings, sums.Collections, sums.Won, sums.NewCustomers];
            for (var i = 0; i < month.Length; i++)
            {
                toDate[i] += share == 1 ? month[i] : Math.Min(month[i], (long)Math.Floor(month[i] * share));
            }
        }

        var yoy = new List<RefYearOnYear>();
        foreach (var (name, actual, whole, i) in week ? [] : new[]
        {
            ("Bookings", bookings, lastYear.Bookings, 0), ("Collections", collections, lastYear.Collections, 1), ("WonCount", won, lastYear.Won, 2),
            ("NewCustomers", newCustomers, lastYear.NewCustomers, 3),
        })
        {
            yoy.Add(new RefYearOnYear(
                name,
                actual,
                whole,
                toDate[i],
                toDate[i] == 0 ? 0 : (actual - toDate[i]) / (double)toDate[i],
                elapsed is > 0 and < 1 && toDate[i] > 0 && actual < toDate[i] * (1 - BehindLastYearShare)));
        }

        return new RefReport(
            stageCount.Sum(),
            stageAmount.Sum(),
            weighted,
            stageCount,
            stageAmount,
            reached,
            conversion,
            bookings,
            won,
            lost,
            lostAmount,
            collections,
            Ratio(won, won + lost),
            Ratio(bookings, won),
            Ratio(cycle / 86_400.0, won),
            bookings + forecastOpen,
            bookings + commit,
            bookings + commit + bestCase,
            bookings + commit + bestCase + pipeline,
            activityTotal,
            activities,
            minutes,
            targets,
            yoy,
            newCustomers,
            newCustomerBookings,
            bookings - newCustomerBookings,
            RefPlanning.Plan(
                inputs.Targets.GetValueOrDefault((scope, scopeId, period, TargetMetric.Bookings, "")),
                period,
                now,
                _calendar,
                _planMinHistory,
                scope == TargetScope.Rep,
                bookings,
                forecastOpen,
                Sums),
            grossMargin)
        {
            Coverage = Coverage(scope, scopeId, period, inputs),
            Activity = direction.Build(won),
            Suggestions = Suggestions(scope, scopeId, period, inputs, metric => metric switch
            {
                TargetMetric.Bookings => In(YearBefore(period)).Bookings,
                TargetMetric.Collections => In(YearBefore(period)).Collections,
                TargetMetric.NewCustomers => In(YearBefore(period)).NewCustomers,
                TargetMetric.GrossMargin => GrossMarginIn(YearBefore(period)),
                _ => ActivitiesIn(YearBefore(period)),
            }),
        };

        // The period figures of this scope for the local dates a predicate takes (last year's; the funnel's history).
        // Gross margin of the scope's deals won in a period (last year's, for a suggested target).
        long GrossMarginIn(string p) => inputs.Deals.Values
            .Where(d => d.Stage == Won && d.Cost is not null && RefCalendar.Contains(p, _calendar.LocalDate(d.StageAt))
                && InScope(d.Owner, inputs.Reps[d.Owner].RegionAt(d.StageAt)))
            .Sum(d => d.Amount - d.Cost!.Value);

        long ActivitiesIn(string p) => _accepted.OfType<ActivityLogged>()
            .Count(a => RefCalendar.Contains(p, _calendar.LocalDate(a.OccurredAt)) && InScope(a.RepId, inputs.Reps[a.RepId].RegionAt(a.OccurredAt)));

        RefSums Sums(Func<DateOnly, bool> inPeriod)
        {
            long b = 0, w = 0, c = 0, n = 0, nb = 0, proposals = 0, visits = 0, calls = 0;
            foreach (var d in inputs.Deals.Values)
            {
                if (d.Stage == Won && inPeriod(_calendar.LocalDate(d.StageAt)) && InScope(d.Owner, inputs.Reps[d.Owner].RegionAt(d.StageAt)))
                {
                    b += d.Amount;
                    w++;
                }
            }

            foreach (var first in FirstOrders(inputs.Deals).Values)
            {
                if (inPeriod(_calendar.LocalDate(first.StageAt)) && InScope(first.Owner, inputs.Reps[first.Owner].RegionAt(first.StageAt)))
                {
                    n++;
                    nb += first.Amount;
                }
            }

            foreach (var e in _accepted)
            {
                if (e is PaymentReceived pay && inPeriod(_calendar.LocalDate(pay.OccurredAt)) && InScope(pay.RepId, inputs.Reps[pay.RepId].RegionAt(pay.OccurredAt)))
                {
                    c += pay.Amount;
                }
                else if (e is ActivityLogged a && inPeriod(_calendar.LocalDate(a.OccurredAt)) && InScope(a.RepId, inputs.Reps[a.RepId].RegionAt(a.OccurredAt)))
                {
                    proposals += a.Type == ActivityType.Proposal ? 1 : 0;
                    visits += a.Type == ActivityType.Visit ? 1 : 0;
                    calls += a.Type == ActivityType.Call ? 1 : 0;
                }
            }

            return new RefSums(b, w, c, n, nb, proposals, visits, calls);
        }
    }

    /// <summary>
    /// The actual of a target for one dimension value, from scratch (docs/semantics.md, "Targets by dimension"): the
    /// scope's activities of that type in the target's period, counted where the rep was when logging them.
    /// </summary>
    private long DimensionActual(TargetSet t, Func<string, string, bool> inScope, ReportInputs inputs)
    {
        var period = RefCalendar.CodeOf(t.Period);
        return t.Dimension.Kind switch
        {
            DimensionKind.ActivityType => _accepted.OfType<ActivityLogged>().Count(a =>
                a.Type.ToString() == t.Dimension.Value && RefCalendar.Contains(period, _calendar.LocalDate(a.OccurredAt))
                && inScope(a.RepId, inputs.Reps[a.RepId].RegionAt(a.OccurredAt))),
            _ when t.Metric == TargetMetric.Collections => _accepted.OfType<PaymentReceived>()
                .Where(p => p.CustomerId == t.Dimension.Value && RefCalendar.Contains(period, _calendar.LocalDate(p.OccurredAt))
                    && inScope(p.RepId, inputs.Reps[p.RepId].RegionAt(p.OccurredAt)))
                .Sum(p => p.Amount),
            _ => inputs.Deals.Values
                .Where(d => d.Stage == Won && AttributeOf(d, t.Dimension.Kind) == t.Dimension.Value
                    && RefCalendar.Contains(period, _calendar.LocalDate(d.StageAt)) && inScope(d.Owner, inputs.Reps[d.Owner].RegionAt(d.StageAt))
                    && (t.Metric == TargetMetric.Bookings || d.Cost is not null))
                .Sum(d => t.Metric == TargetMetric.Bookings ? d.Amount : d.Amount - d.Cost!.Value),
        };

        static string AttributeOf(RefDeal d, DimensionKind kind) => kind switch
        {
            DimensionKind.ProductLine => d.ProductLine,
            DimensionKind.Channel => d.Channel,
            _ => d.CustomerId,
        };
    }

    // ---- forecasts ---------------------------------------------------------------------------------------

    /// <summary>A scope's accepted submissions for a period, in (occurred_at, event id) order.</summary>
    public List<RefSubmission> Submissions(TargetScope scope, string id, string period)
    {
        var list = _accepted.OfType<ForecastSubmitted>()
            .Where(f => f.Scope == scope && f.ScopeId == id && RefCalendar.CodeOf(f.Period) == period)
            .ToList();
        list.Sort(Stamp);
        return list.Select(f => new RefSubmission(f.EventId, f.OccurredAt, f.Commit, f.BestCase, f.SubmittedBy, f.Note)).ToList();
    }

    private IEnumerable<string> SubmittedPeriods(TargetScope scope, string id) =>
        _accepted.OfType<ForecastSubmitted>().Where(f => f.Scope == scope && f.ScopeId == id).Select(f => RefCalendar.CodeOf(f.Period)).Distinct();

    /// <summary>A period has ended once the clock reaches the start of its first day after (company time zone).</summary>
    public bool Ended(string period, DateTimeOffset clock) => clock >= _calendar.StartOf(RefCalendar.Days(period).End);

    /// <summary>The cut-off: the start of the day that falls the configured number of days before the period's end.</summary>
    public DateTimeOffset Cutoff(string period) => _calendar.StartOf(RefCalendar.Days(period).End.AddDays(-_cutoffDays));

    /// <summary>The submission that counts: the latest (by occurred_at, then event id) dated before the cut-off.</summary>
    public RefSubmission? Counted(TargetScope scope, string id, string period) =>
        Submissions(scope, id, period).LastOrDefault(s => s.At < Cutoff(period));

    /// <summary>100 × max(0, 1 − |actual − commit| ÷ actual), to 4 decimals; for actual 0: 100 when the commit is 0 too, else 0.</summary>
    public static double AccuracyPercent(long actual, long commit) =>
        actual == 0
            ? (commit == 0 ? 100.0 : 0.0)
            : Math.Round(Math.Max(0.0, 1.0 - Math.Abs((double)(actual - commit)) / Math.Abs((double)actual)) * 100.0, 4);

    /// <summary>
    /// One scope's forecast view for a period at <paramref name="now"/>: submissions, the actual bookings and the system's
    /// forecast (both from <paramref name="report"/>, the scope's report of that period), and once ended the accuracy;
    /// plus the accuracy of every ended period of the scope with a counted submission, by end date, the longer period first.
    /// </summary>
    public RefForecast Forecast(TargetScope scope, string id, string period, DateTimeOffset now, RefReport report, Dictionary<CounterKey, long> counters)
    {
        RefAccuracy? Accuracy(string p) => Counted(scope, id, p) is { } c
            ? new RefAccuracy(p, c.EventId, c.Commit, counters.GetValueOrDefault(new CounterKey(Fig.Bookings, p, 0, 0)),
                AccuracyPercent(counters.GetValueOrDefault(new CounterKey(Fig.Bookings, p, 0, 0)), c.Commit))
            : null;

        var history = SubmittedPeriods(scope, id).Where(p => Ended(p, now)).Select(Accuracy).OfType<RefAccuracy>()
            .OrderBy(a => RefCalendar.Days(a.Period).End).ThenBy(a => a.Period.Length == 4 ? 0 : a.Period[5] == 'Q' ? 1 : 2)
            .ToList();
        var ended = Ended(period, now);
        return new RefForecast(Submissions(scope, id, period), report.Bookings, report.Forecast, ended, ended ? Accuracy(period) : null, history);
    }

    /// <summary>The from-scratch state a batch of reports reads (computed once, not per report).</summary>
    public ReportInputs Inputs() => new(Deals(), Reps(), RegionParents(), Targets());
}

/// <summary>A forecast submission as the reference keeps it.</summary>
public sealed record RefSubmission(string EventId, DateTimeOffset At, long Commit, long BestCase, string SubmittedBy, string Note);

/// <summary>A period's accuracy: the submission that counted, the actual bookings and the score in percent.</summary>
public sealed record RefAccuracy(string Period, string CountedEventId, long Commit, long Actual, double Percent);

/// <summary>One scope's forecast for a period: its submissions in order, the actual and the system's forecast, and its accuracy.</summary>
public sealed record RefForecast(List<RefSubmission> Submissions, long Actual, decimal SystemForecast, bool Ended, RefAccuracy? Accuracy, List<RefAccuracy> History)
{
    public override string ToString() =>
        $"[{string.Join(", ", Submissions.Select(s => $"{s.EventId}@{s.At:O}:{s.Commit}/{s.BestCase}"))}] actual {Actual} system {SystemForecast} ended {Ended} "
        + $"accuracy {Accuracy} history [{string.Join(", ", History)}]";
}

/// <summary>What <see cref="ReferenceModel.Report"/> reads, computed once for many reports.</summary>
public sealed record ReportInputs(
    Dictionary<string, RefDeal> Deals,
    Dictionary<string, RefRep> Reps,
    Dictionary<string, string> Parents,
    Dictionary<(TargetScope Scope, string Id, string Period, TargetMetric Metric, string Dimension), TargetSet> Targets);
