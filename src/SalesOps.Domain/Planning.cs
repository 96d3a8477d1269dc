using System.Globalization;

namespace SalesOps.Domain;

/// <summary>
/// The days a rep works: weekdays and holidays (docs/semantics.md, "The planning funnel"). The planning funnel spreads
/// what is still needed over the working days left in a period.
/// </summary>
public sealed class WorkingCalendar
{
    public static readonly WorkingCalendar MondayToFriday = new(
        [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday], []);

    private readonly bool[] _weekdays = new bool[7];
    private readonly HashSet<DateOnly> _holidays;

    public WorkingCalendar(IEnumerable<DayOfWeek> weekdays, IEnumerable<DateOnly> holidays)
    {
        foreach (var d in weekdays)
        {
            _weekdays[(int)d] = true;
        }

        DaysPerWeek = _weekdays.Count(w => w);
        if (DaysPerWeek == 0)
        {
            throw new ArgumentException("A working week needs at least one working day.", nameof(weekdays));
        }

        _holidays = holidays.ToHashSet();
    }

    /// <summary>The working weekdays, Sunday first.</summary>
    public IEnumerable<DayOfWeek> Weekdays => Enum.GetValues<DayOfWeek>().Where(d => _weekdays[(int)d]);

    /// <summary>Working weekdays per week (5 for Monday to Friday).</summary>
    public int DaysPerWeek { get; }

    public bool IsWorkingDay(DateOnly day) => _weekdays[(int)day.DayOfWeek] && !_holidays.Contains(day);

    /// <summary>Working days from <paramref name="from"/> (included) to <paramref name="to"/> (excluded).</summary>
    public int WorkingDays(DateOnly from, DateOnly to)
    {
        var n = 0;
        for (var d = from; d < to; d = d.AddDays(1))
        {
            n += IsWorkingDay(d) ? 1 : 0;
        }

        return n;
    }
}

/// <summary>The company's planning defaults and working calendar (configuration <c>Engine:Planning</c>).</summary>
public sealed record PlanningSettings
{
    /// <summary>Average new-customer order used until a scope has won <see cref="MinHistory"/> new customers (seed: 200,000).</summary>
    public long AverageOrder { get; init; } = 200_000;

    /// <summary>The largest default ratio configuration accepts: a funnel step of more than a thousand to one is a typo.</summary>
    public const decimal MaxRatio = 1000;

    /// <summary>Default proposals per order (seed: 3).</summary>
    public decimal ProposalsPerOrder { get; init; } = 3;

    /// <summary>Default visits per proposal (seed: 4).</summary>
    public decimal VisitsPerProposal { get; init; } = 4;

    /// <summary>Default calls per visit (seed: 5).</summary>
    public decimal CallsPerVisit { get; init; } = 5;

    /// <summary>A scope's own ratio replaces a default once its denominator counted at least this many in the history window.</summary>
    public int MinHistory { get; init; } = 5;

    public WorkingCalendar Calendar { get; init; } = WorkingCalendar.MondayToFriday;

    /// <summary>Minutes one call, visit and proposal take, for the plan's load.</summary>
    public int CallMinutes { get; init; } = 15;

    public int VisitMinutes { get; init; } = 90;
    public int ProposalMinutes { get; init; } = 120;

    /// <summary>Working minutes in a day.</summary>
    public int MinutesPerDay { get; init; } = 480;

    /// <summary>A plan loading more than this share of a rep's working time is flagged (seed: a week is planned to 60–70%).</summary>
    public double MaxLoad { get; init; } = 0.7;
}

/// <summary>A conversion ratio of the planning funnel, and whether it is the scope's own observed one or the company default.</summary>
public readonly record struct PlanRatio(decimal Value, bool Observed);

/// <summary>What one activity type of the plan asks for and what has been done.</summary>
/// <param name="Needed">How many are still needed to close the gap.</param>
/// <param name="Logged">How many were logged in the period so far.</param>
/// <param name="NeededPerDay">Needed ÷ working days left (0 when none are left).</param>
/// <param name="NeededPerWeek">NeededPerDay × working days per week.</param>
/// <param name="LoggedPerDay">Logged ÷ working days gone (0 when none have gone).</param>
public sealed record PlanActivity(ActivityType Type, long Needed, long Logged, double NeededPerDay, double NeededPerWeek, double LoggedPerDay);

/// <summary>
/// The planning funnel (RAC reverse calculation, seed 002) of one scope for one period with a must-achieve bookings
/// target: the gap after what is booked, the weighted pipeline expected in the period (work platform) and the expected
/// re-orders of existing customers (buying platform); orders, proposals, visits and calls needed; spread over the working
/// days left and compared with what has been logged. Formulas: docs/semantics.md, "The planning funnel".
/// </summary>
public sealed record PlanningFunnel(
    long Target,
    long Booked,
    decimal WorkPlatform,
    long BuyingPlatform,
    long Gap,
    long AverageOrder,
    bool AverageOrderObserved,
    long Orders,
    PlanRatio ProposalsPerOrder,
    PlanRatio VisitsPerProposal,
    PlanRatio CallsPerVisit,
    int WorkingDaysLeft,
    int WorkingDaysGone,
    IReadOnlyList<PlanActivity> Activities,
    bool Behind,
    double Load,
    bool Overloaded)
{
    /// <summary>The activity types of the funnel, from the end of it: proposals, visits, calls.</summary>
    public static readonly ActivityType[] FunnelTypes = [ActivityType.Proposal, ActivityType.Visit, ActivityType.Call];

    /// <summary>
    /// The funnel of <paramref name="f"/> for <paramref name="period"/> at <paramref name="now"/>, or null when there is no
    /// must-achieve bookings target. <paramref name="isRep"/>: the load is a rep's own working time; a region has none.
    /// </summary>
    public static PlanningFunnel? Build(FigureSet f, TargetBook targets, EngineSettings settings, Period period, DateTimeOffset now, bool isRep)
    {
        if (targets.Get(period, TargetMetric.Bookings) is not { } target)
        {
            return null;
        }

        var plan = settings.Planning;
        var today = settings.Calendar.LocalDate(now);
        var window = HistoryWindow(today);
        var booked = f.Get(Figure.Bookings, period);
        var work = settings.Stages.Weighted(i => f.Get(Figure.OpenByClose, period, (short)i));
        var buying = ExpectedReorders(f, window, period, settings.Calendar.ElapsedShare(period, now));
        var gap = Whole(Math.Max(0, Math.Ceiling(target.MustAchieve - booked - work - buying)));

        var newCustomers = Sum(f, Figure.NewCustomers, window);
        var averageObserved = newCustomers >= plan.MinHistory && Sum(f, Figure.NewCustomerBookings, window) > 0;
        var average = averageObserved ? Whole(Math.Ceiling(Sum(f, Figure.NewCustomerBookings, window) / (decimal)newCustomers)) : plan.AverageOrder;
        var orders = Whole(Math.Ceiling(gap / (decimal)average));

        var won = Sum(f, Figure.WonCount, window);
        var proposals = Logged(f, ActivityType.Proposal, window);
        var visits = Logged(f, ActivityType.Visit, window);
        var calls = Logged(f, ActivityType.Call, window);
        var perOrder = Ratio(proposals, won, plan.ProposalsPerOrder, plan.MinHistory);
        var perProposal = Ratio(visits, proposals, plan.VisitsPerProposal, plan.MinHistory);
        var perVisit = Ratio(calls, visits, plan.CallsPerVisit, plan.MinHistory);
        // An own ratio multiplies before it divides, so 3 × 10/6 is exactly 5, never 5.0000…01 rounded up to 6; in
        // 128-bit integers, where any two counts multiply without overflow (decimal would not hold them all).
        static long Times(long n, PlanRatio ratio, long over, long under) => ratio.Observed
            ? (long)Int128.Min(((Int128)n * over + under - 1) / under, long.MaxValue)
            : Whole(Math.Ceiling(n * ratio.Value));
        var neededProposals = Times(orders, perOrder, proposals, won);
        var neededVisits = Times(neededProposals, perProposal, visits, proposals);
        var neededCalls = Times(neededVisits, perVisit, calls, visits);

        // Working days: those of the period from today on are left, those before today are gone.
        var first = period.FirstDay;
        var end = period.EndDay;
        var left = plan.Calendar.WorkingDays(today > first ? today : first, end);
        var gone = plan.Calendar.WorkingDays(first, today < end ? today : end);
        PlanActivity Row(ActivityType type, long needed)
        {
            var logged = Logged(f, type, [period]);
            var perDay = left == 0 ? 0 : (double)needed / left;
            return new PlanActivity(type, needed, logged, perDay, perDay * plan.Calendar.DaysPerWeek, gone == 0 ? 0 : (double)logged / gone);
        }

        var rows = new[] { Row(ActivityType.Proposal, neededProposals), Row(ActivityType.Visit, neededVisits), Row(ActivityType.Call, neededCalls) };
        var running = settings.Calendar.ElapsedShare(period, now) is > 0 and < 1;
        var behind = running && gone > 0 && rows.Any(r => r.NeededPerDay > r.LoggedPerDay);

        double load = 0;
        var overloaded = false;
        if (isRep)
        {
            var minutes = (decimal)neededProposals * plan.ProposalMinutes + (decimal)neededVisits * plan.VisitMinutes + (decimal)neededCalls * plan.CallMinutes;
            var available = (decimal)left * plan.MinutesPerDay;
            load = available == 0 ? 0 : (double)(minutes / available);
            overloaded = running && minutes > (decimal)plan.MaxLoad * available;
        }

        return new PlanningFunnel(
            target.MustAchieve, booked, work, buying, gap, average, averageObserved, orders, perOrder, perProposal, perVisit, left, gone, rows, behind, load, overloaded);
    }

    /// <summary>The twelve whole months before the month of <paramref name="today"/>: the history the own ratios and the buying platform read.</summary>
    public static Period[] HistoryWindow(DateOnly today)
    {
        var months = new Period[12];
        var start = new DateOnly(today.Year, today.Month, 1).AddMonths(-12);
        for (var i = 0; i < 12; i++)
        {
            var d = start.AddMonths(i);
            months[i] = Period.OfMonth(d.Year, d.Month);
        }

        return months;
    }

    /// <summary>
    /// Re-orders expected from existing customers in what is left of the period: the scope's repeat bookings (bookings −
    /// new-customer bookings) per month over the history window × the months of the period not yet elapsed, rounded down.
    /// </summary>
    private static long ExpectedReorders(FigureSet f, Period[] window, Period period, double elapsed)
    {
        var repeat = Sum(f, Figure.Bookings, window) - Sum(f, Figure.NewCustomerBookings, window);
        var monthsLeft = (decimal)period.Months.Count() * (decimal)(1 - elapsed);
        return repeat <= 0 ? 0 : Whole(Math.Floor(repeat * monthsLeft / 12m));
    }

    /// <summary>A count or amount as a whole number; a plan beyond 2⁶³ − 1 (a hostile target) shows that, never wraps.</summary>
    private static long Whole(decimal value) => value >= long.MaxValue ? long.MaxValue : (long)value;

    private static PlanRatio Ratio(long numerator, long denominator, decimal fallback, int minHistory) =>
        denominator >= minHistory && numerator > 0 ? new PlanRatio(numerator / (decimal)denominator, true) : new PlanRatio(fallback, false);

    private static long Sum(FigureSet f, Figure figure, Period[] periods)
    {
        long total = 0;
        foreach (var p in periods)
        {
            total += f.Get(figure, p);
        }

        return total;
    }

    /// <summary>Activities of <paramref name="type"/> logged in <paramref name="periods"/>, all time categories: also the activity report's counts.</summary>
    internal static long Logged(FigureSet f, ActivityType type, Period[] periods)
    {
        long total = 0;
        foreach (var p in periods)
        {
            for (short c = 0; c < 5; c++)
            {
                total += f.Get(Figure.ActivityCount, p, (short)type, c);
            }
        }

        return total;
    }
}

/// <summary>
/// Tracks which periods of one scope have their activity plan behind, and raises an alert only when one falls behind
/// (edge-triggered, like <see cref="PaceTracker"/>); it re-arms when the plan is back on track or the period is over.
/// </summary>
public sealed class PlanTracker
{
    private readonly HashSet<Period> _behind = new();

    public IReadOnlyCollection<Period> Behind => _behind;

    internal List<int> ToMemento() => Snapshots.Compact(_behind).Select(p => p.Code).ToList();

    internal void Restore(List<int>? periods)
    {
        foreach (var p in periods ?? [])
        {
            if (!_behind.Add(new Period(p)))
            {
                throw new InvalidDataException($"Corrupt snapshot: plan entry {p} is listed twice.");
            }
        }
    }

    public List<Alert> Check(string subjectId, string scopeId, bool isRegion, TargetBook targets, FigureSet figures, EngineSettings settings, DateTimeOffset now)
    {
        List<Alert>? alerts = null;
        foreach (var ((period, metric, dimension), _) in targets.All)
        {
            if (metric != TargetMetric.Bookings || !dimension.IsNone)
            {
                continue;
            }

            if (PlanningFunnel.Build(figures, targets, settings, period, now, !isRegion) is not { Behind: true } plan)
            {
                _behind.Remove(period);
            }
            else if (_behind.Add(period))
            {
                var worst = plan.Activities.First(a => a.NeededPerDay > a.LoggedPerDay);

                // Per day in hundredths, in integers (1.1 × 100 in binary is 110.00000000000001): logged down, needed up.
                var logged = (long)((Int128)worst.Logged * 100 / plan.WorkingDaysGone);
                var needed = (long)(((Int128)worst.Needed * 100 + plan.WorkingDaysLeft - 1) / Math.Max(1, plan.WorkingDaysLeft));
                (alerts ??= new List<Alert>()).Add(new Alert(
                    AlertKind.ActivityPlanBehind,
                    subjectId,
                    scopeId,
                    "",
                    period,
                    worst.Type.ToString(),
                    logged,
                    needed,
                    string.Create(CultureInfo.InvariantCulture, $"{(isRegion ? "Region" : "Rep")} {subjectId} is behind its activity plan for {period}: {logged / 100m:0.##} {worst.Type} a day logged, {needed / 100m:0.##} needed"),
                    now) { AboutRegion = isRegion });
            }
        }

        return alerts ?? [];
    }
}
