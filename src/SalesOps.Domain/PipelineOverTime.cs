namespace SalesOps.Domain;

/// <summary>One term of a pipeline waterfall: the amount and the number of movements of one kind.</summary>
public readonly record struct WaterfallTerm(PipelineMove Move, long Amount, long Count);

/// <summary>
/// How a scope's pipeline for a period changed between the end of <see cref="From"/> and the end of <see cref="To"/>
/// (local days): start + entries (created, reopened, reassigned in, pulled in, pushed in) + increased − decreased −
/// exits (pushed out, pulled out, reassigned out, won, lost) = end, exactly (docs/semantics.md, "Pipeline over time").
/// </summary>
public sealed record PipelineWaterfall(
    Period Period,
    DateOnly From,
    DateOnly To,
    long StartAmount,
    long StartCount,
    IReadOnlyList<WaterfallTerm> Terms,
    long EndAmount,
    long EndCount);

/// <summary>
/// One month of the opportunity and per-capita trend: deals opened, bookings and wins, the team's headcount at the end of
/// the month, and bookings per rep (⌊bookings ÷ headcount⌋; null when the headcount is 0).
/// </summary>
public sealed record TrendMonth(Period Month, long Opened, long Bookings, long WonCount, long Headcount, long? BookingsPerRep);

/// <summary>The pipeline-over-time figures of a rep or region, read from its counters.</summary>
public static class PipelineOverTime
{
    /// <summary>Months in the trend.</summary>
    public const int TrendMonths = 12;

    /// <summary>
    /// The waterfall of <paramref name="period"/> from the end of <paramref name="from"/> to the end of <paramref name="to"/>:
    /// start = Σ entries − exits on days up to <paramref name="from"/>, each term = Σ its movements on the days after
    /// <paramref name="from"/> up to <paramref name="to"/>, end = start + Σ signed terms. Sums past 2⁶³ − 1 show as
    /// 2⁶³ − 1 (or its negative), never wrapped.
    /// </summary>
    public static PipelineWaterfall Waterfall(FigureSet figures, Period period, DateOnly from, DateOnly to)
    {
        Span<Int128> amounts = stackalloc Int128[PipelineMoves.Kinds];
        Span<Int128> counts = stackalloc Int128[PipelineMoves.Kinds];
        Int128 startAmount = 0, startCount = 0;
        foreach (var (key, value) in figures)
        {
            if (key.Period != period || key.Figure is not (Figure.PipelineMoveAmount or Figure.PipelineMoveCount))
            {
                continue;
            }

            var (move, day) = PipelineMoves.Decode(key);
            var isAmount = key.Figure == Figure.PipelineMoveAmount;
            if (day <= from)
            {
                var signed = PipelineMoves.IsEntry(move) || move == PipelineMove.Increased ? (Int128)value : -(Int128)value;
                if (isAmount)
                {
                    startAmount += signed;
                }
                else if (move is not (PipelineMove.Increased or PipelineMove.Decreased))
                {
                    startCount += signed;
                }
            }
            else if (day <= to)
            {
                (isAmount ? amounts : counts)[(int)move] += value;
            }
        }

        var terms = new WaterfallTerm[PipelineMoves.Kinds];
        Int128 endAmount = startAmount, endCount = startCount;
        for (var i = 0; i < terms.Length; i++)
        {
            var move = (PipelineMove)i;
            terms[i] = new WaterfallTerm(move, Saturate(amounts[i]), Saturate(counts[i]));
            var sign = PipelineMoves.IsExit(move) || move == PipelineMove.Decreased ? -1 : 1;
            endAmount += sign * amounts[i];
            if (move is not (PipelineMove.Increased or PipelineMove.Decreased))
            {
                endCount += sign * counts[i];
            }
        }

        return new PipelineWaterfall(period, from, to, Saturate(startAmount), Saturate(startCount), terms, Saturate(endAmount), Saturate(endCount));
    }

    /// <summary>The <see cref="TrendMonths"/> months ending with <paramref name="lastMonth"/>, oldest first.</summary>
    public static IReadOnlyList<TrendMonth> Trend(FigureSet figures, Period lastMonth)
    {
        var first = lastMonth.FirstDay.AddMonths(1 - TrendMonths);
        var firstMonth = Period.Containing(first).Month;

        // Headcount is the running sum of its month counters: everything before the first month, then month by month.
        Int128 headcount = 0;
        var changes = new Dictionary<Period, long>();
        foreach (var (key, value) in figures)
        {
            if (key.Figure == Figure.Headcount)
            {
                if (key.Period < firstMonth)
                {
                    headcount += value;
                }
                else
                {
                    changes[key.Period] = value;
                }
            }
        }

        var months = new TrendMonth[TrendMonths];
        for (var i = 0; i < TrendMonths; i++)
        {
            var month = Period.Containing(first.AddMonths(i)).Month;
            headcount += changes.GetValueOrDefault(month);
            var bookings = figures.Get(Figure.Bookings, month);
            var team = Saturate(headcount);
            months[i] = new TrendMonth(
                month,
                figures.Get(Figure.OpenedCount, month),
                bookings,
                figures.Get(Figure.WonCount, month),
                team,
                team > 0 ? bookings / team : null);
        }

        return months;
    }

    private static long Saturate(Int128 v) => v > long.MaxValue ? long.MaxValue : v < -long.MaxValue ? -long.MaxValue : (long)v;
}
