using SalesOps.Domain;

namespace SalesOps.Reference;

/// <summary>One term of a pipeline waterfall, by the movement's name in docs/semantics.md.</summary>
public readonly record struct RefTerm(string Move, long Amount, long Count);

/// <summary>A scope's pipeline of a period at the end of two local days, and the movements between.</summary>
public sealed record RefWaterfall(long StartAmount, long StartCount, IReadOnlyList<RefTerm> Terms, long EndAmount, long EndCount)
{
    public override string ToString() => $"start {StartAmount}/{StartCount} [{string.Join(", ", Terms.Where(t => t.Amount != 0 || t.Count != 0))}] end {EndAmount}/{EndCount}";
}

/// <summary>One month of the trend: opened, bookings, won, headcount at the month's end, bookings per rep.</summary>
public readonly record struct RefTrendMonth(string Month, long Opened, long Bookings, long Won, long Headcount, long? BookingsPerRep);

/// <summary>What the pipeline-over-time query answers for a scope, a period and two days.</summary>
public sealed record RefPipelineView(RefWaterfall Waterfall, IReadOnlyList<RefTrendMonth> Trend)
{
    public bool SameAs(RefPipelineView other) =>
        Waterfall.StartAmount == other.Waterfall.StartAmount && Waterfall.StartCount == other.Waterfall.StartCount
        && Waterfall.EndAmount == other.Waterfall.EndAmount && Waterfall.EndCount == other.Waterfall.EndCount
        && Waterfall.Terms.SequenceEqual(other.Waterfall.Terms) && Trend.SequenceEqual(other.Trend);
}

/// <summary>
/// Pipeline over time, recomputed from the accepted events as docs/semantics.md states it: a deal's state at an instant
/// is that of its events dated at or before it (last-writer-wins per register), and every instant at which one of its
/// events is dated is a movement, classified by comparing the state after all events of that instant with the state
/// before any of them.
/// </summary>
public sealed partial class ReferenceModel
{
    /// <summary>The movements in their documented order (the engine's counters name them by this position).</summary>
    public static readonly string[] Moves =
        ["created", "reopened", "reassigned in", "pulled in", "pushed in", "increased", "decreased", "pushed out", "pulled out", "reassigned out", "won", "lost"];

    private static readonly HashSet<string> Entries = ["created", "reopened", "reassigned in", "pulled in", "pushed in"];
    private static readonly HashSet<string> Exits = ["pushed out", "pulled out", "reassigned out", "won", "lost"];

    private sealed record DealAt(bool Exists, string Stage, long Amount, string Owner, DateOnly Close);

    /// <summary>One movement: whose, of which period's pipeline, which kind, when (instant and local day), how much.</summary>
    public sealed record RefMove(string Rep, string Period, string Move, DateTimeOffset At, DateOnly Day, long Amount);

    /// <summary>A deal's state from those of its events dated at or before <paramref name="upTo"/> (by <paramref name="included"/>).</summary>
    private static DealAt StateOf(List<SalesEvent> ordered, Func<SalesEvent, bool> included)
    {
        var exists = false;
        string stage = "", owner = "";
        long amount = 0;
        DateOnly close = default;
        foreach (var e in ordered.Where(included))
        {
            switch (e)
            {
                case OpportunityOpened o:
                    (exists, stage, owner, amount, close) = (true, o.StageId, o.OwnerRepId, o.Amount, o.ExpectedClose);
                    break;
                case OpportunityStageChanged s:
                    stage = s.StageId;
                    close = s.ExpectedClose ?? close;
                    break;
                case OpportunityAmountChanged a:
                    amount = a.Amount;
                    break;
                case OpportunityReassigned r:
                    owner = r.NewOwnerRepId;
                    break;
                case OpportunityWon w:
                    stage = Won;
                    amount = w.Amount > 0 ? w.Amount : amount;
                    break;
                case OpportunityLost:
                    stage = Lost;
                    break;
            }
        }

        return new DealAt(exists, stage, amount, owner, close);
    }

    private List<(string Deal, List<SalesEvent> Events)> DealEvents() =>
        _accepted.Where(e => About(e).Kind == "opportunity").GroupBy(DealOf, StringComparer.Ordinal)
            .Select(g =>
            {
                var list = g.ToList();
                list.Sort(Stamp);
                return (g.Key, list);
            })
            .ToList();

    /// <summary>Every pipeline movement of every deal, for the month, quarter and year pipelines.</summary>
    public List<RefMove> PipelineMoves()
    {
        var moves = new List<RefMove>();
        foreach (var (_, events) in DealEvents())
        {
            foreach (var at in events.Select(e => e.OccurredAt).Distinct().OrderBy(a => a.UtcTicks))
            {
                var before = StateOf(events, e => e.OccurredAt < at);
                var after = StateOf(events, e => e.OccurredAt <= at);
                var wasIn = before.Exists && IsOpen(before.Stage);
                var isIn = after.Exists && IsOpen(after.Stage);
                for (var kind = 0; kind < 3; kind++)
                {
                    string Of(DateOnly d) => RefCalendar.PeriodsOf(d)[kind];
                    var from = Of(before.Close);
                    var to = Of(after.Close);
                    if (wasIn && isIn && before.Owner == after.Owner && from == to)
                    {
                        if (after.Amount != before.Amount)
                        {
                            moves.Add(new RefMove(after.Owner, to, after.Amount > before.Amount ? "increased" : "decreased", at, _calendar.LocalDate(at), Math.Abs(after.Amount - before.Amount)));
                        }

                        continue;
                    }

                    // Period codes of one kind sort in time order as text (yyyy, yyyy-Qn, yyyy-MM).
                    var later = string.CompareOrdinal(to, from) > 0;
                    if (wasIn)
                    {
                        var why = after.Stage == Won ? "won" : after.Stage == Lost ? "lost" : before.Owner != after.Owner ? "reassigned out" : later ? "pushed out" : "pulled out";
                        moves.Add(new RefMove(before.Owner, from, why, at, _calendar.LocalDate(at), before.Amount));
                    }

                    if (isIn)
                    {
                        var why = !before.Exists ? "created" : !IsOpen(before.Stage) ? "reopened" : before.Owner != after.Owner ? "reassigned in" : later ? "pushed in" : "pulled in";
                        moves.Add(new RefMove(after.Owner, to, why, at, _calendar.LocalDate(at), after.Amount));
                    }
                }
            }
        }

        return moves;
    }

    /// <summary>Days before a pipeline's period and after it whose movements are kept per day (docs/semantics.md).</summary>
    public const int PipelineDailyDays = 31;

    /// <summary>
    /// The day a movement is counted on: itself within <see cref="PipelineDailyDays"/> of the period; later, its month's
    /// last day; earlier, its month's last day but never past the day before that window.
    /// </summary>
    public static DateOnly CountedDay(string period, DateOnly day)
    {
        var (first, end) = RefCalendar.Days(period);
        var windowStart = first.AddDays(-PipelineDailyDays);
        if (day >= windowStart && day < end.AddDays(PipelineDailyDays))
        {
            return day;
        }

        var lastOfMonth = new DateOnly(day.Year, day.Month, 1).AddMonths(1).AddDays(-1);
        return day < windowStart ? (lastOfMonth < windowStart ? lastOfMonth : windowStart.AddDays(-1)) : lastOfMonth;
    }

    /// <summary>A reader of waterfalls and trends over the events accepted so far (it computes what they share once).</summary>
    public PipelineReader Pipelines() => new(this);

    /// <summary>
    /// Waterfalls of rep's or region's pipelines and their trends, over one set of accepted events: the deals' events,
    /// movements and states at the end of each day asked for are computed once and shared by every scope.
    /// </summary>
    public sealed class PipelineReader
    {
        private readonly ReferenceModel _model;
        private readonly List<(string Deal, List<SalesEvent> Events)> _deals;
        private readonly List<RefMove> _moves;
        private readonly Dictionary<DateOnly, List<DealAt>> _states = [];
        private readonly Dictionary<string, RefRep> _reps;
        private readonly Dictionary<string, string> _parents;
        private readonly Dictionary<string, RefDeal> _current;

        internal PipelineReader(ReferenceModel model)
        {
            _model = model;
            _deals = model.DealEvents();
            _moves = model.PipelineMoves();
            _reps = model.Reps();
            _parents = model.RegionParents();
            _current = model.Deals();
        }

        /// <summary>
        /// The deals' events span: a month, quarter and year in its middle, and for each four pairs of days a waterfall
        /// may be asked for (docs/semantics.md: days within 31 days of the period, or months' last days, or the day
        /// before that window): inside the period, across its end, from far before it, to far after it.
        /// </summary>
        public List<(string Period, DateOnly From, DateOnly To)> Windows()
        {
            var days = _deals.SelectMany(d => d.Events).Select(e => _model._calendar.LocalDate(e.OccurredAt)).ToList();
            if (days.Count == 0)
            {
                return [];
            }

            var middle = DateOnly.FromDayNumber((days.Min().DayNumber + days.Max().DayNumber) / 2);
            var windows = new List<(string, DateOnly, DateOnly)>();
            foreach (var period in RefCalendar.PeriodsOf(middle))
            {
                var (first, end) = RefCalendar.Days(period);
                var farBefore = first.AddDays(-100);
                var farAfter = end.AddDays(100);
                windows.Add((period, first.AddDays(-1), first.AddDays(14)));
                windows.Add((period, first.AddDays(14), end.AddDays(PipelineDailyDays - 1)));
                windows.Add((period, new DateOnly(farBefore.Year, farBefore.Month, 1).AddMonths(1).AddDays(-1), first.AddDays(-PipelineDailyDays - 1)));
                windows.Add((period, first.AddDays(-PipelineDailyDays - 1), new DateOnly(farAfter.Year, farAfter.Month, 1).AddMonths(1).AddDays(-1)));
            }

            return windows;
        }

        /// <summary>
        /// The waterfall of a rep's or region's pipeline for <paramref name="period"/> from the end of <paramref name="from"/>
        /// to the end of <paramref name="to"/>, and the trend of the twelve months ending with the month of <paramref name="to"/>
        /// (<paramref name="counters"/>: the scope's counters, for the months' bookings and wins). Start and end are the
        /// pipeline as the deals stood then, not sums of movements, so the balance is checked too.
        /// </summary>
        public RefPipelineView View(bool isRep, string id, string period, DateOnly from, DateOnly to, Dictionary<CounterKey, long> counters)
        {
            var reps = isRep ? [id] : _reps.Values.Where(r => Chain(r.CurrentRegion, _parents).Contains(id)).Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
            var start = PipelineAt(from, reps, period);
            var end = PipelineAt(to, reps, period);
            var terms = Moves.Select(m =>
            {
                var of = _moves.Where(x => x.Move == m && x.Period == period && reps.Contains(x.Rep) && x.Day > from && x.Day <= to).ToList();
                return new RefTerm(m, of.Sum(x => x.Amount), of.Count);
            }).ToList();
            var waterfall = new RefWaterfall(start.Amount, start.Count, terms, end.Amount, end.Count);
            return new RefPipelineView(waterfall, Trend(reps, isRep, id, to, counters));
        }

        private (long Amount, long Count) PipelineAt(DateOnly day, HashSet<string> reps, string period)
        {
            if (!_states.TryGetValue(day, out var states))
            {
                states = _deals.Select(d => StateOf(d.Events, e => _model._calendar.LocalDate(e.OccurredAt) <= day)).ToList();
                _states[day] = states;
            }

            long amount = 0, count = 0;
            foreach (var d in states)
            {
                if (d.Exists && _model.IsOpen(d.Stage) && reps.Contains(d.Owner) && RefCalendar.Contains(period, d.Close))
                {
                    amount += d.Amount;
                    count++;
                }
            }

            return (amount, count);
        }

        private List<RefTrendMonth> Trend(HashSet<string> reps, bool isRep, string id, DateOnly to, Dictionary<CounterKey, long> counters)
        {
            var months = new List<RefTrendMonth>();
            var last = new DateOnly(to.Year, to.Month, 1);
            for (var i = 11; i >= 0; i--)
            {
                var first = last.AddMonths(-i);
                var month = RefCalendar.MonthCode(first);
                var end = _model._calendar.StartOf(first.AddMonths(1));
                var opened = _current.Values.Count(d => reps.Contains(d.Owner) && RefCalendar.MonthCode(_model._calendar.LocalDate(d.OpenedAt)) == month);
                var headcount = _reps.Values.Count(r =>
                {
                    var leave = _model.LeaveOf(r.Id);
                    if (r.Memberships[0].At >= end || (leave is not null && leave.OccurredAt < end))
                    {
                        return false;
                    }

                    if (isRep)
                    {
                        return r.Id == id;
                    }

                    var standing = r.Memberships.Last(m => m.At < end).Region;
                    return Chain(standing, _parents).Contains(id);
                });
                var bookings = counters.GetValueOrDefault(new CounterKey(Fig.Bookings, month, 0, 0));
                months.Add(new RefTrendMonth(
                    month,
                    opened,
                    bookings,
                    counters.GetValueOrDefault(new CounterKey(Fig.WonCount, month, 0, 0)),
                    headcount,
                    headcount > 0 ? bookings / headcount : null));
            }

            return months;
        }
    }

    /// <summary>The counters of pipeline over time, as the engine keeps them (<see cref="Counters"/> adds them).</summary>
    private void PipelineCounters(
        Dictionary<string, RefRep> reps, Dictionary<string, RefDeal> deals, Action<string, string, CounterKey, long> add)
    {
        foreach (var m in PipelineMoves())
        {
            var move = Array.IndexOf(Moves, m.Move);
            var day = CountedDay(m.Period, m.Day).DayNumber;
            add(m.Rep, reps[m.Rep].CurrentRegion, new CounterKey("PipelineMoveAmount", m.Period, move, day), m.Amount);
            add(m.Rep, reps[m.Rep].CurrentRegion, new CounterKey("PipelineMoveCount", m.Period, move, day), 1);
        }

        foreach (var d in deals.Values)
        {
            foreach (var period in _calendar.PeriodsOf(d.OpenedAt))
            {
                add(d.Owner, reps[d.Owner].CurrentRegion, new CounterKey("OpenedCount", period, 0, 0), 1);
            }
        }

        // Headcount: +1 in the month a membership begins, -1 in the month it ends (the next membership or the leave).
        foreach (var r in reps.Values)
        {
            var leave = LeaveOf(r.Id)?.OccurredAt;
            for (var i = 0; i < r.Memberships.Count; i++)
            {
                var (at, region) = r.Memberships[i];
                if (leave is { } l && at >= l)
                {
                    break;
                }

                DateTimeOffset? until = i + 1 < r.Memberships.Count ? r.Memberships[i + 1].At : null;
                if (leave is { } gone && (until is null || gone < until))
                {
                    until = gone;
                }

                add(r.Id, region, new CounterKey("Headcount", RefCalendar.MonthCode(_calendar.LocalDate(at)), 0, 0), 1);
                if (until is { } u)
                {
                    add(r.Id, region, new CounterKey("Headcount", RefCalendar.MonthCode(_calendar.LocalDate(u)), 0, 0), -1);
                }
            }
        }
    }
}
