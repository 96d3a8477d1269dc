using System.Globalization;
using SalesOps.Domain;

namespace SalesOps.Reference;

/// <summary>Acceptance rules 1 and 2 (docs/semantics.md): a valid event, and the entities it refers to.</summary>
public sealed partial class ReferenceModel
{
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
}
