namespace SalesOps.Domain.Tests.Differential;

/// <summary>A deal as the reference sees it after replaying its accepted events in stamp order.</summary>
internal sealed class RefDeal
{
    public required string Id { get; init; }
    public required string CustomerId { get; init; }
    public required DateTimeOffset OpenedAt { get; init; }
    public string Owner { get; set; } = "";
    public long Amount { get; set; }
    public DateOnly ExpectedClose { get; set; }
    public int Stage { get; set; }
    public DateTimeOffset StageAt { get; set; }

    /// <summary>Highest level ever reached; -1 when only lost.</summary>
    public int Level { get; set; } = -1;
}

/// <summary>A rep as the reference sees it: the join and the accepted moves, in stamp order.</summary>
internal sealed class RefRep
{
    public required string Id { get; init; }
    public required List<(DateTimeOffset At, string EventId, string Region)> Memberships { get; init; }

    public string CurrentRegion => Memberships[^1].Region;

    /// <summary>The latest membership dated at or before <paramref name="at"/>; the joining region before the join.</summary>
    public string RegionAt(DateTimeOffset at)
    {
        var region = Memberships[0].Region;
        foreach (var m in Memberships)
        {
            if (m.At <= at)
            {
                region = m.Region;
            }
        }

        return region;
    }
}

internal sealed record RefCustomer(int Orders, long LifetimeValue, DateTimeOffset? LastOrder, long Collections, DateTimeOffset? LastContact);

/// <summary>The reference's own figures for one scope and period, computed directly from deals and items.</summary>
internal sealed record DirectReport(
    long OpenCount,
    long OpenAmount,
    decimal Weighted,
    long[] StageCount,
    long[] StageAmount,
    long[] Reached,
    long Bookings,
    long Won,
    long Lost,
    long LostAmount,
    long Collections,
    long CycleSeconds,
    decimal Forecast,
    long Commit,
    long BestCase,
    long Pipeline,
    long ActivityTotal,
    long[] Minutes,
    List<(TargetMetric Metric, long Actual, long Must, long Stretch)> Targets);

/// <summary>
/// A naive, from-scratch model of docs/semantics.md, written independently of the domain aggregates. It keeps the
/// list of accepted events; each delivered event's outcome is decided by applying the acceptance rules directly over
/// that list, and every figure is recomputed at the end from the accepted events alone. It uses only plain domain
/// types (events, <see cref="StageTable"/>, <see cref="CompanyCalendar"/>, <see cref="Period"/>, <see cref="FigureKey"/>).
/// </summary>
internal sealed class ReferenceModel
{
    public const string Company = "company";

    private readonly StageTable _stages;
    private readonly CompanyCalendar _calendar;
    private readonly List<SalesEvent> _accepted = [];
    private readonly Dictionary<DateTimeOffset, DateOnly> _localDates = [];

    /// <summary>Per rep: the latest historical item ever credited to them (running maximum over time).</summary>
    private readonly Dictionary<string, DateTimeOffset> _everCredited = new(StringComparer.Ordinal);

    public ReferenceModel(StageTable stages, CompanyCalendar calendar)
    {
        _stages = stages;
        _calendar = calendar;
    }

    public IReadOnlyList<SalesEvent> Accepted => _accepted;

    /// <summary>Decides the outcome of one delivered event and, when accepted, remembers it.</summary>
    public (OutcomeCode Code, string Field) Decide(SalesEvent e)
    {
        if (Validate(e) is { } badField)
        {
            return (OutcomeCode.InvalidArgument, badField);
        }

        foreach (var (kind, id, field) in References(e))
        {
            if (!Exists(kind, id))
            {
                return (OutcomeCode.NotFound, field);
            }
        }

        var about = About(e);
        if (_accepted.Any(a => a.EventId == e.EventId && About(a) == about))
        {
            return (OutcomeCode.Duplicate, "event_id");
        }

        if (EntityRule(e) is { } rejected)
        {
            return rejected;
        }

        _accepted.Add(e);
        RecomputeCredited();
        return (OutcomeCode.Accepted, "");
    }

    // ---- rule 1: validation -------------------------------------------------------------------------------

    private string? Validate(SalesEvent e)
    {
        if (BadId(e.EventId))
        {
            return "event_id";
        }

        if (e.OccurredAt == default)
        {
            return "occurred_at";
        }

        return e switch
        {
            RegionDefined r => BadId(r.RegionId) ? "region_id" : r.Name.Length == 0 ? "name" : null,
            RepJoined j => BadId(j.RepId) ? "rep_id" : j.Name.Length == 0 ? "name" : BadId(j.RegionId) ? "region_id"
                : (int)j.Role is not (0 or 1) ? "role" : (int)j.Style is not (0 or 1) ? "style" : null,
            RepMoved m => BadId(m.RepId) ? "rep_id" : BadId(m.RegionId) ? "region_id" : null,
            CustomerRegistered c => BadId(c.CustomerId) ? "customer_id" : c.Name.Length == 0 ? "name" : null,
            OpportunityOpened o => BadId(o.OpportunityId) ? "opportunity_id" : BadId(o.OwnerRepId) ? "owner_rep_id"
                : BadId(o.CustomerId) ? "customer_id" : o.Amount <= 0 ? "amount" : o.ExpectedClose == default ? "expected_close"
                : NotOpenStage(o.StageId) ? "stage_id" : null,
            OpportunityStageChanged s => BadId(s.OpportunityId) ? "opportunity_id" : NotOpenStage(s.StageId) ? "stage_id" : null,
            OpportunityAmountChanged a => BadId(a.OpportunityId) ? "opportunity_id" : a.Amount <= 0 ? "amount" : null,
            OpportunityReassigned r => BadId(r.OpportunityId) ? "opportunity_id" : BadId(r.NewOwnerRepId) ? "new_owner_rep_id" : null,
            OpportunityWon w => BadId(w.OpportunityId) ? "opportunity_id" : w.Amount < 0 ? "amount" : null,
            OpportunityLost l => BadId(l.OpportunityId) ? "opportunity_id" : null,
            ActivityLogged a => BadId(a.RepId) ? "rep_id" : a.CustomerId.Length > 128 ? "customer_id"
                : (int)a.Type is < 0 or > 4 ? "type" : (int)a.TimeCategory is < 0 or > 4 ? "time_category"
                : a.DurationMinutes is < 0 or > 1440 ? "duration_minutes" : null,
            PaymentReceived p => BadId(p.RepId) ? "rep_id" : BadId(p.CustomerId) ? "customer_id" : p.Amount <= 0 ? "amount" : null,
            TargetSet t => BadId(t.ScopeId) ? "scope_id" : (int)t.Scope is not (0 or 1) ? "scope"
                : (int)t.Metric is < 0 or > 2 ? "metric"
                : t.Period.Kind is not (PeriodKind.Year or PeriodKind.Quarter or PeriodKind.Month) ? "period"
                : t.MustAchieve <= 0 ? "must_achieve" : t.Stretch < t.MustAchieve ? "stretch" : null,
            _ => "event",
        };
    }

    private static bool BadId(string? id) => string.IsNullOrEmpty(id) || id.Length > 128;

    private bool NotOpenStage(string stageId)
    {
        for (var i = 0; i < _stages.OpenCount; i++)
        {
            if (_stages.Stages[i].Id == stageId)
            {
                return false;
            }
        }

        return true;
    }

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
        }
    }

    private bool Exists(string kind, string id) => kind switch
    {
        "region" => id == Company || _accepted.Any(a => a is RegionDefined r && r.RegionId == id),
        "rep" => _accepted.Any(a => a is RepJoined j && j.RepId == id),
        _ => _accepted.Any(a => a is CustomerRegistered c && c.CustomerId == id),
    };

    // ---- rule 3: the entity an event is about ---------------------------------------------------------------

    private static (string Kind, string Id) About(SalesEvent e) => e switch
    {
        RegionDefined r => ("region", r.RegionId),
        TargetSet { Scope: TargetScope.Region } t => ("region", t.ScopeId),
        TargetSet t => ("rep", t.ScopeId),
        RepJoined j => ("rep", j.RepId),
        RepMoved m => ("rep", m.RepId),
        ActivityLogged a => ("rep", a.RepId),
        PaymentReceived p => ("rep", p.RepId),
        CustomerRegistered c => ("customer", c.CustomerId),
        _ => ("opportunity", OpportunityOf(e)),
    };

    private static string OpportunityOf(SalesEvent e) => e switch
    {
        OpportunityOpened o => o.OpportunityId,
        OpportunityStageChanged s => s.OpportunityId,
        OpportunityAmountChanged a => a.OpportunityId,
        OpportunityReassigned r => r.OpportunityId,
        OpportunityWon w => w.OpportunityId,
        OpportunityLost l => l.OpportunityId,
        _ => throw new ArgumentException(e.GetType().Name, nameof(e)),
    };

    private static string ResolveParent(string parent) => parent.Length == 0 ? Company : parent;

    // ---- rule 4: entity rules -----------------------------------------------------------------------------

    private (OutcomeCode, string)? EntityRule(SalesEvent e)
    {
        switch (e)
        {
            case RegionDefined r:
                if (r.RegionId == Company)
                {
                    return (OutcomeCode.FailedPrecondition, "region_id");
                }

                var prior = _accepted.OfType<RegionDefined>().FirstOrDefault(x => x.RegionId == r.RegionId);
                if (prior is null)
                {
                    return null;
                }

                return ResolveParent(prior.ParentRegionId) == ResolveParent(r.ParentRegionId) && prior.Name == r.Name
                    ? (OutcomeCode.Duplicate, "event_id")
                    : (OutcomeCode.FailedPrecondition, "region_id");
            case RepJoined j:
                return JoinOf(j.RepId) is null ? null : (OutcomeCode.FailedPrecondition, "rep_id");
            case RepMoved m:
                var join = JoinOf(m.RepId);
                if (join is null)
                {
                    return (OutcomeCode.NotFound, "rep_id");
                }

                if (m.OccurredAt <= join.OccurredAt)
                {
                    return (OutcomeCode.FailedPrecondition, "occurred_at");
                }

                if (_everCredited.TryGetValue(m.RepId, out var latest) && m.OccurredAt <= latest)
                {
                    return (OutcomeCode.FailedPrecondition, "occurred_at");
                }

                return null;
            case ActivityLogged a:
                return JoinOf(a.RepId) is null ? (OutcomeCode.NotFound, "rep_id") : null;
            case PaymentReceived p:
                return JoinOf(p.RepId) is null ? (OutcomeCode.NotFound, "rep_id") : null;
            case TargetSet { Scope: TargetScope.Rep } t:
                return JoinOf(t.ScopeId) is null ? (OutcomeCode.NotFound, "scope_id") : null;
            case TargetSet t:
                return Exists("region", t.ScopeId) ? null : (OutcomeCode.NotFound, "scope_id");
            case CustomerRegistered c:
                return Exists("customer", c.CustomerId) ? (OutcomeCode.FailedPrecondition, "customer_id") : null;
            default:
                var oppId = OpportunityOf(e);
                var opened = _accepted.Any(a => a is OpportunityOpened o && o.OpportunityId == oppId);
                if (e is OpportunityOpened)
                {
                    return opened ? (OutcomeCode.FailedPrecondition, "opportunity_id") : null;
                }

                return opened ? null : (OutcomeCode.NotFound, "opportunity_id");
        }
    }

    private RepJoined? JoinOf(string repId) => _accepted.OfType<RepJoined>().FirstOrDefault(j => j.RepId == repId);

    /// <summary>
    /// After every accepted event: recompute from scratch which historical items (won, lost, activity, payment)
    /// are credited to each rep now, and fold their dates into the running maximum.
    /// </summary>
    private void RecomputeCredited()
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

        foreach (var deal in ReplayDeals().Values)
        {
            if (deal.Stage >= _stages.OpenCount)
            {
                Bump(deal.Owner, deal.StageAt);
            }
        }
    }

    private void Bump(string repId, DateTimeOffset at)
    {
        if (!_everCredited.TryGetValue(repId, out var max) || at > max)
        {
            _everCredited[repId] = at;
        }
    }

    // ---- from-scratch recomputation -----------------------------------------------------------------------

    /// <summary>Each opportunity's accepted events sorted by (occurred_at, event id ordinal) and replayed.</summary>
    public Dictionary<string, RefDeal> ReplayDeals()
    {
        var deals = new Dictionary<string, RefDeal>(StringComparer.Ordinal);
        var byDeal = _accepted.Where(e => About(e).Kind == "opportunity").GroupBy(OpportunityOf, StringComparer.Ordinal);
        foreach (var group in byDeal)
        {
            var open = group.OfType<OpportunityOpened>().Single();
            var deal = new RefDeal { Id = group.Key, CustomerId = open.CustomerId, OpenedAt = open.OccurredAt };
            var ordered = group.ToList();
            ordered.Sort((a, b) =>
            {
                var c = a.OccurredAt.UtcTicks.CompareTo(b.OccurredAt.UtcTicks);
                return c != 0 ? c : string.CompareOrdinal(a.EventId, b.EventId);
            });
            foreach (var e in ordered)
            {
                switch (e)
                {
                    case OpportunityOpened o:
                        deal.Owner = o.OwnerRepId;
                        deal.Amount = o.Amount;
                        deal.ExpectedClose = o.ExpectedClose;
                        SetStage(deal, o.StageId, o.OccurredAt);
                        break;
                    case OpportunityStageChanged s:
                        SetStage(deal, s.StageId, s.OccurredAt);
                        if (s.ExpectedClose is { } close)
                        {
                            deal.ExpectedClose = close;
                        }

                        break;
                    case OpportunityAmountChanged a:
                        deal.Amount = a.Amount;
                        break;
                    case OpportunityReassigned r:
                        deal.Owner = r.NewOwnerRepId;
                        break;
                    case OpportunityWon w:
                        SetStage(deal, StageTable.WonId, w.OccurredAt);
                        if (w.Amount > 0)
                        {
                            deal.Amount = w.Amount;
                        }

                        break;
                    case OpportunityLost l:
                        SetStage(deal, StageTable.LostId, l.OccurredAt);
                        break;
                }
            }

            deals[deal.Id] = deal;
        }

        return deals;
    }

    private void SetStage(RefDeal deal, string stageId, DateTimeOffset at)
    {
        var index = -1;
        for (var i = 0; i < _stages.Stages.Count; i++)
        {
            if (_stages.Stages[i].Id == stageId)
            {
                index = i;
            }
        }

        deal.Stage = index;
        deal.StageAt = at;
        var level = stageId == StageTable.LostId ? -1 : index;
        deal.Level = Math.Max(deal.Level, level);
    }

    /// <summary>Local date in the company time zone (memoized: time zone conversion dominates the comparison time).</summary>
    private DateOnly LocalDate(DateTimeOffset at)
    {
        if (!_localDates.TryGetValue(at, out var date))
        {
            date = _calendar.LocalDate(at);
            _localDates[at] = date;
        }

        return date;
    }

    public bool IsOpen(int stage) => stage < _stages.OpenCount;

    public bool IsWon(int stage) => stage == _stages.OpenCount;

    /// <summary>Region parents: "company" → "", every accepted region → its (resolved) parent.</summary>
    public Dictionary<string, string> RegionParents()
    {
        var parents = new Dictionary<string, string>(StringComparer.Ordinal) { [Company] = "" };
        foreach (var r in _accepted.OfType<RegionDefined>())
        {
            parents[r.RegionId] = ResolveParent(r.ParentRegionId);
        }

        return parents;
    }

    public Dictionary<string, RefRep> Reps()
    {
        var reps = new Dictionary<string, RefRep>(StringComparer.Ordinal);
        foreach (var j in _accepted.OfType<RepJoined>())
        {
            var list = new List<(DateTimeOffset At, string EventId, string Region)> { (j.OccurredAt, j.EventId, j.RegionId) };
            var moves = _accepted.OfType<RepMoved>().Where(m => m.RepId == j.RepId)
                .Select(m => (m.OccurredAt, m.EventId, m.RegionId)).ToList();
            moves.Sort((a, b) =>
            {
                var c = a.OccurredAt.CompareTo(b.OccurredAt);
                return c != 0 ? c : string.CompareOrdinal(a.EventId, b.EventId);
            });
            list.AddRange(moves);
            reps[j.RepId] = new RefRep { Id = j.RepId, Memberships = list };
        }

        return reps;
    }

    /// <summary>Target in force per (scope, id, period, metric): the one with the greatest (occurred_at, event id).</summary>
    public Dictionary<(TargetScope Scope, string Id, Period Period, TargetMetric Metric), TargetSet> Targets()
    {
        var result = new Dictionary<(TargetScope, string, Period, TargetMetric), TargetSet>();
        foreach (var t in _accepted.OfType<TargetSet>())
        {
            var key = (t.Scope, t.ScopeId, t.Period, t.Metric);
            if (!result.TryGetValue(key, out var held) || Newer(t, held))
            {
                result[key] = t;
            }
        }

        return result;
    }

    private static bool Newer(SalesEvent a, SalesEvent b)
    {
        var c = a.OccurredAt.CompareTo(b.OccurredAt);
        return c > 0 || (c == 0 && string.CompareOrdinal(a.EventId, b.EventId) > 0);
    }

    public static IEnumerable<string> Chain(string region, Dictionary<string, string> parents)
    {
        for (var r = region; r.Length > 0; r = parents[r])
        {
            yield return r;
        }
    }

    private (Period, Period, Period) PeriodsOfDate(DateOnly d) =>
        (Period.OfMonth(d.Year, d.Month), Period.OfQuarter(d.Year, (d.Month + 2) / 3), Period.OfYear(d.Year));

    public static bool InPeriod(Period p, DateOnly d) => p.Kind switch
    {
        PeriodKind.Year => d.Year == p.Year,
        PeriodKind.Quarter => d.Year == p.Year && (d.Month + 2) / 3 == p.Number,
        PeriodKind.Month => d.Year == p.Year && d.Month == p.Number,
        _ => false,
    };

    public static long CycleSeconds(DateTimeOffset opened, DateTimeOffset won)
    {
        var ticks = won.UtcTicks - opened.UtcTicks;
        return ticks <= 0 ? 0 : ticks / TimeSpan.TicksPerSecond;
    }

    /// <summary>Every counter of every rep and every region, recomputed from the accepted events.</summary>
    public (Dictionary<string, Dictionary<FigureKey, long>> Reps, Dictionary<string, Dictionary<FigureKey, long>> Regions) Counters()
    {
        var parents = RegionParents();
        var reps = Reps();
        var deals = ReplayDeals();
        var repFigures = reps.Keys.ToDictionary(r => r, _ => new Dictionary<FigureKey, long>(), StringComparer.Ordinal);
        var regionFigures = parents.Keys.ToDictionary(r => r, _ => new Dictionary<FigureKey, long>(), StringComparer.Ordinal);

        void Add(string repId, string regionId, Figure figure, Period period, int a, int b, long value)
        {
            var key = new FigureKey(figure, period, (short)a, (short)b);
            repFigures[repId][key] = repFigures[repId].GetValueOrDefault(key) + value;
            foreach (var r in Chain(regionId, parents))
            {
                regionFigures[r][key] = regionFigures[r].GetValueOrDefault(key) + value;
            }
        }

        void Historical(string repId, DateTimeOffset at, Figure figure, int a, int b, long value)
        {
            var region = reps[repId].RegionAt(at);
            var (m, q, y) = PeriodsOfDate(LocalDate(at));
            Add(repId, region, figure, m, a, b, value);
            Add(repId, region, figure, q, a, b, value);
            Add(repId, region, figure, y, a, b, value);
        }

        foreach (var d in deals.Values)
        {
            var current = reps[d.Owner].CurrentRegion;
            if (IsOpen(d.Stage))
            {
                Add(d.Owner, current, Figure.PipelineCount, Period.None, d.Stage, 0, 1);
                Add(d.Owner, current, Figure.PipelineAmount, Period.None, d.Stage, 0, d.Amount);
                var (m, q, y) = PeriodsOfDate(d.ExpectedClose);
                Add(d.Owner, current, Figure.OpenByClose, m, d.Stage, 0, d.Amount);
                Add(d.Owner, current, Figure.OpenByClose, q, d.Stage, 0, d.Amount);
                Add(d.Owner, current, Figure.OpenByClose, y, d.Stage, 0, d.Amount);
            }
            else if (IsWon(d.Stage))
            {
                Historical(d.Owner, d.StageAt, Figure.Bookings, 0, 0, d.Amount);
                Historical(d.Owner, d.StageAt, Figure.WonCount, 0, 0, 1);
                Historical(d.Owner, d.StageAt, Figure.CycleSeconds, 0, 0, CycleSeconds(d.OpenedAt, d.StageAt));
            }
            else
            {
                Historical(d.Owner, d.StageAt, Figure.LostCount, 0, 0, 1);
                Historical(d.Owner, d.StageAt, Figure.LostAmount, 0, 0, d.Amount);
            }

            for (var level = 0; level <= d.Level; level++)
            {
                Add(d.Owner, current, Figure.Reached, Period.None, level, 0, 1);
            }
        }

        foreach (var e in _accepted)
        {
            switch (e)
            {
                case ActivityLogged a:
                    Historical(a.RepId, a.OccurredAt, Figure.ActivityCount, (int)a.Type, (int)a.TimeCategory, 1);
                    Historical(a.RepId, a.OccurredAt, Figure.ActivityMinutes, 0, (int)a.TimeCategory, a.DurationMinutes);
                    break;
                case PaymentReceived p:
                    Historical(p.RepId, p.OccurredAt, Figure.Collections, 0, 0, p.Amount);
                    break;
            }
        }

        static void DropZeros(Dictionary<string, Dictionary<FigureKey, long>> all)
        {
            foreach (var set in all.Values)
            {
                foreach (var k in set.Where(kv => kv.Value == 0).Select(kv => kv.Key).ToList())
                {
                    set.Remove(k);
                }
            }
        }

        DropZeros(repFigures);
        DropZeros(regionFigures);
        return (repFigures, regionFigures);
    }

    /// <summary>Every leaderboard: region → board → ordered (rank, rep, score) of the reps currently in the region or below.</summary>
    public Dictionary<string, Dictionary<BoardKey, List<(int Rank, string RepId, double Score)>>> Leaderboards(
        Dictionary<string, Dictionary<FigureKey, long>> repCounters)
    {
        var parents = RegionParents();
        var reps = Reps();
        var targets = Targets();
        var scores = new Dictionary<string, Dictionary<BoardKey, double>>(StringComparer.Ordinal);
        foreach (var (repId, counters) in repCounters)
        {
            var periods = counters.Keys
                .Where(k => k.Figure is Figure.Bookings or Figure.Collections or Figure.ActivityCount)
                .Select(k => k.Period)
                .Concat(targets.Keys.Where(t => t.Scope == TargetScope.Rep && t.Id == repId && t.Metric == TargetMetric.Bookings).Select(t => t.Period))
                .Distinct();
            var mine = new Dictionary<BoardKey, double>();
            foreach (var p in periods)
            {
                var bookings = counters.GetValueOrDefault(new FigureKey(Figure.Bookings, p, 0, 0));
                var collections = counters.GetValueOrDefault(new FigureKey(Figure.Collections, p, 0, 0));
                var activities = counters.Where(kv => kv.Key.Figure == Figure.ActivityCount && kv.Key.Period == p).Sum(kv => kv.Value);
                if (bookings != 0)
                {
                    mine[new BoardKey(p, LeaderboardMetric.Bookings)] = bookings;
                }

                if (collections != 0)
                {
                    mine[new BoardKey(p, LeaderboardMetric.Collections)] = collections;
                }

                if (activities != 0)
                {
                    mine[new BoardKey(p, LeaderboardMetric.Activities)] = activities;
                }

                if (targets.TryGetValue((TargetScope.Rep, repId, p, TargetMetric.Bookings), out var target))
                {
                    mine[new BoardKey(p, LeaderboardMetric.Attainment)] = Math.Round(bookings * 100.0 / target.MustAchieve, 4);
                }
            }

            scores[repId] = mine;
        }

        var result = new Dictionary<string, Dictionary<BoardKey, List<(int, string, double)>>>(StringComparer.Ordinal);
        foreach (var region in parents.Keys)
        {
            var members = reps.Values.Where(r => Chain(r.CurrentRegion, parents).Contains(region)).Select(r => r.Id).ToList();
            var boards = new Dictionary<BoardKey, List<(int, string, double)>>();
            foreach (var key in members.SelectMany(m => scores[m].Keys).Distinct())
            {
                var rows = members.Where(m => scores[m].ContainsKey(key)).Select(m => (Rep: m, Score: scores[m][key])).ToList();
                rows.Sort((a, b) =>
                {
                    var c = b.Score.CompareTo(a.Score);
                    return c != 0 ? c : string.CompareOrdinal(a.Rep, b.Rep);
                });
                boards[key] = rows.Select((r, i) => (i + 1, r.Rep, r.Score)).ToList();
            }

            result[region] = boards;
        }

        return result;
    }

    public Dictionary<string, RefCustomer> Customers()
    {
        var deals = ReplayDeals();
        var result = new Dictionary<string, RefCustomer>(StringComparer.Ordinal);
        foreach (var c in _accepted.OfType<CustomerRegistered>())
        {
            var orders = deals.Values.Where(d => d.CustomerId == c.CustomerId && IsWon(d.Stage)).ToList();
            var payments = _accepted.OfType<PaymentReceived>().Where(p => p.CustomerId == c.CustomerId).Sum(p => p.Amount);
            var contacts = _accepted.OfType<ActivityLogged>().Where(a => a.CustomerId == c.CustomerId).Select(a => a.OccurredAt).ToList();
            result[c.CustomerId] = new RefCustomer(
                orders.Count,
                orders.Sum(o => o.Amount),
                orders.Count == 0 ? null : orders.Max(o => o.StageAt),
                payments,
                contacts.Count == 0 ? null : contacts.Max());
        }

        return result;
    }

    /// <summary>
    /// The figures of a scope for a period straight from the deals and items: <paramref name="inScope"/> says whether
    /// an item credited to a rep in a region counts (open deals by the owner's current region, historical items by
    /// the region at their date).
    /// </summary>
    public DirectReport Direct(
        Func<string, string, bool> inScope,
        TargetScope scope,
        string scopeId,
        Period period,
        Dictionary<string, RefDeal> deals,
        Dictionary<string, RefRep> reps,
        Dictionary<(TargetScope Scope, string Id, Period Period, TargetMetric Metric), TargetSet> inForce)
    {
        var open = _stages.OpenCount;
        var stageCount = new long[open];
        var stageAmount = new long[open];
        var reached = new long[open + 1];
        decimal weighted = 0, forecastOpen = 0;
        long bookings = 0, won = 0, lost = 0, lostAmount = 0, cycle = 0, commit = 0, bestCase = 0, pipeline = 0;
        foreach (var d in deals.Values)
        {
            var current = reps[d.Owner].CurrentRegion;
            if (inScope(d.Owner, current))
            {
                for (var level = 0; level <= d.Level; level++)
                {
                    reached[level]++;
                }

                if (IsOpen(d.Stage))
                {
                    var stage = _stages.Stages[d.Stage];
                    stageCount[d.Stage]++;
                    stageAmount[d.Stage] += d.Amount;
                    weighted += d.Amount * stage.ProbabilityPercent / 100m;
                    if (InPeriod(period, d.ExpectedClose))
                    {
                        forecastOpen += d.Amount * stage.ProbabilityPercent / 100m;
                        switch (stage.Category)
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

            if (!IsOpen(d.Stage) && inScope(d.Owner, reps[d.Owner].RegionAt(d.StageAt)) && InPeriod(period, LocalDate(d.StageAt)))
            {
                if (IsWon(d.Stage))
                {
                    bookings += d.Amount;
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

        long collections = 0, activities = 0;
        var minutes = new long[5];
        foreach (var e in _accepted)
        {
            if (e is not (ActivityLogged or PaymentReceived) || !InPeriod(period, LocalDate(e.OccurredAt)))
            {
                continue;
            }

            if (e is ActivityLogged a && inScope(a.RepId, reps[a.RepId].RegionAt(a.OccurredAt)))
            {
                activities++;
                minutes[(int)a.TimeCategory] += a.DurationMinutes;
            }
            else if (e is PaymentReceived p && inScope(p.RepId, reps[p.RepId].RegionAt(p.OccurredAt)))
            {
                collections += p.Amount;
            }
        }

        var targets = new List<(TargetMetric, long, long, long)>();
        foreach (var metric in new[] { TargetMetric.Bookings, TargetMetric.Collections, TargetMetric.Activities })
        {
            if (inForce.TryGetValue((scope, scopeId, period, metric), out var t))
            {
                var actual = metric switch
                {
                    TargetMetric.Bookings => bookings,
                    TargetMetric.Collections => collections,
                    _ => activities,
                };
                targets.Add((metric, actual, t.MustAchieve, t.Stretch));
            }
        }

        return new DirectReport(
            stageCount.Sum(),
            stageAmount.Sum(),
            weighted,
            stageCount,
            stageAmount,
            reached,
            bookings,
            won,
            lost,
            lostAmount,
            collections,
            cycle,
            bookings + forecastOpen,
            bookings + commit,
            bookings + commit + bestCase,
            bookings + commit + bestCase + pipeline,
            activities,
            minutes,
            targets);
    }
}
