using System.Globalization;
using SalesOps.Domain;

namespace SalesOps.Reference;

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
        : this(stages.Stages.Take(stages.OpenCount).Select(s => (s.Id, s.ProbabilityPercent, s.Category)).ToArray(), calendar, dedup, latestOccurredAt, forecastCutoffDays, planMinHistory)
    {
    }

    private ReferenceModel((string Id, int Probability, ForecastCategory Category)[] open, RefCalendar calendar, RefDedup dedup, DateTimeOffset? latestOccurredAt, int forecastCutoffDays, int planMinHistory)
    {
        _planMinHistory = planMinHistory;
        _cutoffDays = forecastCutoffDays;
        _latestOccurredAt = latestOccurredAt;
        _dedup = dedup;
        _open = open;
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

    /// <summary>
    /// This model's history decided again with <paramref name="extra"/> delivered too, each at its position among the
    /// accepted events: for an event the engine may or may not have applied (its answer lost, its re-send refused as
    /// beyond the de-dup window, which is all the engine can say then: docs/semantics.md, rule 3). Null when the rules
    /// would not have accepted an extra event there, or would then refuse an event this model accepted.
    /// </summary>
    public ReferenceModel? WithAlso(IReadOnlyList<(int Position, SalesEvent Event)> extra)
    {
        var copy = new ReferenceModel(_open, _calendar, _dedup, _latestOccurredAt, _cutoffDays, _planMinHistory);
        for (var i = 0; i <= _accepted.Count; i++)
        {
            foreach (var (position, e) in extra)
            {
                if (position == i && copy.Decide(e).Code != Verdict.Accepted)
                {
                    return null;
                }
            }

            if (i < _accepted.Count && copy.Decide(_accepted[i]).Code != Verdict.Accepted)
            {
                return null;
            }
        }

        return copy;
    }

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
