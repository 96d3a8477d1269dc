using System.Globalization;
using SalesOps.Domain;

namespace SalesOps.Reference;

/// <summary>Acceptance rules 3 and 4 (docs/semantics.md): the entity an event is about, and its rules.</summary>
public sealed partial class ReferenceModel
{
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
}
