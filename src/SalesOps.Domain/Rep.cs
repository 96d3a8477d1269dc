using System.Runtime.InteropServices;

namespace SalesOps.Domain;

/// <summary>
/// A rep: region membership over time, counters credited to them, targets, and leaderboard scores.
/// Historical items (bookings, activities, collections…) count in the region the rep belonged to at the item's
/// <c>occurred_at</c> ("history stays where it happened"); current items (open pipeline) count in the current region
/// and move with the rep. A move dated at or before the latest item already credited to the rep is rejected, because
/// accepting it would re-attribute history that was already rolled up.
/// </summary>
public sealed partial class RepState
{
    private readonly EventIdWindow _seen;
    private readonly List<(EventStamp Stamp, string RegionId)> _memberships = new();
    private readonly Dictionary<BoardKey, double> _scores = new();
    private readonly Dictionary<Period, long> _activityTotals = new(); // derived from Historical: activities of all kinds per period

    /// <summary>The periods with submissions whose end the rep has been told of, with the cut-off each is scored at.</summary>
    private readonly Dictionary<Period, DateTimeOffset> _closed = new();

    /// <param name="id">The rep id.</param>
    /// <param name="dedup">How many of the rep's event ids it remembers to recognise re-sends (docs/semantics.md, rule 3).</param>
    public RepState(string id, DedupWindow dedup)
        : this(id, new EventIdWindow(dedup))
    {
    }

    private RepState(string id, EventIdWindow seen) => (Id, _seen) = (id, seen);

    public string Id { get; }
    public bool IsJoined => _memberships.Count > 0;
    public string Name { get; private set; } = "";

    /// <summary>The photo URL the rep joined with; empty for none.</summary>
    public string PhotoUrl { get; private set; } = "";
    public RepRole Role { get; private set; }
    public RepStyle Style { get; private set; }
    public string RegionId => _memberships.Count == 0 ? "" : _memberships[^1].RegionId;
    public DateTimeOffset JoinedAt => _memberships.Count == 0 ? default : _memberships[0].Stamp.At;
    public IReadOnlyList<(EventStamp Stamp, string RegionId)> Memberships => _memberships;

    /// <summary>Open-pipeline counters (no history), counted in the current region.</summary>
    public FigureSet Current { get; } = new();

    /// <summary>Historical counters, over all regions the rep was in.</summary>
    public FigureSet Historical { get; } = new();

    public TargetBook Targets { get; } = new();
    public PaceTracker Pace { get; } = new();

    /// <summary>Which current-period figures run behind the same period last year (the alert's latch).</summary>
    public LastYearTracker LastYear { get; } = new();

    /// <summary>The rep's own forecast submissions.</summary>
    public ForecastBook Forecasts { get; } = new();

    /// <summary>Which periods' activity plans are behind (the alert's latch).</summary>
    public PlanTracker Plan { get; } = new();

    /// <summary>The reference variables recorded for the rep's year targets.</summary>
    public PlanningInputsBook Inputs { get; } = new();

    /// <summary>Which of the rep's year and quarter targets are uncovered by its own quarters or months (the alert's latch).</summary>
    public CoverageTracker Coverage { get; } = new();

    /// <summary>The accepted <see cref="RepLeft"/>, or null while the rep is with the company.</summary>
    public Departure? Left { get; private set; }

    public bool HasLeft => Left is not null;
    public DateTimeOffset MaxCreditedAt { get; private set; }
    public long BoardSeq { get; private set; }
    public IReadOnlyDictionary<BoardKey, double> Scores => _scores;
    /// <summary>The rep's de-dup window: the ids of its accepted events it still recognises.</summary>
    internal EventIdWindow Seen => _seen;

    /// <summary>What the rep's de-dup window says of <paramref name="e"/>, changing nothing.</summary>
    public DedupVerdict Recognise(SalesEvent e) => _seen.Check(e.EventId, e.OccurredAt);

    /// <summary>Current and historical counters together: the rep's own figures.</summary>
    public FigureSet Figures()
    {
        var all = Historical.Clone();
        all.AddAll(Current);
        return all;
    }

    public string RegionAt(DateTimeOffset at)
    {
        var region = _memberships[0].RegionId;
        foreach (var (stamp, id) in _memberships)
        {
            if (stamp.At > at)
            {
                break;
            }

            region = id;
        }

        return region;
    }

    public Outcome Join(RepJoined e, CompanyCalendar calendar, RepEffects effects)
    {
        if (Dedup(e) is { } known)
        {
            return known;
        }

        if (IsJoined)
        {
            return Outcome.Conflict("rep_id", $"rep '{Id}' has already joined; send RepMoved to change region");
        }

        _seen.Add(e.EventId, e.OccurredAt);
        Name = e.Name;
        PhotoUrl = e.PhotoUrl;
        Role = e.Role;
        Style = e.Style;
        TeamHeadcount.Apply(this, () => _memberships.Add((new EventStamp(e.OccurredAt, e.EventId), e.RegionId)), calendar, Historical, effects);
        return Outcome.Accepted;
    }

    public Outcome Move(RepMoved e, CompanyCalendar calendar, RepEffects effects)
    {
        if (Dedup(e) is { } known)
        {
            return known;
        }

        if (!IsJoined)
        {
            return Outcome.NotFound("rep_id", $"rep '{Id}' has not joined");
        }

        if (e.OccurredAt <= JoinedAt)
        {
            return Outcome.Conflict("occurred_at", $"a move must be dated after the rep joined ({JoinedAt:O})");
        }

        if (AfterLeaving(e, "rep_id") is { } gone)
        {
            return gone;
        }

        if (e.OccurredAt <= MaxCreditedAt)
        {
            return Outcome.Conflict(
                "occurred_at",
                $"back-dated move: rep '{Id}' already has figures dated up to {MaxCreditedAt:O}; a move must be dated after them");
        }

        _seen.Add(e.EventId, e.OccurredAt);
        var oldRegion = RegionId;
        var stamp = new EventStamp(e.OccurredAt, e.EventId);
        var index = _memberships.FindIndex(m => m.Stamp > stamp);
        TeamHeadcount.Apply(this, () => _memberships.Insert(index < 0 ? _memberships.Count : index, (stamp, e.RegionId)), calendar, Historical, effects);
        var newRegion = RegionId;
        if (newRegion != oldRegion)
        {
            effects.DeltaFor(oldRegion).AddAll(Current, -1);
            effects.DeltaFor(newRegion).AddAll(Current);
            effects.Boards.Add((oldRegion, new BoardUpdate(Id, ++BoardSeq, InScope: false, Full: true, [])));
            var all = _scores.Select(kv => new ScoreChange(kv.Key, kv.Value)).ToList();
            effects.Boards.Add((newRegion, new BoardUpdate(Id, ++BoardSeq, InScope: true, Full: true, all)));
        }

        return Outcome.Accepted;
    }

    public Outcome LogActivity(ActivityLogged e, CompanyCalendar calendar, RepEffects effects)
    {
        if (Guard(e) is { } rejected)
        {
            return rejected;
        }

        Credit(
            [
                new CreditItem(Figure.ActivityCount, (short)e.Type, (short)e.TimeCategory, 1, e.OccurredAt, null),
                new CreditItem(Figure.ActivityMinutes, 0, (short)e.TimeCategory, e.DurationMinutes, e.OccurredAt, null),
            ],
            calendar,
            effects);
        return Outcome.Accepted;
    }

    public Outcome ReceivePayment(PaymentReceived e, CompanyCalendar calendar, RepEffects effects)
    {
        if (Guard(e) is { } rejected)
        {
            return rejected;
        }

        Credit(
            [
                new CreditItem(Figure.Collections, 0, 0, e.Amount, e.OccurredAt, null),
                new CreditItem(Figure.Collections, 0, 0, e.Amount, e.OccurredAt, null, DimensionKind.Customer, e.CustomerId),
            ],
            calendar,
            effects);
        return Outcome.Accepted;
    }

    public Outcome SetTarget(TargetSet e, RepEffects effects)
    {
        if (Guard(e, "scope_id") is { } rejected)
        {
            return rejected;
        }

        if (Targets.Offer(e) && e.Metric == TargetMetric.Bookings)
        {
            EmitScores([e.Period], BoardMask.All, effects);
        }

        TargetSums.Follow(this, new TargetKey(e.Period, e.Metric, e.Dimension), effects);
        return Outcome.Accepted;
    }

    /// <summary>Keeps the reference variables of one of the rep's year targets (last-writer-wins per year and metric).</summary>
    public Outcome RecordPlanningInputs(PlanningInputsRecorded e)
    {
        if (Guard(e, "scope_id") is { } rejected)
        {
            return rejected;
        }

        Inputs.Offer(e);
        return Outcome.Accepted;
    }

    /// <summary>
    /// Keeps the rep's forecast submission; one for a period already scored may change the submission that counts, so
    /// the rep's accuracy score of that period is re-read (docs/semantics.md, "Forecast submissions and accuracy").
    /// </summary>
    public Outcome SubmitForecast(ForecastSubmitted e, RepEffects effects)
    {
        if (Guard(e, "scope_id") is { } rejected)
        {
            return rejected;
        }

        Forecasts.Add(e);
        if (_closed.ContainsKey(e.Period))
        {
            EmitScores([e.Period], BoardMask.Accuracy, effects);
        }

        return Outcome.Accepted;
    }

    /// <summary>The earliest end of a period with submissions that the rep has not been told has ended, or null.</summary>
    public DateTimeOffset? NextForecastEnd(ForecastRules rules)
    {
        DateTimeOffset? next = null;
        foreach (var period in Forecasts.Periods)
        {
            if (!_closed.ContainsKey(period) && rules.EndOf(period) is var end && (next is null || end < next))
            {
                next = end;
            }
        }

        return next;
    }

    /// <summary>
    /// Tells the rep the engine's clock: each period with submissions that has ended by <paramref name="now"/> is scored
    /// from then on, at the cut-off it has now, and the rep's accuracy score for it goes to the boards.
    /// </summary>
    public void CloseForecastPeriods(DateTimeOffset now, ForecastRules rules, RepEffects effects)
    {
        List<Period>? ended = null;
        foreach (var period in Forecasts.Periods)
        {
            if (!_closed.ContainsKey(period) && rules.HasEnded(period, now))
            {
                (ended ??= new List<Period>()).Add(period);
            }
        }

        if (ended is null)
        {
            return;
        }

        ended.Sort();
        foreach (var period in ended)
        {
            _closed[period] = rules.CutoffOf(period);
        }

        EmitScores(ended.ToArray(), BoardMask.Accuracy, effects);
    }

    /// <summary>
    /// Applies the rep's departure: figures stay where they are, and the rep's scores on the boards of every period
    /// that had not ended by the leave date are withdrawn (docs/semantics.md, "A rep leaves").
    /// </summary>
    public Outcome Leave(RepLeft e, CompanyCalendar calendar, RepEffects effects)
    {
        if (Dedup(e) is { } known)
        {
            return known;
        }

        if (!IsJoined)
        {
            return Outcome.NotFound("rep_id", $"rep '{Id}' has not joined");
        }

        if (Left is { } left)
        {
            return Outcome.Conflict("rep_id", $"rep '{Id}' already left the company on {left.On:yyyy-MM-dd} (event {Echo.Quote(left.EventId)})");
        }

        if (e.OccurredAt <= JoinedAt)
        {
            return Outcome.Conflict("occurred_at", $"a leave must be dated after the rep joined ({JoinedAt:O})");
        }

        _seen.Add(e.EventId, e.OccurredAt);
        TeamHeadcount.Apply(this, () => Left = new Departure(e.OccurredAt, calendar.LocalDate(e.OccurredAt), e.EventId), calendar, Historical, effects);
        var periods = _scores.Keys.Select(k => k.Period).Distinct().ToArray();
        EmitScores(periods, BoardMask.All, effects);
        foreach (var (key, _) in Targets.All.ToList())
        {
            TargetSums.Follow(this, key, effects);
        }

        return Outcome.Accepted;
    }

    /// <summary>Credits items to the rep and works out what the regions and boards must receive.</summary>
    public void Credit(ReadOnlySpan<CreditItem> items, CompanyCalendar calendar, RepEffects effects)
    {
        // The periods whose scores may have changed, and the boards that read the figures credited.
        var most = items.Length * FigureSet.MaxExpansion;
        var touched = most <= 16 ? stackalloc Period[16] : new Period[most];
        var periods = 0;
        var metrics = BoardMask.None;
        Span<FigureKey> keys = stackalloc FigureKey[FigureSet.MaxExpansion];
        foreach (var item in items)
        {
            string region;
            FigureSet own;
            if (item.IsHistorical && item.At is { } at)
            {
                region = RegionAt(at);
                own = Historical;
                if (at > MaxCreditedAt)
                {
                    MaxCreditedAt = at;
                }
            }
            else
            {
                region = RegionId;
                own = Current;
            }

            var delta = effects.DeltaFor(region);
            if (item.IsDimension)
            {
                CreditDimension(item, calendar, own, delta);
                continue; // no board reads a dimension counter
            }

            var scored = item.IsHistorical ? BoardsReading(item.Figure) : BoardMask.None;
            foreach (var key in keys[..FigureSet.Expand(item, calendar, keys)])
            {
                own.Add(key, item.Value);
                delta.Add(key, item.Value);
                if (scored == BoardMask.None || key.Period.IsWeek)
                {
                    continue; // leaderboards are for months, quarters and years
                }

                if (key.Figure == Figure.ActivityCount)
                {
                    CollectionsMarshal.GetValueRefOrAddDefault(_activityTotals, key.Period, out _) += item.Value;
                }

                metrics |= scored;
                if (!touched[..periods].Contains(key.Period))
                {
                    touched[periods++] = key.Period;
                }
            }
        }

        if (periods > 0)
        {
            EmitScores(touched[..periods], metrics, effects);
        }
    }

    private static void CreditDimension(CreditItem item, CompanyCalendar calendar, FigureSet own, FigureSet delta)
    {
        Span<Period> periods = stackalloc Period[FigureSet.MaxExpansion];
        foreach (var period in periods[..FigureSet.DimensionPeriods(item, calendar, periods)])
        {
            var key = new DimensionFigureKey(item.Figure, period, item.DimensionKind, item.DimensionValue!);
            own.Add(key, item.Value);
            delta.Add(key, item.Value);
        }
    }
}

/// <summary>A rep's departure: the instant of the <see cref="RepLeft"/>, its local date in the company calendar, and its id.</summary>
public sealed record Departure(DateTimeOffset At, DateOnly On, string EventId);
