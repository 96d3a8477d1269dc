namespace SalesOps.Domain;

/// <summary>
/// Puts instants into the company's local calendar. Every figure falls into the month, quarter and year of
/// its local date in the company time zone; pace reads "now" from an injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class CompanyCalendar
{
    public static readonly CompanyCalendar Utc = new(TimeZoneInfo.Utc);

    public CompanyCalendar(TimeZoneInfo timeZone) => TimeZone = timeZone;

    public TimeZoneInfo TimeZone { get; }

    public static CompanyCalendar FromId(string? timeZoneId) =>
        string.IsNullOrWhiteSpace(timeZoneId) || timeZoneId == "UTC"
            ? Utc
            : new CompanyCalendar(TimeZoneInfo.FindSystemTimeZoneById(timeZoneId));

    public DateOnly LocalDate(DateTimeOffset instant) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, TimeZone).DateTime);

    public (Period Month, Period Quarter, Period Year) PeriodsOf(DateTimeOffset instant) => Period.Containing(LocalDate(instant));

    /// <summary>The instant a local day starts in the company time zone.</summary>
    public DateTimeOffset StartOf(DateOnly day)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        while (TimeZone.IsInvalidTime(local))
        {
            local = local.AddMinutes(30);
        }

        return new DateTimeOffset(local, TimeZone.GetUtcOffset(local));
    }

    /// <summary>Share of the period elapsed at <paramref name="now"/>, between 0 and 1.</summary>
    public double ElapsedShare(Period period, DateTimeOffset now)
    {
        var start = StartOf(period.FirstDay);
        var end = StartOf(period.EndDay);
        if (now <= start)
        {
            return 0;
        }

        if (now >= end)
        {
            return 1;
        }

        return (now - start).TotalSeconds / (end - start).TotalSeconds;
    }

    /// <summary>The month, quarter and year containing <paramref name="now"/>.</summary>
    public IEnumerable<Period> CurrentPeriods(DateTimeOffset now)
    {
        var (m, q, y) = PeriodsOf(now);
        yield return m;
        yield return q;
        yield return y;
    }
}
