using SalesOps.Domain;

namespace SalesOps.Abstractions;

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

    /// <summary>
    /// The counters of one period only (a report of that period reads nothing else). Not <see cref="From"/> with a
    /// filter: that one sizes its array exactly and runs on every roll-up.
    /// </summary>
    public static Counter[] Of(FigureSet set, Period period)
    {
        var counters = new List<Counter>();
        foreach (var (k, v) in set)
        {
            if (k.Period == period)
            {
                counters.Add(new Counter((byte)k.Figure, k.Period.Code, k.A, k.B, v));
            }
        }

        foreach (var (k, v) in set.Dimensions)
        {
            if (k.Period == period)
            {
                counters.Add(new Counter((byte)k.Figure, k.Period.Code, k.A, k.B, v, (byte)k.Kind, k.Value));
            }
        }

        return counters.ToArray();
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
    [property: Id(3)] long FirstSequence)
{
    /// <summary>
    /// When the earliest event behind the roll-up was accepted (wall-clock UTC ticks; 0: not known), for the
    /// push-latency metric. Here, on the carrier's item, because a <see cref="Rollup"/> is journaled and stored:
    /// a telemetry stamp is no part of the stored format.
    /// </summary>
    [Id(4)]
    public long AcceptedAt { get; init; }
}

/// <summary>
/// One sender's numbered credit message, as carried to a rep book together with other senders' (<c>CreditAsync</c>):
/// a merged message has the numbers <see cref="FirstSequence"/> to <see cref="Sequence"/>. <see cref="AcceptedAt"/> is
/// when the earliest event behind it was accepted (wall-clock UTC ticks; 0: not known), telemetry carried on to the
/// roll-ups, never journaled or stored.
/// </summary>
[GenerateSerializer, Immutable, Alias("salesops.CreditsItem")]
public sealed record CreditsItem(
    [property: Id(0)] string Sender,
    [property: Id(1)] long FirstSequence,
    [property: Id(2)] long Sequence,
    [property: Id(3)] RepCredits[] Credits,
    [property: Id(4)] long AcceptedAt);

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
