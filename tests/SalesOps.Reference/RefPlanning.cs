using SalesOps.Domain;

namespace SalesOps.Reference;

/// <summary>One activity type of a plan, as the reference computes it.</summary>
public sealed record RefPlanActivity(string Type, long Needed, long Logged, double NeededPerDay, double NeededPerWeek, double LoggedPerDay);

/// <summary>The planning funnel of a scope for a period (docs/semantics.md, "The planning funnel").</summary>
public sealed record RefPlan(
    long Target,
    long Booked,
    decimal Work,
    long Buying,
    long Gap,
    long AverageOrder,
    bool AverageObserved,
    long Orders,
    (decimal Value, bool Observed)[] Ratios,
    int DaysLeft,
    int DaysGone,
    List<RefPlanActivity> Activities,
    bool Behind,
    double Load,
    bool Overloaded);

/// <summary>
/// The planning funnel from scratch: the figures it reads are summed straight from the deals and accepted events of the
/// scope, and the documented defaults (seed 002: average order 200,000, 3 proposals per order, 4 visits per proposal,
/// 5 calls per visit; Monday to Friday; 15/90/120 minutes a call/visit/proposal, 480 a day, 70%).
/// </summary>
public static class RefPlanning
{
    private const long AverageOrder = 200_000;
    private static readonly decimal[] DefaultRatios = [3, 4, 5];

    /// <param name="sums">The scope's figures over the local dates a predicate takes.</param>
    public static RefPlan? Plan(TargetSet? target, string period, DateTimeOffset now, RefCalendar calendar, int minHistory, bool isRep, long booked, decimal work, Func<Func<DateOnly, bool>, RefSums> sums)
    {
        if (target is null)
        {
            return null;
        }

        var today = calendar.LocalDate(now);
        var thisMonth = new DateOnly(today.Year, today.Month, 1);
        var window = sums(d => d >= thisMonth.AddMonths(-12) && d < thisMonth);
        var (first, end) = RefCalendar.Days(period);
        var elapsed = calendar.ElapsedShare(period, now);
        var months = (end.Year - first.Year) * 12 + end.Month - first.Month;

        var repeat = window.Bookings - window.NewBookings;
        var buying = repeat <= 0 ? 0 : (long)Math.Floor(repeat * (months * (decimal)(1 - elapsed)) / 12m);
        var gap = (long)Math.Max(0, Math.Ceiling(target.MustAchieve - booked - work - buying));

        var averageObserved = window.NewCustomers >= minHistory && window.NewBookings > 0;
        var average = averageObserved ? (long)Math.Ceiling(window.NewBookings / (decimal)window.NewCustomers) : AverageOrder;
        var orders = (long)Math.Ceiling(gap / (decimal)average);

        (decimal, bool) Ratio(long over, long under, int i) => under >= minHistory && over > 0 ? (over / (decimal)under, true) : (DefaultRatios[i], false);
        (decimal Value, bool Observed)[] ratios = [Ratio(window.Proposals, window.Won, 0), Ratio(window.Visits, window.Proposals, 1), Ratio(window.Calls, window.Visits, 2)];

        // Own ratios as exact fractions: ⌈n × over ÷ under⌉ in integers.
        long Next(long n, int i, long over, long under) =>
            ratios[i].Observed ? (long)(((System.Numerics.BigInteger)n * over + under - 1) / under) : (long)Math.Ceiling(n * ratios[i].Value);
        var proposals = Next(orders, 0, window.Proposals, window.Won);
        var visits = Next(proposals, 1, window.Visits, window.Proposals);
        var calls = Next(visits, 2, window.Calls, window.Visits);

        static bool Working(DateOnly d) => d.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday);
        int left = 0, gone = 0;
        for (var d = first; d < end; d = d.AddDays(1))
        {
            if (Working(d))
            {
                if (d < today)
                {
                    gone++;
                }
                else
                {
                    left++;
                }
            }
        }

        var logged = sums(d => d >= first && d < end);
        RefPlanActivity Row(string type, long needed, long done)
        {
            var perDay = left == 0 ? 0 : (double)needed / left;
            return new RefPlanActivity(type, needed, done, perDay, perDay * 5, gone == 0 ? 0 : (double)done / gone);
        }

        var rows = new List<RefPlanActivity> { Row("Proposal", proposals, logged.Proposals), Row("Visit", visits, logged.Visits), Row("Call", calls, logged.Calls) };
        var running = elapsed is > 0 and < 1;
        var behind = running && gone > 0 && rows.Any(r => r.NeededPerDay > r.LoggedPerDay);
        var minutes = proposals * 120m + visits * 90m + calls * 15m;
        var available = left * 480m;
        var load = !isRep || available == 0 ? 0 : (double)(minutes / available);
        var overloaded = isRep && running && minutes > 0.7m * available;
        return new RefPlan(target.MustAchieve, booked, work, buying, gap, average, averageObserved, orders, ratios, left, gone, rows, behind, load, overloaded);
    }
}
