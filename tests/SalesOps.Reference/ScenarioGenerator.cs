using SalesOps.Domain;

namespace SalesOps.Reference;

/// <summary>One random company history and the order a flaky CRM delivers it in.</summary>
public sealed class Scenario
{
    public required int Seed { get; init; }
    public required StageTable Stages { get; init; }
    public required RefCalendar Calendar { get; init; }

    /// <summary>The de-dup window to configure the engine with (small for some seeds, so that ids are forgotten).</summary>
    public required RefDedup Dedup { get; init; }

    /// <summary>The forecast cut-off to configure the engine with, in days before a period's end.</summary>
    public required int ForecastCutoffDays { get; init; }

    /// <summary>How much history the planning funnel needs before a scope's own ratios replace the defaults.</summary>
    public required int PlanMinHistory { get; init; }

    /// <summary>The company time zone (an IANA id, or "UTC").</summary>
    public string CalendarName => Calendar.TimeZoneId;

    /// <summary>The first pass of delivery: reordered, with duplicates and invalid events mixed in.</summary>
    public required List<SalesEvent> Delivery { get; init; }

    /// <summary>Events made invalid on purpose, with the field the engine must name.</summary>
    public required Dictionary<SalesEvent, string> InvalidFields { get; init; }

    public required int HistoryCount { get; init; }
    /// <summary>Period codes around the history, for reports and boards.</summary>
    public required List<string> ReportPeriods { get; init; }
    public required DateTimeOffset Now { get; init; }

    /// <summary>The stall days and push limit to configure the engine with.</summary>
    public required RefRiskRules Risk { get; init; }

    /// <summary>
    /// Instants at which the at-risk list is compared: <see cref="Now"/> (inside the history), and days to months after
    /// its last event, so that deals have had time to stall and expected close dates have passed.
    /// </summary>
    public required List<DateTimeOffset> RiskInstants { get; init; }
}

/// <summary>
/// Generates a small company (nested regions, reps, customers, deals with every kind of change, activities,
/// payments, targets, moves) from a seed, then delivers it the way a real CRM would: roughly in time order but with
/// nearby swaps, some events held back, about 10% re-sent (sometimes much later) and a few invalid events.
/// </summary>
public sealed class ScenarioGenerator
{
    private const string IdChars = "aAbBkKxXzZ09_";

    /// <summary>A short stage table, so that stage positions and categories differ from the default's.</summary>
    public static readonly StageTable ThreeStages = new(
    [
        new Stage("prospect", "Prospect", 25, ForecastCategory.Pipeline),
        new Stage("proposal", "Proposal", 50, ForecastCategory.BestCase),
        new Stage("verbal", "Verbal yes", 75, ForecastCategory.Commit),
    ]);

    private static readonly string[] RepNames = ["ana", "Bob", "cai", "Dee", "eve", "Fay", "gus", "Hal"];

    private readonly Random _rng;
    private readonly List<SalesEvent> _history = [];
    private readonly Dictionary<SalesEvent, string> _invalid = new(ReferenceEqualityComparer.Instance);
    private int _next;
    private DateTimeOffset _start;
    private TimeSpan _span;

    private ScenarioGenerator(int seed) => _rng = new Random(seed);

    /// <summary>
    /// The scenario of <paramref name="seed"/>; <paramref name="timeZone"/>, <paramref name="stages"/> and
    /// <paramref name="dedup"/>, when given, replace the seed's choice (an engine configured once for many seeds),
    /// leaving the rest of the history the same.
    /// </summary>
    public static Scenario Create(
        int seed, string? timeZone = null, StageTable? stages = null, RefDedup? dedup = null, RefRiskRules? risk = null, int? forecastCutoffDays = null, int? planMinHistory = null) =>
        new ScenarioGenerator(seed).Build(
            seed,
            timeZone,
            stages,
            dedup ?? Dedup(seed),
            risk,
            forecastCutoffDays ?? ForecastCutoff(seed),
            planMinHistory ?? (seed % 3) switch { 0 => 1, 1 => 2, _ => 5 }); // 1 and 2: the small histories here reach own ratios

    /// <summary>
    /// Stall days from 2 to 40, half the time one open stage with its own (1 to 20), and a push limit of 0 to 2: drawn
    /// apart from the history, like the de-dup window, so the history is the same under any rules.
    /// </summary>
    private static RefRiskRules Risk(int seed, StageTable stages)
    {
        var rng = new Random(unchecked((seed * 173) + 29));
        var byStage = new Dictionary<string, int>(StringComparer.Ordinal);
        var stallDays = rng.Next(2, 41);
        if (rng.Next(2) == 0)
        {
            byStage[stages.Stages[rng.Next(stages.OpenCount)].Id] = rng.Next(1, 21);
        }

        return new RefRiskRules(stallDays, byStage, rng.Next(3));
    }

    /// <summary>The forecast cut-off of a seed: the default week mostly, sometimes none, a few days or a fortnight.</summary>
    private static int ForecastCutoff(int seed) => new Random(unchecked((seed * 191) + 53)).Next(6) switch
    {
        0 => 0,
        1 => 3,
        2 => 15,
        _ => 7,
    };

    /// <summary>
    /// One seed in four gets a window of a few days and a handful of ids, so that histories (95 to 170 days, a rep has
    /// dozens of events) forget ids, refuse late arrivals and re-sends beyond the horizon, and still take re-sends
    /// inside it; the others the documented default, which forgets only what is held back two months. Drawn apart
    /// from the history so that a seed's history is the same under either window.
    /// </summary>
    private static RefDedup Dedup(int seed)
    {
        var rng = new Random(unchecked((seed * 131) + 71));
        return rng.Next(4) == 0 ? new RefDedup(TimeSpan.FromDays(rng.Next(2, 21)), rng.Next(2, 11)) : RefDedup.Documented;
    }

    private Scenario Build(int seed, string? timeZone, StageTable? stageTable, RefDedup dedup, RefRiskRules? risk, int forecastCutoffDays, int planMinHistory)
    {
        var stages = _rng.Next(5) == 0 ? ThreeStages : StageTable.Default;
        stages = stageTable ?? stages;
        var calendar = new RefCalendar(timeZone ?? (seed % 3) switch
        {
            0 => "UTC",
            1 => "Asia/Shanghai",
            _ => "America/Los_Angeles",
        });

        // At least 95 days: always crosses a quarter boundary and at least two month boundaries.
        _start = new DateTimeOffset(2025, 10, 1, 0, 0, 0, TimeSpan.Zero).AddDays(_rng.Next(0, 200)).AddMinutes(_rng.Next(0, 1440));
        _span = TimeSpan.FromDays(_rng.Next(95, 170));

        var regions = new List<(string Id, string Parent, string Name, int Depth)>();
        var regionCount = _rng.Next(2, 6);
        for (var i = 0; i < regionCount; i++)
        {
            var candidates = regions.Where(r => r.Depth < 3).Select(r => (r.Id, r.Depth)).Prepend((ReferenceModel.Company, 0)).ToList();
            var (parent, depth) = candidates[_rng.Next(candidates.Count)];
            var id = $"reg{i}{Pick(IdChars)}";
            var name = $"Region {i}";
            var parentField = parent == ReferenceModel.Company ? (_rng.Next(3) == 0 ? ReferenceModel.Company : "") : parent;
            regions.Add((id, parent, name, depth + 1));
            Add(new RegionDefined(NextId(), At(-0.35 + _rng.NextDouble() * 0.15), id, name, parentField));
        }

        var regionIds = regions.Select(r => r.Id).ToList();
        var customers = new List<string>();
        var customerCount = _rng.Next(3, 7);
        for (var i = 0; i < customerCount; i++)
        {
            var id = $"cust{i}";
            customers.Add(id);
            Add(new CustomerRegistered(NextId(), At(-0.2 + _rng.NextDouble() * 0.1), id, $"Customer {i}", KeyAccount: _rng.Next(3) == 0));
        }

        var reps = new List<(string Id, DateTimeOffset JoinedAt, double JoinFrac)>();
        var names = RepNames.OrderBy(_ => _rng.Next()).ToList();
        var repCount = _rng.Next(3, 9);
        for (var i = 0; i < repCount; i++)
        {
            var id = $"{names[i]}{i}";
            var frac = _rng.Next(4) == 0 ? _rng.NextDouble() * 0.5 : -0.1 + _rng.NextDouble() * 0.1;
            var at = At(frac);
            var region = _rng.Next(7) == 0 ? ReferenceModel.Company : regionIds[_rng.Next(regionIds.Count)];
            reps.Add((id, at, frac));
            Add(new RepJoined(NextId(), at, id, $"Rep {id}", region, (RepRole)_rng.Next(2), (RepStyle)_rng.Next(2)));
        }

        foreach (var (id, joinedAt, joinFrac) in reps)
        {
            if (_rng.Next(5) >= 2)
            {
                continue;
            }

            var moves = _rng.Next(1, 3);
            for (var m = 0; m < moves; m++)
            {
                var region = _rng.Next(6) == 0 ? ReferenceModel.Company : regionIds[_rng.Next(regionIds.Count)];
                var at = _rng.Next(15) == 0
                    ? joinedAt.AddHours(-_rng.Next(0, 3)) // dated at or before the join: always rejected
                    : At(joinFrac + (1 - joinFrac) * _rng.NextDouble());
                Add(new RepMoved(NextId(), at, id, region));
            }
        }

        var repIds = reps.Select(r => r.Id).ToList();
        var openStages = Enumerable.Range(0, stages.OpenCount).Select(i => stages.Stages[i].Id).ToList();
        var opportunityCount = _rng.Next(5, 21);
        var opportunities = new List<OpportunityOpened>();
        for (var i = 0; i < opportunityCount; i++)
        {
            var owner = reps[_rng.Next(reps.Count)];
            var openedAt = At(AfterJoin(owner.JoinFrac, -0.1, 0.8));
            var open = new OpportunityOpened(
                NextId(),
                openedAt,
                $"opp{i}",
                owner.Id,
                customers[_rng.Next(customers.Count)],
                Amount(),
                "product-" + _rng.Next(3),
                "channel-" + _rng.Next(2),
                calendar.LocalDate(openedAt).AddDays(_rng.Next(5, 130)),
                openStages[_rng.Next((stages.OpenCount + 1) / 2)])
            {
                // A cost, mostly below the amount, sometimes above it (a deal sold at a loss), sometimes none.
                Cost = _rng.Next(3) == 0 ? null : Amount() * _rng.Next(0, 13) / 10,
            };
            opportunities.Add(open);
            Add(open);
            DealChanges(open, openStages, repIds, calendar);
        }

        AddTargets(repIds, regionIds, customers, calendar);
        AddPlanSplits(repIds, regions.Select(r => (r.Id, r.Parent)).ToList(), calendar);
        AddForecasts(repIds, regionIds, calendar, forecastCutoffDays);
        AddConflicts(regions, customers, reps.Select(r => (r.Id, r.JoinedAt)).ToList(), opportunities, regionIds);

        var total = _rng.Next(60, 201);
        while (_history.Count < total)
        {
            var (rep, _, joinFrac) = reps[_rng.Next(reps.Count)];
            if (_rng.Next(5) == 0)
            {
                Add(new PaymentReceived(NextId(), At(AfterJoin(joinFrac, 0, 1)), rep, customers[_rng.Next(customers.Count)], _rng.Next(1, 100) * 1_000L));
            }
            else
            {
                var minutes = _rng.Next(20) switch
                {
                    0 => 0,
                    1 => 1440,
                    _ => _rng.Next(5, 240),
                };
                var customer = _rng.Next(2) == 0 ? "" : customers[_rng.Next(customers.Count)];
                var activity = new ActivityLogged(NextId(), At(AfterJoin(joinFrac, -0.05, 1)), rep, customer, (ActivityType)_rng.Next(5), minutes, (TimeCategory)_rng.Next(5));

                // One in three against a deal (ADR 0023): often dated before it opens or after it closes, now and then a
                // deal that is never opened.
                Add(_rng.Next(3) != 0 ? activity : activity with
                {
                    OpportunityId = _rng.Next(10) == 0 ? "opp-never" : opportunities[_rng.Next(opportunities.Count)].OpportunityId,
                });
            }
        }

        // Moves at exactly the instant of one of the rep's items (rejected if the item is credited first; otherwise
        // the item counts in the new region), and items at exactly the instant of a move.
        var items = _history.Where(e => e is ActivityLogged or PaymentReceived).ToList();
        for (var i = _rng.Next(0, 3); i > 0 && items.Count > 0; i--)
        {
            var item = items[_rng.Next(items.Count)];
            var rep = item is ActivityLogged a ? a.RepId : ((PaymentReceived)item).RepId;
            Add(new RepMoved(NextId(), item.OccurredAt, rep, regionIds[_rng.Next(regionIds.Count)]));
        }

        foreach (var move in _history.OfType<RepMoved>().Where(_ => _rng.Next(3) == 0).ToList())
        {
            Add(new ActivityLogged(NextId(), move.OccurredAt, move.RepId, "", ActivityType.Meeting, 45, TimeCategory.T2));
        }

        AddLeaves(reps, opportunities, repIds);

        // Key-account changes (ADR 0022): dated among the customer's activities, some before its registration (which then
        // stays in force), some re-stating the flag it already has.
        for (var i = _rng.Next(0, 4); i > 0; i--)
        {
            Add(new CustomerKeyAccountChanged(NextId(), At(-0.25 + _rng.NextDouble() * 1.2), customers[_rng.Next(customers.Count)], _rng.Next(2) == 0));
        }

        var historyCount = _history.Count;
        var invalidCount = _rng.Next(1, 5);
        for (var i = 0; i < invalidCount; i++)
        {
            AddInvalid(repIds, customers, opportunities, openStages);
        }

        // In the order the draws were always made, so a seed's history is what it was before the at-risk instants.
        var delivery = Deliver();
        // One scenario in four is read a year later, so that its history is "last year" and the reports show it to date.
        var now = At(0.2 + _rng.NextDouble() * 0.6).AddYears(seed % 4 == 3 ? 1 : 0);
        var end = _start + _span;
        return new Scenario
        {
            Seed = seed,
            Stages = stages,
            Calendar = calendar,
            Dedup = dedup,
            ForecastCutoffDays = forecastCutoffDays,
            PlanMinHistory = planMinHistory,
            Delivery = delivery,
            InvalidFields = _invalid,
            HistoryCount = historyCount,
            // The same periods a year later too: they read this history as their same period last year.
            ReportPeriods = PeriodsAround(calendar).SelectMany(p => new[] { p, new Period(p.Code + 100) }).Concat(WeeksAround(calendar))
                .Distinct().Select(RefCalendar.CodeOf).ToList(),
            Now = now,
            Risk = risk ?? Risk(seed, stages),
            RiskInstants = [now, end.AddDays(1), end.AddDays(25), end.AddDays(90)],
        };
    }

    /// <summary>The changes a deal goes through: stage moves, amount changes, reassignments, wins, losses, reopens.</summary>
    private void DealChanges(OpportunityOpened open, List<string> openStages, List<string> repIds, RefCalendar calendar)
    {
        var t = open.OccurredAt;
        var steps = _rng.Next(0, 9);
        var lastWasWin = false;
        for (var s = 0; s < steps; s++)
        {
            t = _rng.Next(10) == 0 ? t : t.AddMinutes(_rng.Next(30, 60 * 24 * 15));
            var at = t;
            if (_rng.Next(10) == 0)
            {
                // A skewed clock: dated before earlier changes, sometimes before the opening.
                at = open.OccurredAt.AddMinutes(_rng.Next(-60 * 24 * 5, (int)Math.Max(1, (t - open.OccurredAt).TotalMinutes)));
            }

            if (_rng.Next(5) == 0)
            {
                at = at.AddMilliseconds(_rng.Next(1, 1000)); // fractional seconds: cycle time rounds down
            }

            var roll = lastWasWin && _rng.Next(3) == 0 ? 0 : _rng.Next(100);
            SalesEvent e = roll switch
            {
                < 35 => new OpportunityStageChanged(
                    NextId(),
                    at,
                    open.OpportunityId,
                    openStages[_rng.Next(openStages.Count)],
                    _rng.Next(5) < 2 ? calendar.LocalDate(at).AddDays(_rng.Next(-10, 90)) : null),
                < 50 => new OpportunityAmountChanged(NextId(), at, open.OpportunityId, Amount()) { Cost = _rng.Next(3) == 0 ? Amount() / 2 : null },
                < 62 => new OpportunityReassigned(NextId(), at, open.OpportunityId, repIds[_rng.Next(repIds.Count)]),
                < 88 => new OpportunityWon(NextId(), at, open.OpportunityId, _rng.Next(2) == 0 ? 0 : Amount()) { Cost = _rng.Next(4) == 0 ? Amount() / 3 : null },
                _ => new OpportunityLost(NextId(), at, open.OpportunityId, "price"),
            };
            lastWasWin = e is OpportunityWon;
            Add(e);
            if (_rng.Next(8) == 0)
            {
                // Another change of the same register at the same instant: the larger event id must win.
                Add(e switch
                {
                    OpportunityAmountChanged a => a with { EventId = NextId(), Amount = Amount() },
                    OpportunityReassigned r => r with { EventId = NextId(), NewOwnerRepId = repIds[_rng.Next(repIds.Count)] },
                    _ => new OpportunityStageChanged(NextId(), at, open.OpportunityId, openStages[_rng.Next(openStages.Count)], null),
                });
            }
        }
    }

    /// <summary>
    /// Reps leaving (docs/semantics.md, "A rep leaves"): about half the scenarios lose one or two reps. Around each
    /// leave: an activity the rep logged just before it (often delivered after it: accepted), one at or just after it
    /// (refused once the leave is in), their deals reassigned or won after the leave (a win is refused while they still
    /// own the deal) or won just before it, sometimes a second leave or one dated at the join (both refused). The rest
    /// of the history already names the rep at later dates too: those are refused when they arrive after the leave.
    /// </summary>
    private void AddLeaves(List<(string Id, DateTimeOffset JoinedAt, double JoinFrac)> reps, List<OpportunityOpened> opportunities, List<string> repIds)
    {
        if (_rng.Next(2) == 0)
        {
            return;
        }

        foreach (var (id, joinedAt, joinFrac) in reps.OrderBy(_ => _rng.Next()).Take(_rng.Next(1, 3)).ToList())
        {
            var from = Math.Max(joinFrac, 0);
            var at = _rng.Next(12) == 0 ? joinedAt : At(from + (1 - from) * (0.3 + 0.6 * _rng.NextDouble()));
            Add(new RepLeft(NextId(), at, id, _rng.Next(3) == 0 ? "" : "resigned"));
            Add(new ActivityLogged(NextId(), at.AddHours(-_rng.Next(1, 48)), id, "", ActivityType.Call, 15, TimeCategory.T1));
            Add(new ActivityLogged(NextId(), at.AddHours(_rng.Next(0, 48)), id, "", ActivityType.Visit, 30, TimeCategory.T2));
            foreach (var deal in opportunities.Where(o => o.OwnerRepId == id))
            {
                switch (_rng.Next(4))
                {
                    case 0:
                        Add(new OpportunityReassigned(NextId(), at.AddHours(_rng.Next(1, 240)), deal.OpportunityId, repIds[_rng.Next(repIds.Count)]));
                        break;
                    case 1:
                        Add(new OpportunityWon(NextId(), at.AddHours(_rng.Next(0, 240)), deal.OpportunityId, 0));
                        break;
                    case 2:
                        Add(new OpportunityWon(NextId(), at.AddHours(-_rng.Next(1, 24)), deal.OpportunityId, 0));
                        break;
                }
            }

            if (_rng.Next(4) == 0)
            {
                Add(new RepLeft(NextId(), at.AddDays(_rng.Next(-5, 5)), id, "again"));
            }
        }
    }

    private void AddTargets(List<string> repIds, List<string> regionIds, List<string> customers, RefCalendar calendar)
    {
        var periods = PeriodsAround(calendar);
        var scopes = repIds.Select(r => (TargetScope.Rep, r))
            .Concat(regionIds.Prepend(ReferenceModel.Company).Select(r => (TargetScope.Region, r)));
        foreach (var (scope, id) in scopes)
        {
            if (_rng.Next(2) == 0)
            {
                continue;
            }

            var count = _rng.Next(1, 4);
            for (var i = 0; i < count; i++)
            {
                var period = periods[_rng.Next(periods.Count)];
                var metric = (TargetMetric)_rng.Next(5);
                var dimension = TargetDimension.None;
                if (metric is TargetMetric.Bookings or TargetMetric.GrossMargin or TargetMetric.Collections && _rng.Next(3) == 0)
                {
                    // Targets by product line, channel or customer (docs/semantics.md, "Targets by dimension").
                    var kind = metric == TargetMetric.Collections ? DimensionKind.Customer : (DimensionKind)_rng.Next(1, 4);
                    dimension = TargetDimension.Of(kind, kind switch
                    {
                        DimensionKind.ProductLine => "product-" + _rng.Next(3),
                        DimensionKind.Channel => "channel-" + _rng.Next(2),
                        _ => customers[_rng.Next(customers.Count)],
                    });
                    period = kind == DimensionKind.Customer && period.Kind == PeriodKind.Month ? Period.OfQuarter(period.Year, (period.Number + 2) / 3) : period;
                }

                if (metric == TargetMetric.Activities)
                {
                    // Activity targets by week and by activity type (docs/semantics.md, "Targets by dimension").
                    period = _rng.Next(3) == 0 ? WeeksAround(calendar)[_rng.Next(3)] : period;
                    dimension = _rng.Next(3) == 0 ? TargetDimension.Of((ActivityType)_rng.Next(5)) : dimension;
                }

                var versions = _rng.Next(4) == 0 ? 2 : 1;
                for (var v = 0; v < versions; v++)
                {
                    var must = metric switch
                    {
                        TargetMetric.Activities => _rng.Next(1, 40),
                        TargetMetric.NewCustomers => _rng.Next(1, 5),
                        _ => _rng.Next(1, 60) * 10_000L,
                    };
                    var stretch = must + (_rng.Next(3) == 0 ? 0 : _rng.NextInt64(0, must + 1));
                    Add(new TargetSet(NextId(), At(-0.1 + _rng.NextDouble()), scope, id, period, metric, must, stretch) { Dimension = dimension });
                }
            }
        }
    }

    /// <summary>
    /// Plans split top-down (docs/semantics.md, "Top-down against bottom-up"): in most scenarios one or two (period,
    /// metric) pairs get a target at the company, at some regions, at some reps, and at some quarters and months of the
    /// scope's year, so sums of child regions', reps', quarters' and months' targets meet the target above them, some
    /// short of it, some beyond it; levels run up to 10^15 so that the sums' high parts are exercised; a level is
    /// sometimes set twice (last-writer-wins).
    /// </summary>
    private void AddPlanSplits(List<string> repIds, List<(string Id, string Parent)> regions, RefCalendar calendar)
    {
        for (var split = _rng.Next(3); split > 0; split--)
        {
            var day = calendar.LocalDate(At(_rng.NextDouble()));
            var (month, quarter, year) = Period.Containing(day);
            var period = _rng.Next(3) switch
            {
                0 => year,
                1 => quarter,
                _ => month,
            };
            var metric = _rng.Next(3) == 0 ? (TargetMetric)_rng.Next(4) : TargetMetric.Bookings;
            var scale = _rng.Next(4) switch
            {
                0 => 1L,
                1 => 1_000_000L,
                2 => 1_000_000_000L,
                _ => 1_000_000_000_000L,
            };

            void Set(TargetScope scope, string id, Period p, int share)
            {
                for (var v = _rng.Next(5) == 0 ? 2 : 1; v > 0; v--)
                {
                    var must = Math.Min(1_000_000_000_000_000, Math.Max(1, share * scale * _rng.Next(80, 121) / 100));
                    var stretch = Math.Min(1_000_000_000_000_000, must + (_rng.Next(3) == 0 ? 0 : must / _rng.Next(2, 10)));
                    Add(new TargetSet(NextId(), At(-0.1 + _rng.NextDouble()), scope, id, p, metric, must, stretch));
                }
            }

            var scopes = new List<(TargetScope, string)> { (TargetScope.Region, ReferenceModel.Company) };
            scopes.AddRange(regions.Where(_ => _rng.Next(3) > 0).Select(r => (TargetScope.Region, r.Id)));
            scopes.AddRange(repIds.Where(_ => _rng.Next(3) > 0).Select(r => (TargetScope.Rep, r)));
            foreach (var (scope, id) in scopes)
            {
                Set(scope, id, period, scope == TargetScope.Rep ? 100 : id == ReferenceModel.Company ? 1_000 : 400);
                if (_rng.Next(3) == 0)
                {
                    Inputs(scope, id, Period.OfYear(period.Year + _rng.Next(2)), metric, scale);
                }

                if (period.Kind != PeriodKind.Month && _rng.Next(3) == 0)
                {
                    var parts = (period.Kind == PeriodKind.Year && _rng.Next(2) == 0
                        ? Enumerable.Range(1, 4).Select(q => Period.OfQuarter(period.Year, q))
                        : period.Months).ToList();
                    foreach (var part in parts.Where(_ => _rng.Next(4) > 0))
                    {
                        Set(scope, id, part, (scope == TargetScope.Rep ? 100 : id == ReferenceModel.Company ? 1_000 : 400) / parts.Count);
                    }
                }
            }
        }
    }

    /// <summary>
    /// The reference variables of a year's target (docs/semantics.md, "Suggested target"), once or twice (last-writer-wins):
    /// last year's actual recorded or left to the engine's figure, growth from −100% to +1,000%, a long-term plan
    /// sometimes above and sometimes below the grown figure, levels up to 10^15.
    /// </summary>
    private void Inputs(TargetScope scope, string id, Period year, TargetMetric metric, long scale)
    {
        for (var v = _rng.Next(4) == 0 ? 2 : 1; v > 0; v--)
        {
            long Level() => Math.Min(1_000_000_000_000_000, scale * _rng.Next(0, 1_000));
            var growth = _rng.Next(6) switch
            {
                0 => -10_000,
                1 => 100_000,
                _ => _rng.Next(-2_000, 3_000),
            };
            Add(new PlanningInputsRecorded(
                NextId(), At(-0.1 + _rng.NextDouble()), scope, id, year, metric, _rng.Next(3) == 0 ? null : Level(), _rng.Next(2) == 0 ? 0 : Level(), growth,
                _rng.Next(2) == 0 ? 0 : Level()));
        }
    }

    /// <summary>
    /// Forecast submissions (docs/semantics.md, "Forecast submissions and accuracy"): about half the reps, regions and
    /// the company submit for one to three periods that mostly end inside the history, one to four times each, some
    /// dated just before the cut-off, some after it (kept, not counted), some after the period's end; delivery then
    /// reorders them like every other event. A commit is sometimes 0, and sometimes equals the best case.
    /// </summary>
    private void AddForecasts(List<string> repIds, List<string> regionIds, RefCalendar calendar, int cutoffDays)
    {
        var scopes = repIds.Select(r => (TargetScope.Rep, r))
            .Concat(regionIds.Prepend(ReferenceModel.Company).Select(r => (TargetScope.Region, r)));
        foreach (var (scope, id) in scopes)
        {
            if (_rng.Next(2) == 0)
            {
                continue;
            }

            for (var i = _rng.Next(1, 4); i > 0; i--)
            {
                var day = calendar.LocalDate(At(_rng.NextDouble() * 0.9));
                var (month, quarter, year) = Period.Containing(day);
                var period = _rng.Next(6) switch
                {
                    0 => year,
                    1 or 2 => quarter,
                    _ => month,
                };
                var end = calendar.StartOf(period.EndDay);
                var cutoff = calendar.StartOf(period.EndDay.AddDays(-cutoffDays));
                for (var n = _rng.Next(1, 5); n > 0; n--)
                {
                    var at = _rng.Next(5) switch
                    {
                        0 => cutoff.AddSeconds(-_rng.Next(1, 3600 * 12)),  // just before the cut-off: counts
                        1 => cutoff.AddSeconds(_rng.Next(0, 3600 * 24 * 2)), // at or just after it: kept, not counted
                        2 => end.AddHours(_rng.Next(1, 72)),                 // after the period's end
                        _ => calendar.StartOf(period.FirstDay).AddHours(_rng.Next(-24 * 10, 24 * 20)),
                    };
                    var commit = _rng.Next(6) == 0 ? 0 : Amount() * _rng.Next(1, 8);
                    var best = _rng.Next(4) == 0 ? commit : commit + Amount();
                    Add(new ForecastSubmitted(NextId(), at, scope, id, period, commit, best, _rng.Next(2) == 0 ? "" : "manager", _rng.Next(3) == 0 ? "" : "call"));
                }
            }
        }
    }

    /// <summary>Events that collide with others: re-definitions under another id, second joins and openings.</summary>
    private void AddConflicts(
        List<(string Id, string Parent, string Name, int Depth)> regions,
        List<string> customers,
        List<(string Id, DateTimeOffset JoinedAt)> reps,
        List<OpportunityOpened> opportunities,
        List<string> regionIds)
    {
        if (_rng.Next(4) == 0)
        {
            var r = regions[_rng.Next(regions.Count)];
            var parent = r.Parent == ReferenceModel.Company ? (_rng.Next(2) == 0 ? "" : ReferenceModel.Company) : r.Parent;
            var name = _rng.Next(2) == 0 ? r.Name : r.Name + " (renamed)";
            Add(new RegionDefined(NextId(), At(_rng.NextDouble()), r.Id, name, parent));
        }

        if (_rng.Next(5) == 0)
        {
            var (id, joinedAt) = reps[_rng.Next(reps.Count)];
            Add(new RepJoined(NextId(), joinedAt.AddDays(_rng.Next(-3, 30)), id, "again", regionIds[_rng.Next(regionIds.Count)], RepRole.Channel, RepStyle.Farmer));
        }

        if (_rng.Next(5) == 0)
        {
            Add(new CustomerRegistered(NextId(), At(_rng.NextDouble()), customers[_rng.Next(customers.Count)], "Again"));
        }

        if (_rng.Next(4) == 0)
        {
            var o = opportunities[_rng.Next(opportunities.Count)];
            Add(o with { EventId = NextId(), OccurredAt = o.OccurredAt.AddHours(_rng.Next(-48, 48)), Amount = Amount() });
        }
    }

    private void AddInvalid(List<string> repIds, List<string> customers, List<OpportunityOpened> opportunities, List<string> openStages)
    {
        var at = At(_rng.NextDouble());
        var rep = repIds[_rng.Next(repIds.Count)];
        var customer = customers[_rng.Next(customers.Count)];
        var opp = opportunities[_rng.Next(opportunities.Count)];
        var period = Period.OfMonth(at.Year, at.Month);
        var year = Period.OfYear(period.Year);
        (SalesEvent Event, string Field) bad = _rng.Next(31) switch
        {
            30 => (new ActivityLogged(NextId(), at, rep, customer, ActivityType.Visit, 30, TimeCategory.T1) { OpportunityId = new string('o', 129) }, "opportunity_id"),
            29 => (new CustomerKeyAccountChanged(NextId(), at, _rng.Next(2) == 0 ? "" : new string('c', 129), true), "customer_id"),
            20 => (new PlanningInputsRecorded(NextId(), at, TargetScope.Rep, rep, period.Kind == PeriodKind.Year ? Period.OfMonth(period.Year, 1) : period, TargetMetric.Bookings, null, 0, 0, 0), "year"),
            21 => (new PlanningInputsRecorded(NextId(), at, TargetScope.Region, ReferenceModel.Company, year, TargetMetric.Bookings, 10, 0, -10_001, 0), "industry_growth_bp"),
            22 => (new PlanningInputsRecorded(NextId(), at, TargetScope.Rep, rep, year, TargetMetric.Collections, -1, 0, 100, 0), "last_year_actual"),
            23 => (new PlanningInputsRecorded(NextId(), at, TargetScope.Rep, rep, year, (TargetMetric)9, null, 0, 100, 0), "metric"),
            24 => (opp with { EventId = NextId(), OpportunityId = opp.OpportunityId + "-c", Cost = -1 }, "cost"),
            25 => (new TargetSet(NextId(), at, TargetScope.Rep, rep, period, TargetMetric.Collections, 5, 10) { Dimension = TargetDimension.Of(DimensionKind.ProductLine, "product-1") }, "dimension.kind"),
            26 => (new TargetSet(NextId(), at, TargetScope.Rep, rep, period, TargetMetric.Bookings, 5, 10) { Dimension = TargetDimension.Of(DimensionKind.Customer, customer) }, "period"),
            27 => (opp with { EventId = NextId(), OpportunityId = opp.OpportunityId + "-p", ProductLine = new string('p', 129) }, "product_line"),
            28 => (new TargetSet(NextId(), at, TargetScope.Region, ReferenceModel.Company, period, TargetMetric.GrossMargin, 5, 10) { Dimension = TargetDimension.Of(DimensionKind.Channel, " ") }, "dimension.value"),
            17 => (new ForecastSubmitted(NextId(), at, TargetScope.Rep, rep, period, 20_000, 10_000, "", ""), "best_case"),
            18 => (new ForecastSubmitted(NextId(), at, TargetScope.Region, ReferenceModel.Company, period, -1, 10_000, "", ""), "commit"),
            19 => (new ForecastSubmitted(NextId(), at, TargetScope.Rep, rep, period, 0, 0, "", new string('n', 1025)), "note"),
            14 => (new ActivityLogged(NextId(), at.AddYears(7_000), rep, customer, ActivityType.Call, 30, TimeCategory.T1), "occurred_at"),
            15 => (new PaymentReceived(NextId(), at, rep, customer, 1_000_000_000_000_001), "amount"),
            16 => (new TargetSet(NextId(), at, TargetScope.Rep, rep, period, TargetMetric.Bookings, 1_000_000_000_000_000, long.MaxValue), "stretch"),
            0 => (new OpportunityAmountChanged(NextId(), at, opp.OpportunityId, -_rng.Next(1, 1000)), "amount"),
            1 => (opp with { EventId = NextId(), OpportunityId = opp.OpportunityId + "-x", Amount = 0 }, "amount"),
            2 => (new OpportunityWon(NextId(), at, opp.OpportunityId, -5), "amount"),
            3 => (new PaymentReceived(NextId(), at, rep, customer, 0), "amount"),
            4 => (new OpportunityStageChanged(NextId(), at, opp.OpportunityId, ReferenceModel.Won, null), "stage_id"),
            5 => (new OpportunityStageChanged(NextId(), at, opp.OpportunityId, "no_such_stage", null), "stage_id"),
            6 => (new ActivityLogged(NextId(), at, rep, "", ActivityType.Call, _rng.Next(2) == 0 ? -1 : 1441, TimeCategory.T1), "duration_minutes"),
            7 => (new TargetSet(NextId(), at, TargetScope.Rep, rep, period, TargetMetric.Bookings, 10_000, 9_999), "stretch"),
            8 => (new TargetSet(NextId(), at, TargetScope.Region, ReferenceModel.Company, period, TargetMetric.Collections, 0, 10), "must_achieve"),
            9 => _rng.Next(3) switch
            {
                0 => (new TargetSet(NextId(), at, TargetScope.Rep, rep, Period.None, TargetMetric.Activities, 5, 10), "period"),
                1 => (new TargetSet(NextId(), at, TargetScope.Rep, rep, Period.WeekOf(DateOnly.FromDateTime(at.UtcDateTime)), TargetMetric.Bookings, 5, 10), "period"),
                _ => (new TargetSet(NextId(), at, TargetScope.Rep, rep, period, TargetMetric.Bookings, 5, 10) { Dimension = TargetDimension.Of(ActivityType.Visit) }, "dimension.kind"),
            },
            10 => (new ActivityLogged(_rng.Next(2) == 0 ? "" : new string('e', 129), at, rep, customer, ActivityType.Demo, 30, TimeCategory.T2), "event_id"),
            11 => (new PaymentReceived(NextId(), default, rep, customer, 1_000), "occurred_at"),
            12 => (new ActivityLogged(NextId(), at, rep, customer, (ActivityType)9, 30, TimeCategory.T3), "type"),
            _ => (new OpportunityStageChanged(NextId(), at, opp.OpportunityId, openStages[0], null) with { OpportunityId = "" }, "opportunity_id"),
        };
        _invalid[bad.Event] = bad.Field;
    }

    /// <summary>
    /// Delivery order: time order with invalid events mixed in, then nearby swaps, some events held back (a few to
    /// the very end), and about 10% re-sent with the same id and payload, sometimes much later.
    /// </summary>
    private List<SalesEvent> Deliver()
    {
        var ordered = _history.Select((e, i) => (e, i)).OrderBy(x => x.e.OccurredAt).ThenBy(x => x.i).Select(x => x.e).ToList();
        foreach (var bad in _invalid.Keys)
        {
            ordered.Insert(_rng.Next(ordered.Count + 1), bad);
        }

        var swaps = ordered.Count / 3;
        for (var s = 0; s < swaps; s++)
        {
            var i = _rng.Next(ordered.Count - 1);
            var j = Math.Min(ordered.Count - 1, i + _rng.Next(1, 6));
            (ordered[i], ordered[j]) = (ordered[j], ordered[i]);
        }

        var holds = ordered.Count / 12;
        for (var h = 0; h < holds; h++)
        {
            var i = _rng.Next(ordered.Count);
            var e = ordered[i];
            ordered.RemoveAt(i);
            var j = _rng.Next(3) == 0 ? _rng.Next(i, ordered.Count + 1) : Math.Min(ordered.Count, i + _rng.Next(1, 30));
            ordered.Insert(j, e);
        }

        var keyed = ordered.Select((e, i) => (Key: (double)i, Event: e)).ToList();
        foreach (var (i, e) in ordered.Select((e, i) => (i, e)))
        {
            if (_rng.Next(10) != 0)
            {
                continue;
            }

            var later = _rng.Next(10) < 7 ? i + _rng.Next(1, 20) : _rng.Next(i, ordered.Count + 5);
            keyed.Add((later + 0.5, e));
        }

        return keyed.OrderBy(k => k.Key).Select(k => k.Event).ToList();
    }

    /// <summary>Three ISO weeks inside the scenario's span: the periods of its week targets.</summary>
    private List<Period> WeeksAround(RefCalendar calendar) =>
        [.. new[] { 0.2, 0.5, 0.8 }.Select(f => Period.WeekOf(calendar.LocalDate(_start + _span * f)))];

    private List<Period> PeriodsAround(RefCalendar calendar)
    {
        var periods = new List<Period>();
        var first = calendar.LocalDate(_start).AddDays(-40);
        var last = calendar.LocalDate(_start + _span).AddDays(130);
        for (var d = new DateOnly(first.Year, first.Month, 1); d <= last; d = d.AddMonths(1))
        {
            periods.Add(Period.OfMonth(d.Year, d.Month));
            periods.Add(Period.OfQuarter(d.Year, (d.Month + 2) / 3));
            periods.Add(Period.OfYear(d.Year));
        }

        return periods.Distinct().ToList();
    }

    /// <summary>A fraction in [from, to], mostly after the rep joined; one in ten anywhere (history dated before the join).</summary>
    private double AfterJoin(double joinFraction, double from, double to)
    {
        var lowest = _rng.Next(10) == 0 ? from : Math.Clamp(joinFraction, from, to);
        return lowest + (to - lowest) * _rng.NextDouble();
    }

    private void Add(SalesEvent e) => _history.Add(e);

    private string NextId() => _rng.Next(200) == 0
        ? new string('m', 124) + (_next++).ToString("D4", System.Globalization.CultureInfo.InvariantCulture) // exactly 128 characters
        : $"{Pick(IdChars)}{Pick(IdChars)}-{_next++}";

    private char Pick(string chars) => chars[_rng.Next(chars.Length)];

    private long Amount() => _rng.Next(1, 300) * 500L;

    /// <summary>An instant at a fraction of the span: whole seconds, often whole hours (to produce ties), sometimes with milliseconds.</summary>
    private DateTimeOffset At(double fraction)
    {
        var at = _start.AddSeconds(Math.Round(_span.TotalSeconds * fraction));
        return _rng.Next(10) switch
        {
            < 3 => new DateTimeOffset(at.Year, at.Month, at.Day, at.Hour, 0, 0, TimeSpan.Zero),
            3 => at.AddMilliseconds(_rng.Next(1, 1000)),
            _ => at,
        };
    }
}
