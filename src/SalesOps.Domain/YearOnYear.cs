namespace SalesOps.Domain;

/// <summary>The period figures compared with the same period last year.</summary>
public enum ComparedFigure : byte
{
    Bookings = 0,
    Collections = 1,
    WonCount = 2,

    /// <summary>Customers whose first order was won in the period.</summary>
    NewCustomers = 3,
}

/// <summary>
/// One period figure beside its value for the same period last year (docs/semantics.md, "Same period last year").
/// </summary>
/// <param name="Actual">The figure for the period as it stands (to date while the period runs).</param>
/// <param name="LastYear">The whole same period a year earlier.</param>
/// <param name="LastYearToDate">
/// Last year's same period up to the same point: its months that correspond to months of this period already over,
/// in full, plus the month corresponding to the current one pro rata to the share of the current month elapsed
/// (rounded down). Equal to <paramref name="LastYear"/> once the period has ended; 0 before it starts.
/// </param>
/// <param name="Growth">(actual − last year to date) ÷ last year to date; 0 when last year to date is 0.</param>
/// <param name="Behind">
/// The period is running and the actual is more than the configured share below last year to date (the alert's rule).
/// </param>
public sealed record YearOnYearFigure(ComparedFigure Figure, long Actual, long LastYear, long LastYearToDate, double Growth, bool Behind);

/// <summary>The same-period-last-year comparison of a scope's counters.</summary>
public static class YearOnYear
{
    /// <summary>Every compared figure, in the order reports list them.</summary>
    public static readonly IReadOnlyList<ComparedFigure> Figures = Enum.GetValues<ComparedFigure>();

    /// <summary>The counter a compared figure reads.</summary>
    public static Figure CounterOf(ComparedFigure figure) => figure switch
    {
        ComparedFigure.Bookings => Figure.Bookings,
        ComparedFigure.Collections => Figure.Collections,
        ComparedFigure.WonCount => Figure.WonCount,
        ComparedFigure.NewCustomers => Figure.NewCustomers,
        _ => throw new ArgumentOutOfRangeException(nameof(figure), figure, "Not a compared figure."),
    };

    /// <summary>Every compared figure of <paramref name="period"/> at <paramref name="now"/>, in <see cref="Figures"/> order.</summary>
    public static List<YearOnYearFigure> Compare(FigureSet f, Period period, CompanyCalendar calendar, DateTimeOffset now, double behindShare)
    {
        if (period.IsWeek)
        {
            return []; // only activities are kept per week (docs/semantics.md, "Targets by dimension")
        }

        // The elapsed shares of the period and its months are the same for every figure: computed once.
        var elapsed = calendar.ElapsedShare(period, now);
        var months = new List<(Period LastYear, double Elapsed)>(12);
        foreach (var month in period.Months)
        {
            var share = calendar.ElapsedShare(month, now);
            if (share <= 0)
            {
                break;
            }

            months.Add((month.YearEarlier, share));
        }

        var list = new List<YearOnYearFigure>(Figures.Count);
        foreach (var figure in Figures)
        {
            var counter = CounterOf(figure);
            var actual = f.Get(counter, period);
            long toDate = 0;
            foreach (var (lastYearMonth, share) in months)
            {
                var value = f.Get(counter, lastYearMonth);
                toDate += share >= 1 ? value : ProRata(value, share);
            }

            var behind = elapsed is > 0 and < 1 && toDate > 0 && actual < toDate * (1 - behindShare);
            list.Add(new YearOnYearFigure(figure, actual, f.Get(counter, period.YearEarlier), toDate, toDate == 0 ? 0 : (double)(actual - toDate) / toDate, behind));
        }

        return list;
    }

    /// <summary>⌊value × share⌋ for 0 &lt; share &lt; 1, never more than the value itself (double rounding near 2⁶³).</summary>
    private static long ProRata(long value, double share) => Math.Min(value, (long)Math.Floor(value * share));
}

/// <summary>
/// Tracks which (period, figure) pairs of one scope run behind the same period last year, and raises an alert only when
/// one falls behind (edge-triggered, like <see cref="PaceTracker"/>); it re-arms when the figure is back within the share
/// or the period is over. Only the month, quarter and year containing "now" are checked.
/// </summary>
public sealed class LastYearTracker
{
    private readonly HashSet<(Period, ComparedFigure)> _behind = new();

    public IReadOnlyCollection<(Period, ComparedFigure)> Behind => _behind;

    internal List<LastYearEntry> ToMemento() =>
        Snapshots.Compact(_behind).Select(b => new LastYearEntry(b.Item1.Code, b.Item2)).ToList();

    internal void Restore(List<LastYearEntry>? entries)
    {
        foreach (var e in entries ?? [])
        {
            if (!_behind.Add((new Period(e.Period), e.Figure)))
            {
                throw new InvalidDataException($"Corrupt snapshot: last-year entry {e.Figure} {e.Period} is listed twice.");
            }
        }
    }

    public List<Alert> Check(string subjectId, string scopeId, bool isRegion, FigureSet figures, CompanyCalendar calendar, DateTimeOffset now, double behindShare)
    {
        List<Alert>? alerts = null;
        var current = calendar.CurrentPeriods(now).ToArray();

        // Periods that are no longer current re-arm (the set stays small: at most 3 periods × 4 figures).
        _behind.RemoveWhere(b => Array.IndexOf(current, b.Item1) < 0);
        foreach (var period in current)
        {
            foreach (var c in YearOnYear.Compare(figures, period, calendar, now, behindShare))
            {
                var figure = c.Figure;
                if (!c.Behind)
                {
                    _behind.Remove((period, figure));
                }
                else if (_behind.Add((period, figure)))
                {
                    var who = isRegion ? "Region" : "Rep";
                    (alerts ??= new List<Alert>()).Add(new Alert(
                        AlertKind.BehindLastYear,
                        subjectId,
                        scopeId,
                        "",
                        period,
                        figure.ToString(),
                        c.Actual,
                        c.LastYearToDate,
                        $"{who} {subjectId} is behind the same period last year for {figure} {period}: {c.Actual} against {c.LastYearToDate} by this point last year",
                        now) { AboutRegion = isRegion });
                }
            }
        }

        return alerts ?? [];
    }
}
