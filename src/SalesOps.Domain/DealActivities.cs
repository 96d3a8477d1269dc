namespace SalesOps.Domain;

/// <summary>
/// The activity-load buckets of win rate by activity load (docs/semantics.md, "Activity direction and quality"): a closed
/// deal counts in the bucket of the number of activities logged against it dated at or before its close. Fixed edges,
/// so every scope and period reads the same buckets: 0, 1–2, 3–5, 6–10, 11 and more.
/// </summary>
public static class ActivityLoad
{
    /// <summary>The lowest activity count of each bucket, bucket 0 first.</summary>
    public static IReadOnlyList<int> LowerEdges { get; } = [0, 1, 3, 6, 11];

    public static int BucketCount => LowerEdges.Count;

    /// <summary>The bucket of a deal with <paramref name="activities"/> activities before its close.</summary>
    public static short BucketOf(long activities)
    {
        for (var b = LowerEdges.Count - 1; b > 0; b--)
        {
            if (activities >= LowerEdges[b])
            {
                return (short)b;
            }
        }

        return 0;
    }

    /// <summary>B of <see cref="Figure.ClosedByActivityLoad"/>: the deal was won or lost.</summary>
    public const short Won = 0, Lost = 1;
}

/// <summary>
/// What the activity-to-deal join needs of a deal (null: not opened): its product line, the rep its outcome is credited
/// to, and, once closed, whether it was won and when. Read from the deal's contribution, so a change's before and after
/// are exactly what its owner was credited with.
/// </summary>
public readonly record struct DealView(string ProductLine, string OwnerRepId, bool Closed, bool Won, DateTimeOffset ClosedAt)
{
    /// <summary>The view of a deal whose contribution is <paramref name="c"/> (null: not opened).</summary>
    public static DealView? Of(OpportunityContribution? c, string productLine)
    {
        if (c is null)
        {
            return null;
        }

        foreach (var item in c.Items)
        {
            if (item.Figure is Figure.WonCount or Figure.LostCount && item.At is { } at)
            {
                return new DealView(productLine, c.OwnerRepId, true, item.Figure == Figure.WonCount, at);
            }
        }

        return new DealView(productLine, c.OwnerRepId, false, false, default);
    }

    /// <summary>The view of a deal as it stands (null: not opened).</summary>
    public static DealView? Of(OpportunityState deal, StageTable stages) =>
        !deal.IsOpened
            ? null
            : stages.IsOpen(deal.StageIndex)
                ? new DealView(deal.ProductLine, deal.OwnerRepId, false, false, default)
                : new DealView(deal.ProductLine, deal.OwnerRepId, true, deal.StageIndex == stages.WonIndex, deal.StageAt);
}

/// <summary>
/// The activities that named a deal (<see cref="ActivityLogged.OpportunityId"/>), kept by the book that holds the deal:
/// the join of activities with what only the deal knows (ADR 0023). Each activity counts for the deal's product line,
/// credited to the activity's rep at its instant; a closed deal counts in the bucket of its activity load, credited to its
/// owner at its close. Activities are kept per (deal, rep, instant), summed, whether or not the deal is opened yet, so an
/// activity that arrives before its deal counts once the deal is opened, and a deal re-dated, reopened or reassigned moves
/// its load credit: the credits are a function of the set of accepted events, whatever their arrival order.
/// </summary>
/// <remarks>
/// Bucket 0 (a closed deal with no activity before its close) is never sent: it is the deal's won or lost count less the
/// other buckets (<see cref="ActivityReport"/>), so a deal nobody logged an activity against costs the join nothing.
/// </remarks>
public sealed class DealActivities
{
    private readonly Dictionary<string, Dictionary<(string RepId, long Ticks), (long Count, long Minutes)>> _byDeal = new(StringComparer.Ordinal);

    /// <summary>Deals with activities kept.</summary>
    public int Deals => _byDeal.Count;

    /// <summary>(deal, rep, instant) entries kept.</summary>
    public int Entries => _byDeal.Values.Sum(d => d.Count);

    /// <summary>
    /// Records one activity against <paramref name="dealId"/> (<paramref name="deal"/>: the deal as it stands, null while
    /// not opened) and answers its credits: the activity's product-line count and minutes to its rep, and the move of the
    /// deal's load bucket when the deal is closed after the activity.
    /// </summary>
    public List<(string RepId, CreditItem[] Items)> Log(string dealId, string repId, DateTimeOffset at, long minutes, DealView? deal)
    {
        if (!_byDeal.TryGetValue(dealId, out var log))
        {
            _byDeal[dealId] = log = new Dictionary<(string, long), (long, long)>();
        }

        var loadBefore = Load(deal, log);
        ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(log, (repId, at.UtcTicks), out _);
        slot = (slot.Count + 1, slot.Minutes + minutes);

        var credits = new List<(string, CreditItem[])>(2);
        if (deal is { ProductLine.Length: > 0 } d)
        {
            credits.Add((repId, ProductLineItems(d.ProductLine, 1, minutes, at)));
        }

        AddLoadMove(credits, loadBefore, Load(deal, log));
        return credits;
    }

    /// <summary>
    /// What a change of the deal (<paramref name="before"/> to <paramref name="after"/>) does to the join's credits: its
    /// activities counted for its product line once it is opened, and its load credit moved when its owner, outcome,
    /// close instant or the activities before it change. Nothing for a deal no activity named.
    /// </summary>
    public List<(string RepId, CreditItem[] Items)> DealChanged(string dealId, DealView? before, DealView? after)
    {
        var credits = new List<(string, CreditItem[])>();
        if (!_byDeal.TryGetValue(dealId, out var log) || before == after)
        {
            return credits;
        }

        if (before?.ProductLine != after?.ProductLine)
        {
            foreach (var ((repId, ticks), (count, minutes)) in log)
            {
                var at = new DateTimeOffset(ticks, TimeSpan.Zero);
                var items = new List<CreditItem>(4);
                if (before is { ProductLine.Length: > 0 } b)
                {
                    items.AddRange(ProductLineItems(b.ProductLine, -count, -minutes, at));
                }

                if (after is { ProductLine.Length: > 0 } a)
                {
                    items.AddRange(ProductLineItems(a.ProductLine, count, minutes, at));
                }

                if (items.Count > 0)
                {
                    credits.Add((repId, items.ToArray()));
                }
            }
        }

        AddLoadMove(credits, Load(before, log), Load(after, log));
        return credits;
    }

    private static CreditItem[] ProductLineItems(string productLine, long count, long minutes, DateTimeOffset at) =>
    [
        new CreditItem(Figure.ActivityCount, 0, 0, count, at, null, DimensionKind.ProductLine, productLine),
        new CreditItem(Figure.ActivityMinutes, 0, 0, minutes, at, null, DimensionKind.ProductLine, productLine),
    ];

    /// <summary>The load credit of a closed deal with at least one activity before its close; null otherwise.</summary>
    private static (string RepId, CreditItem Item)? Load(DealView? deal, Dictionary<(string RepId, long Ticks), (long Count, long Minutes)> log)
    {
        if (deal is not { Closed: true } d)
        {
            return null;
        }

        long n = 0;
        foreach (var ((_, ticks), (count, _)) in log)
        {
            n += ticks <= d.ClosedAt.UtcTicks ? count : 0;
        }

        return n == 0
            ? null
            : (d.OwnerRepId, new CreditItem(Figure.ClosedByActivityLoad, ActivityLoad.BucketOf(n), d.Won ? ActivityLoad.Won : ActivityLoad.Lost, 1, d.ClosedAt, null));
    }

    private static void AddLoadMove(List<(string, CreditItem[])> credits, (string RepId, CreditItem Item)? before, (string RepId, CreditItem Item)? after)
    {
        if (before == after)
        {
            return;
        }

        if (before is { } b)
        {
            credits.Add((b.RepId, [b.Item.Negate()]));
        }

        if (after is { } a)
        {
            credits.Add((a.RepId, [a.Item]));
        }
    }

    /// <summary>
    /// Every entry, in the order the join holds them (entries are never removed, so that is the order they were added):
    /// a join restored from it enumerates, and so credits a deal's opening, in the same order as the original.
    /// </summary>
    public List<DealActivityEntry> ToMemento()
    {
        var list = new List<DealActivityEntry>(Entries);
        foreach (var (deal, log) in _byDeal)
        {
            foreach (var ((repId, ticks), (count, minutes)) in log)
            {
                list.Add(new DealActivityEntry(deal, repId, new DateTimeOffset(ticks, TimeSpan.Zero), count, minutes));
            }
        }

        return list;
    }

    /// <summary>A join restored from <see cref="ToMemento"/>.</summary>
    /// <exception cref="InvalidDataException">An entry is not positive or is listed twice.</exception>
    public static DealActivities FromMemento(IEnumerable<DealActivityEntry> entries)
    {
        var join = new DealActivities();
        foreach (var e in entries)
        {
            if (!join._byDeal.TryGetValue(e.Deal, out var log))
            {
                join._byDeal[e.Deal] = log = new Dictionary<(string, long), (long, long)>();
            }

            if (e.Count <= 0 || !log.TryAdd((e.Rep, e.At.UtcTicks), (e.Count, e.Minutes)))
            {
                throw new InvalidDataException($"Corrupt snapshot: activity of '{e.Rep}' on deal '{e.Deal}' at {e.At:O} is not positive or listed twice.");
            }
        }

        return join;
    }
}

/// <summary>One (deal, rep, instant) of the activities logged against deals, summed, in a snapshot.</summary>
public sealed record DealActivityEntry(string Deal, string Rep, DateTimeOffset At, long Count, long Minutes);
