using System.Globalization;

namespace SalesOps.Reference;

/// <summary>
/// The reference's own calendar, written from docs/semantics.md: an instant counts in the month, quarter and year of
/// its local date in the company time zone. Periods are their text codes (<c>2026</c>, <c>2026-Q4</c>, <c>2026-11</c>),
/// the form the API and the README use, so nothing here depends on the engine's period encoding.
/// </summary>
public sealed class RefCalendar
{
    private readonly TimeZoneInfo _zone;
    private readonly Dictionary<long, DateOnly> _dates = [];

    public RefCalendar(string timeZoneId)
    {
        TimeZoneId = timeZoneId;
        _zone = timeZoneId == "UTC" ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(timeZoneId);
    }

    public string TimeZoneId { get; }

    /// <summary>The local calendar day of an instant: UTC plus the zone's offset at that instant.</summary>
    public DateOnly LocalDate(DateTimeOffset at)
    {
        // Memoized: the offset lookup dominates a from-scratch recomputation over every event.
        if (!_dates.TryGetValue(at.UtcTicks, out var date))
        {
            var local = at.UtcDateTime.Ticks + _zone.GetUtcOffset(at).Ticks;
            date = DateOnly.FromDateTime(new DateTime(local, DateTimeKind.Unspecified));
            _dates[at.UtcTicks] = date;
        }

        return date;
    }

    public static string MonthCode(DateOnly d) => d.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    public static string QuarterCode(DateOnly d) => string.Create(CultureInfo.InvariantCulture, $"{d.Year:D4}-Q{(d.Month - 1) / 3 + 1}");

    public static string YearCode(DateOnly d) => d.Year.ToString("D4", CultureInfo.InvariantCulture);

    /// <summary>
    /// The ISO 8601 week of a local day, "2026-W49": weeks start on Monday, and week 1 of a year is the one with that
    /// year's first Thursday in it, so a week belongs to the year of its Thursday.
    /// </summary>
    public static string WeekCode(DateOnly d)
    {
        var thursday = d.AddDays(3 - ((int)d.DayOfWeek + 6) % 7);
        var week = (thursday.DayOfYear - 1) / 7 + 1;
        return string.Create(CultureInfo.InvariantCulture, $"{thursday.Year:D4}-W{week:D2}");
    }

    /// <summary>Whether a period code is an ISO week.</summary>
    public static bool IsWeek(string period) => period.Length == 8 && period[5] == 'W';

    /// <summary>The three periods a local day belongs to.</summary>
    public static string[] PeriodsOf(DateOnly d) => [MonthCode(d), QuarterCode(d), YearCode(d)];

    public string[] PeriodsOf(DateTimeOffset at) => PeriodsOf(LocalDate(at));

    public static bool Contains(string period, DateOnly d) =>
        IsWeek(period) ? period == WeekCode(d) : period == MonthCode(d) || period == QuarterCode(d) || period == YearCode(d);

    /// <summary>First local day of a period and the first local day after it.</summary>
    public static (DateOnly First, DateOnly End) Days(string period)
    {
        var year = int.Parse(period.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture);
        if (IsWeek(period))
        {
            // Week 1 holds January 4th; its Monday is the first day.
            var jan4 = new DateOnly(year, 1, 4);
            var monday = jan4.AddDays(-(((int)jan4.DayOfWeek + 6) % 7)).AddDays(7 * (int.Parse(period.AsSpan(6, 2), NumberStyles.None, CultureInfo.InvariantCulture) - 1));
            return (monday, monday.AddDays(7));
        }

        if (period.Length == 4)
        {
            return (new DateOnly(year, 1, 1), new DateOnly(year + 1, 1, 1));
        }

        if (period[5] == 'Q')
        {
            var first = new DateOnly(year, (period[6] - '1') * 3 + 1, 1);
            return (first, first.AddMonths(3));
        }

        var month = new DateOnly(year, int.Parse(period.AsSpan(5, 2), NumberStyles.None, CultureInfo.InvariantCulture), 1);
        return (month, month.AddMonths(1));
    }

    /// <summary>
    /// The first instant whose local date is on or after <paramref name="day"/>, by bisection over whole seconds: a
    /// definition that needs no rule for days that start inside a daylight-saving gap.
    /// </summary>
    public DateTimeOffset StartOf(DateOnly day)
    {
        var midnightUtc = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        long lo = -15 * 3600, hi = 15 * 3600; // no zone is more than 14 hours from UTC
        while (lo < hi)
        {
            var mid = lo + (hi - lo) / 2;
            if (LocalDate(midnightUtc.AddSeconds(mid)) >= day)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return midnightUtc.AddSeconds(lo);
    }

    /// <summary>Share of the period elapsed at <paramref name="now"/>, 0 before it starts and 1 once it is over.</summary>
    public double ElapsedShare(string period, DateTimeOffset now)
    {
        var (first, end) = Days(period);
        var start = StartOf(first);
        var stop = StartOf(end);
        if (now <= start)
        {
            return 0;
        }

        return now >= stop ? 1 : (double)(now.UtcTicks - start.UtcTicks) / (stop.UtcTicks - start.UtcTicks);
    }

    /// <summary>The text code of a target's period as the event carries it; empty when it is no valid period.</summary>
    public static string CodeOf(Domain.Period period) => period.Kind switch
    {
        Domain.PeriodKind.Year => period.Year.ToString("D4", CultureInfo.InvariantCulture),
        Domain.PeriodKind.Quarter => string.Create(CultureInfo.InvariantCulture, $"{period.Year:D4}-Q{period.Number}"),
        Domain.PeriodKind.Month => string.Create(CultureInfo.InvariantCulture, $"{period.Year:D4}-{period.Number:D2}"),
        Domain.PeriodKind.Week => string.Create(CultureInfo.InvariantCulture, $"{period.Year:D4}-W{period.Number:D2}"),
        _ => "",
    };
}
