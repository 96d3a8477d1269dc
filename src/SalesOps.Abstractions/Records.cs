using SalesOps.Domain;

namespace SalesOps.Abstractions;

/// <summary>What became of one event (a domain <see cref="Outcome"/> on the wire).</summary>
[GenerateSerializer, Immutable, Alias("salesops.EventOutcome")]
public sealed record EventOutcome([property: Id(0)] byte Code, [property: Id(1)] string Field, [property: Id(2)] string Message)
{
    public static readonly EventOutcome Accepted = From(Outcome.Accepted);

    public OutcomeCode OutcomeCode => (OutcomeCode)Code;
    public bool IsAccepted => OutcomeCode == OutcomeCode.Accepted;

    public static EventOutcome From(Outcome o) => new((byte)o.Code, o.Field, o.Message);

    public Outcome ToOutcome() => new(OutcomeCode, Field, Message);
}

/// <summary>One counter value; with a dimension kind and value, a dimension counter (<see cref="DimensionFigureKey"/>).</summary>
[GenerateSerializer, Immutable, Alias("salesops.Counter")]
public readonly record struct Counter(
    [property: Id(0)] byte Figure,
    [property: Id(1)] int Period,
    [property: Id(2)] short A,
    [property: Id(3)] short B,
    [property: Id(4)] long Value,
    [property: Id(5)] byte DimensionKind = 0,
    [property: Id(6)] string? DimensionValue = null)
{
    public FigureKey Key => new((Figure)Figure, new Period(Period), A, B);

    public bool IsDimension => DimensionKind != 0;

    public DimensionFigureKey DimensionKey => new((Figure)Figure, new Period(Period), (DimensionKind)DimensionKind, DimensionValue ?? "", A, B);

    /// <summary>Adds this counter's value to the set, as a plain or a dimension counter.</summary>
    public void AddTo(FigureSet set)
    {
        if (IsDimension)
        {
            set.Add(DimensionKey, Value);
        }
        else
        {
            set.Add(Key, Value);
        }
    }

    public static Counter[] From(FigureSet set)
    {
        var counters = new Counter[set.Count + set.DimensionCount];
        var i = 0;
        foreach (var (k, v) in set)
        {
            counters[i++] = new Counter((byte)k.Figure, k.Period.Code, k.A, k.B, v);
        }

        foreach (var (k, v) in set.Dimensions)
        {
            counters[i++] = new Counter((byte)k.Figure, k.Period.Code, k.A, k.B, v, (byte)k.Kind, k.Value);
        }

        return counters;
    }

    public static FigureSet ToSet(IEnumerable<Counter> counters)
    {
        var set = new FigureSet();
        foreach (var c in counters)
        {
            c.AddTo(set);
        }

        return set;
    }
}

/// <summary>A credit item on the wire; a dimension item carries its dimension's kind and value.</summary>
[GenerateSerializer, Immutable, Alias("salesops.Credit")]
public readonly record struct Credit(
    [property: Id(0)] byte Figure,
    [property: Id(1)] short A,
    [property: Id(2)] short B,
    [property: Id(3)] long Value,
    [property: Id(4)] DateTimeOffset? At,
    [property: Id(5)] int? PeriodDay,
    [property: Id(6)] byte DimensionKind = 0,
    [property: Id(7)] string? DimensionValue = null)
{
    public static Credit From(CreditItem i) =>
        new((byte)i.Figure, i.A, i.B, i.Value, i.At, i.PeriodDate?.DayNumber, (byte)i.DimensionKind, i.DimensionValue);

    public CreditItem ToDomain() =>
        new((Domain.Figure)Figure, A, B, Value, At, PeriodDay is { } d ? DateOnly.FromDayNumber(d) : null, (DimensionKind)DimensionKind, DimensionValue);
}

/// <summary>Credit items for one rep, as an opportunity book sends them to the rep's book.</summary>
[GenerateSerializer, Immutable, Alias("salesops.RepCredits")]
public sealed record RepCredits([property: Id(0)] string RepId, [property: Id(1)] Credit[] Credits)
{
    /// <summary>
    /// Waiting credit messages for one rep book as one: their items concatenated in order. Credits are additive, and
    /// each rep's items keep their order, so applying the merged message has the effect of applying them in turn.
    /// </summary>
    public static RepCredits[] Merge(IReadOnlyList<RepCredits[]> messages)
    {
        var count = 0;
        foreach (var m in messages)
        {
            count += m.Length;
        }

        var merged = new RepCredits[count];
        var i = 0;
        foreach (var m in messages)
        {
            m.CopyTo(merged, i);
            i += m.Length;
        }

        return merged;
    }
}

[GenerateSerializer, Immutable, Alias("salesops.Score")]
public readonly record struct Score([property: Id(0)] int Period, [property: Id(1)] byte Metric, [property: Id(2)] double? Value)
{
    public static Score From(ScoreChange c) => new(c.Board.Period.Code, (byte)c.Board.Metric, c.Score);

    public ScoreChange ToDomain() => new(new BoardKey(new Period(Period), (LeaderboardMetric)Metric), Value);
}

[GenerateSerializer, Immutable, Alias("salesops.BoardChange")]
public sealed record BoardChange(
    [property: Id(0)] string RepId,
    [property: Id(1)] long Seq,
    [property: Id(2)] bool InScope,
    [property: Id(3)] bool Full,
    [property: Id(4)] Score[] Scores)
{
    public static BoardChange From(BoardUpdate u)
    {
        var scores = new Score[u.Changes.Count];
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = Score.From(u.Changes[i]);
        }

        return new(u.RepId, u.Seq, u.InScope, u.Full, scores);
    }

    public BoardUpdate ToDomain()
    {
        var changes = new List<ScoreChange>(Scores.Length);
        foreach (var s in Scores)
        {
            changes.Add(s.ToDomain());
        }

        return new(RepId, Seq, InScope, Full, changes);
    }
}

/// <summary>
/// One sender's numbered roll-up, as carried to a region together with other senders' (<c>ApplyRollupsAsync</c>): a
/// merged roll-up has the numbers <see cref="FirstSequence"/> to <see cref="Sequence"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("salesops.RollupItem")]
public sealed record RollupItem(
    [property: Id(0)] string Sender,
    [property: Id(1)] long Sequence,
    [property: Id(2)] Rollup Rollup,
    [property: Id(3)] long FirstSequence);

/// <summary>What a region receives from a rep or a child region: counter deltas and board changes, in order.</summary>
[GenerateSerializer, Immutable, Alias("salesops.Rollup")]
public sealed record Rollup([property: Id(0)] Counter[] Counters, [property: Id(1)] BoardChange[] Boards)
{
    /// <summary>
    /// One roll-up with the effect of <paramref name="rollups"/> applied in order: counter deltas summed, and each
    /// rep's board changes merged into one (<see cref="RegionState.Merge"/>).
    /// </summary>
    public static Rollup Merge(IReadOnlyList<Rollup> rollups)
    {
        var most = 0;
        foreach (var rollup in rollups)
        {
            most += rollup.Counters.Length;
        }

        var counters = new FigureSet(most);
        var perRep = new Dictionary<string, List<BoardUpdate>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var rollup in rollups)
        {
            foreach (var c in rollup.Counters)
            {
                c.AddTo(counters);
            }

            foreach (var change in rollup.Boards)
            {
                if (!perRep.TryGetValue(change.RepId, out var updates))
                {
                    updates = new List<BoardUpdate>(rollups.Count);
                    perRep[change.RepId] = updates;
                    order.Add(change.RepId);
                }

                updates.Add(change.ToDomain());
            }
        }

        var boards = new BoardChange[order.Count];
        for (var i = 0; i < boards.Length; i++)
        {
            var updates = perRep[order[i]];
            boards[i] = BoardChange.From(updates.Count == 1 ? updates[0] : RegionState.Merge(updates));
        }

        return new Rollup(Counter.From(counters), boards);
    }
}

[GenerateSerializer, Immutable, Alias("salesops.Target")]
public readonly record struct TargetRow(
    [property: Id(0)] int Period,
    [property: Id(1)] byte Metric,
    [property: Id(2)] long MustAchieve,
    [property: Id(3)] long Stretch,
    [property: Id(4)] byte DimensionKind = 0,
    [property: Id(5)] string? DimensionValue = null)
{
    public TargetKey Key => new(new Period(Period), (TargetMetric)Metric, TargetDimension.Of((DimensionKind)DimensionKind, DimensionValue));

    public static TargetRow[] From(TargetBook book) =>
        book.All.Select(t => new TargetRow(
            t.Key.Period.Code, (byte)t.Key.Metric, t.Levels.MustAchieve, t.Levels.Stretch, (byte)t.Key.Dimension.Kind,
            t.Key.Dimension.IsNone ? null : t.Key.Dimension.Value)).ToArray();

    public static TargetBook ToBook(IEnumerable<TargetRow> rows)
    {
        var book = new TargetBook();
        foreach (var r in rows)
        {
            book.Put(r.Key, new TargetLevels(r.MustAchieve, r.Stretch), default);
        }

        return book;
    }
}

/// <summary>One forecast submission of a rep or region, as a grain answers it.</summary>
[GenerateSerializer, Immutable, Alias("salesops.ForecastRow")]
public sealed record ForecastRow(
    [property: Id(0)] int Period,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] string EventId,
    [property: Id(3)] long Commit,
    [property: Id(4)] long BestCase,
    [property: Id(5)] string SubmittedBy,
    [property: Id(6)] string Note)
{
    public static ForecastRow[] From(ForecastBook book) =>
        book.Periods.SelectMany(p => book.Of(p).Select(s => new ForecastRow(p.Code, s.At, s.EventId, s.Commit, s.BestCase, s.SubmittedBy, s.Note))).ToArray();

    public static ForecastBook ToBook(ForecastRow[] rows)
    {
        var book = new ForecastBook();
        foreach (var r in rows)
        {
            book.Put(new Period(r.Period), new ForecastSubmission(r.At, r.EventId, r.Commit, r.BestCase, r.SubmittedBy, r.Note));
        }

        return book;
    }
}

/// <summary>The reference variables of one year and metric, as a grain answers them.</summary>
[GenerateSerializer, Immutable, Alias("salesops.PlanningInputsRow")]
public readonly record struct PlanningInputsRow(
    [property: Id(0)] int Year,
    [property: Id(1)] byte Metric,
    [property: Id(2)] long? LastYearActual,
    [property: Id(3)] long LongTermPlan,
    [property: Id(4)] int IndustryGrowthBasisPoints,
    [property: Id(5)] long NewGrowthPoints)
{
    public static PlanningInputsRow[] From(PlanningInputsBook book) =>
        book.All.Select(i => new PlanningInputsRow(i.Year.Code, (byte)i.Metric, i.Inputs.LastYearActual, i.Inputs.LongTermPlan, i.Inputs.IndustryGrowthBasisPoints, i.Inputs.NewGrowthPoints)).ToArray();

    public static PlanningInputsBook ToBook(IEnumerable<PlanningInputsRow> rows)
    {
        var book = new PlanningInputsBook();
        foreach (var r in rows)
        {
            book.Put(new Period(r.Year), (TargetMetric)r.Metric, new PlanningInputs(r.LastYearActual, r.LongTermPlan, r.IndustryGrowthBasisPoints, r.NewGrowthPoints));
        }

        return book;
    }
}

[GenerateSerializer, Immutable, Alias("salesops.RepSnapshot")]
public sealed record RepSnapshot(
    [property: Id(0)] string RepId,
    [property: Id(1)] bool Joined,
    [property: Id(2)] string Name,
    [property: Id(3)] string RegionId,
    [property: Id(4)] byte Role,
    [property: Id(5)] byte Style,
    [property: Id(6)] Counter[] Counters,
    [property: Id(7)] TargetRow[] Targets,
    [property: Id(8)] ForecastRow[] Forecasts)
{
    /// <summary>The reference variables the rep's year targets were recorded with.</summary>
    [Id(9)]
    public PlanningInputsRow[] Inputs { get; init; } = [];
}

[GenerateSerializer, Immutable, Alias("salesops.RegionSnapshot")]
public sealed record RegionSnapshot(
    [property: Id(0)] string RegionId,
    [property: Id(1)] bool Defined,
    [property: Id(2)] string Name,
    [property: Id(3)] string ParentId,
    [property: Id(4)] Counter[] Counters,
    [property: Id(5)] TargetRow[] Targets,
    [property: Id(6)] ForecastRow[] Forecasts)
{
    /// <summary>The reference variables the region's year targets were recorded with.</summary>
    [Id(7)]
    public PlanningInputsRow[] Inputs { get; init; } = [];
}

[GenerateSerializer, Immutable, Alias("salesops.CustomerSnapshot")]
public sealed record CustomerSnapshot(
    [property: Id(0)] string CustomerId,
    [property: Id(1)] bool Registered,
    [property: Id(2)] string Name,
    [property: Id(3)] int Orders,
    [property: Id(4)] long LifetimeValue,
    [property: Id(5)] long Collections,
    [property: Id(6)] DateTimeOffset? LastOrder,
    [property: Id(7)] DateTimeOffset? LastContact);

[GenerateSerializer, Immutable, Alias("salesops.OpportunitySnapshot")]
public sealed record OpportunitySnapshot(
    [property: Id(0)] string OpportunityId,
    [property: Id(1)] bool Opened,
    [property: Id(2)] string OwnerRepId,
    [property: Id(3)] string CustomerId,
    [property: Id(4)] long Amount,
    [property: Id(5)] string ProductLine,
    [property: Id(6)] string Channel,
    [property: Id(7)] int ExpectedCloseDay,
    [property: Id(8)] int StageIndex,
    [property: Id(9)] DateTimeOffset OpenedAt,
    [property: Id(10)] DateTimeOffset StageChangedAt);

[GenerateSerializer, Immutable, Alias("salesops.Order")]
public readonly record struct OrderRow([property: Id(0)] long Amount, [property: Id(1)] DateTimeOffset WonAt)
{
    public static OrderRow From(CustomerOrder o) => new(o.Amount, o.WonAt);

    /// <summary>The order as the customer keeps it, credited to <paramref name="ownerRepId"/> ("" for nobody).</summary>
    public CustomerOrder ToDomain(string ownerRepId) => new(Amount, WonAt, ownerRepId);
}

[GenerateSerializer, Immutable, Alias("salesops.BoardRow")]
public readonly record struct BoardRow([property: Id(0)] int Rank, [property: Id(1)] string RepId, [property: Id(2)] double Score, [property: Id(3)] int Movement)
{
    public static BoardRow From(RankedEntry e) => new(e.Rank, e.RepId, e.Score, e.Movement);
}

/// <summary>What a screen shows for a rep: the display name and current region (empty for a rep not joined).</summary>
[GenerateSerializer, Immutable, Alias("salesops.RepProfile")]
public readonly record struct RepProfile([property: Id(0)] string RepId, [property: Id(1)] string Name, [property: Id(2)] string RegionId);

/// <summary>A rep who left the company: who, the region they were in, and the accepted <c>RepLeft</c>.</summary>
/// <param name="LeftOnDay">The leave's local date in the company calendar, as <see cref="DateOnly.DayNumber"/>.</param>
[GenerateSerializer, Immutable, Alias("salesops.RepDeparture")]
public sealed record RepDeparture(
    [property: Id(0)] string RepId,
    [property: Id(1)] string Name,
    [property: Id(2)] string RegionId,
    [property: Id(3)] DateTimeOffset LeftAt,
    [property: Id(4)] int LeftOnDay,
    [property: Id(5)] string EventId)
{
    public static RepDeparture Of(RepState rep, Departure left) =>
        new(rep.Id, rep.Name, rep.RegionId, left.At, left.On.DayNumber, left.EventId);

    public Departure ToDomain() => new(LeftAt, DateOnly.FromDayNumber(LeftOnDay), EventId);
}

/// <summary>An open deal as the orphaned-deals list shows it (its owner has left the company).</summary>
[GenerateSerializer, Immutable, Alias("salesops.OpenDeal")]
public sealed record OpenDeal(
    [property: Id(0)] string OpportunityId,
    [property: Id(1)] string CustomerId,
    [property: Id(2)] long Amount,
    [property: Id(3)] int StageIndex,
    [property: Id(4)] string OwnerRepId);

/// <summary>An open deal at risk at one instant, with its figures (<see cref="Domain.DealRisk"/>).</summary>
[GenerateSerializer, Immutable, Alias("salesops.AtRiskDeal")]
public sealed record AtRiskDeal(
    [property: Id(0)] string OpportunityId,
    [property: Id(1)] string CustomerId,
    [property: Id(2)] long Amount,
    [property: Id(3)] int StageIndex,
    [property: Id(4)] string OwnerRepId,
    [property: Id(5)] DateTimeOffset StageChangedAt,
    [property: Id(6)] int DaysInStage,
    [property: Id(7)] int StallDays,
    [property: Id(8)] int ExpectedCloseDay,
    [property: Id(9)] int DaysOverdue,
    [property: Id(10)] int Pushes,
    [property: Id(11)] byte Conditions);

/// <summary>A leaderboard's top rows (and optionally the rows around one rep) at a version.</summary>
[GenerateSerializer, Immutable, Alias("salesops.BoardSnapshot")]
public sealed record BoardSnapshot(
    [property: Id(0)] string RegionId,
    [property: Id(1)] int Period,
    [property: Id(2)] byte Metric,
    [property: Id(3)] long Version,
    [property: Id(4)] int Total,
    [property: Id(5)] BoardRow[] Top,
    [property: Id(6)] BoardRow[] Around)
{
    public BoardKey Key => new(new Period(Period), (LeaderboardMetric)Metric);
}

/// <summary>
/// What the alert log still holds: sequences <see cref="Oldest"/> to <see cref="Newest"/> of numbering
/// <see cref="Epoch"/> (a new activation of the log numbers from 1 again under a new epoch).
/// </summary>
[GenerateSerializer, Immutable, Alias("salesops.AlertRange")]
public readonly record struct AlertRange([property: Id(0)] long Oldest, [property: Id(1)] long Newest, [property: Id(2)] Guid Epoch);

/// <summary>An alert with its place in the alert log.</summary>
[GenerateSerializer, Immutable, Alias("salesops.AlertRecord")]
public sealed record AlertRecord(
    [property: Id(0)] long Sequence,
    [property: Id(1)] byte Kind,
    [property: Id(2)] string SubjectId,
    [property: Id(3)] string ScopeId,
    [property: Id(4)] string OtherId,
    [property: Id(5)] int Period,
    [property: Id(6)] string Metric,
    [property: Id(7)] long Actual,
    [property: Id(8)] long Expected,
    [property: Id(9)] string Message,
    [property: Id(10)] DateTimeOffset At,
    [property: Id(11)] Guid Epoch)
{
    /// <summary>A behind-pace or behind-last-year alert about a region rather than a rep (<see cref="Alert.AboutRegion"/>).</summary>
    [Id(12)]
    public bool AboutRegion { get; init; }

    /// <summary>An at-risk deal's customer (empty for other kinds).</summary>
    [Id(13)]
    public string CustomerId { get; init; } = "";

    /// <summary>An at-risk deal's amount.</summary>
    [Id(14)]
    public long Amount { get; init; }

    /// <summary>An at-risk deal's expected close date as a day number (<see cref="DateOnly.DayNumber"/>); 0 for other kinds.</summary>
    [Id(15)]
    public int ExpectedCloseDay { get; init; }

    /// <summary>A behind-pace alert's target dimension: its kind (0: none) and value.</summary>
    [Id(16)]
    public byte DimensionKind { get; init; }

    [Id(17)]
    public string? DimensionValue { get; init; }

    public TargetDimension Dimension => TargetDimension.Of((DimensionKind)DimensionKind, DimensionValue);

    public static AlertRecord From(Alert a) =>
        new(0, (byte)a.Kind, a.SubjectId, a.ScopeId, a.OtherId, a.Period.Code, a.Metric, a.Actual, a.Expected, a.Message, a.At, Guid.Empty)
        {
            AboutRegion = a.AboutRegion,
            CustomerId = a.CustomerId,
            Amount = a.Amount,
            ExpectedCloseDay = a.ExpectedClose?.DayNumber ?? 0,
            DimensionKind = (byte)a.Dimension.Kind,
            DimensionValue = a.Dimension.IsNone ? null : a.Dimension.Value,
        };
}

/// <summary>
/// What a rep (through its book) tells a customer: a payment (de-duplicated there by event id) or an activity
/// (<see cref="ContactAt"/> set: a contact, a maximum there, and with <see cref="RepId"/> set an activity the customer
/// credits back by customer group, ADR 0020; an earlier build sent contacts without the rep, which credit nothing).
/// </summary>
[GenerateSerializer, Immutable, Alias("salesops.CustomerTouch")]
public sealed record CustomerTouch(
    [property: Id(0)] string RepId,
    [property: Id(1)] string PaymentEventId,
    [property: Id(2)] long Amount,
    [property: Id(3)] DateTimeOffset? ContactAt,
    [property: Id(4)] long Minutes = 0)
{
    /// <summary>Touches that queued behind a send go as one message: all of them, in order.</summary>
    public static CustomerTouch[] Merge(IReadOnlyList<CustomerTouch[]> messages) => messages.SelectMany(m => m).ToArray();
}
