using System.Globalization;

namespace SalesOps.Domain;

/// <summary>The length of a reporting period.</summary>
public enum PeriodKind : byte
{
    None = 0,
    Year = 1,
    Quarter = 2,
    Month = 3,

    /// <summary>An ISO 8601 week (Monday to Sunday), numbered within its ISO week-year: kept for activities only.</summary>
    Week = 4,
}

/// <summary>
/// A calendar period (year, quarter, month or ISO week) packed into one integer so that figure keys stay small:
/// <c>kind * 1_000_000 + year * 100 + number</c>. <see cref="None"/> marks figures that belong to no period.
/// Text forms: <c>2026</c>, <c>2026-Q4</c>, <c>2026-11</c>, <c>2026-W49</c>. A week's year is its ISO week-year
/// (2026-12-31 falls in 2026-W53, 2027-01-01 in 2026-W53 too); weeks are kept for activities only (docs/semantics.md).
/// </summary>
public readonly record struct Period(int Code) : IComparable<Period>
{
    public static readonly Period None = new(0);

    public PeriodKind Kind => (PeriodKind)(Code / 1_000_000);
    public int Year => Code / 100 % 10_000;
    public int Number => Code % 100;
    public bool IsNone => Code == 0;

    public static Period OfYear(int year) => new((int)PeriodKind.Year * 1_000_000 + year * 100);
    public static Period OfQuarter(int year, int quarter) => new((int)PeriodKind.Quarter * 1_000_000 + year * 100 + quarter);
    public static Period OfMonth(int year, int month) => new((int)PeriodKind.Month * 1_000_000 + year * 100 + month);
    public static Period OfWeek(int isoYear, int week) => new((int)PeriodKind.Week * 1_000_000 + isoYear * 100 + week);

    /// <summary>The ISO 8601 week that contains a local date.</summary>
    public static Period WeekOf(DateOnly date)
    {
        var day = date.ToDateTime(TimeOnly.MinValue);
        return OfWeek(ISOWeek.GetYear(day), ISOWeek.GetWeekOfYear(day));
    }

    public bool IsWeek => Kind == PeriodKind.Week;

    /// <summary>The month, quarter and year that contain a local date, in that order.</summary>
    public static (Period Month, Period Quarter, Period Year) Containing(DateOnly date) =>
        (OfMonth(date.Year, date.Month), OfQuarter(date.Year, (date.Month - 1) / 3 + 1), OfYear(date.Year));

    /// <summary>The same period a year earlier (2025-11 for 2026-11).</summary>
    public Period YearEarlier => IsNone ? None : new(Code - 100);

    /// <summary>The months of the period in order (one for a month, three for a quarter, twelve for a year).</summary>
    public IEnumerable<Period> Months
    {
        get
        {
            var first = FirstDay;
            var count = Kind switch { PeriodKind.Year => 12, PeriodKind.Quarter => 3, _ => 1 };
            for (var i = 0; i < count; i++)
            {
                var d = first.AddMonths(i);
                yield return OfMonth(d.Year, d.Month);
            }
        }
    }

    /// <summary>First local day of the period.</summary>
    public DateOnly FirstDay => Kind switch
    {
        PeriodKind.Year => new DateOnly(Year, 1, 1),
        PeriodKind.Quarter => new DateOnly(Year, (Number - 1) * 3 + 1, 1),
        PeriodKind.Month => new DateOnly(Year, Number, 1),
        PeriodKind.Week => DateOnly.FromDateTime(ISOWeek.ToDateTime(Year, Number, DayOfWeek.Monday)),
        _ => throw new InvalidOperationException("A figure without a period has no days."),
    };

    /// <summary>First local day after the period.</summary>
    public DateOnly EndDay => Kind switch
    {
        PeriodKind.Year => FirstDay.AddYears(1),
        PeriodKind.Quarter => FirstDay.AddMonths(3),
        PeriodKind.Month => FirstDay.AddMonths(1),
        PeriodKind.Week => FirstDay.AddDays(7),
        _ => throw new InvalidOperationException("A figure without a period has no days."),
    };

    public static bool TryParse(string? text, out Period period)
    {
        period = None;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var t = text.Trim();
        if (t.Length == 4 && int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var y) && y >= 1)
        {
            period = OfYear(y);
            return true;
        }

        if (t.Length == 7 && t[4] == '-' && int.TryParse(t.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out y) && y >= 1)
        {
            if ((t[5] == 'Q' || t[5] == 'q') && t[6] is >= '1' and <= '4')
            {
                period = OfQuarter(y, t[6] - '0');
                return true;
            }

            if (int.TryParse(t.AsSpan(5, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var m) && m is >= 1 and <= 12)
            {
                period = OfMonth(y, m);
                return true;
            }
        }

        if (t.Length == 8 && t[4] == '-' && (t[5] == 'W' || t[5] == 'w')
            && int.TryParse(t.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out y) && y >= 1
            && int.TryParse(t.AsSpan(6, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var w) && w >= 1 && w <= ISOWeek.GetWeeksInYear(y))
        {
            period = OfWeek(y, w);
            return true;
        }

        return false;
    }

    public override string ToString() => Kind switch
    {
        PeriodKind.Year => Year.ToString("D4", CultureInfo.InvariantCulture),
        PeriodKind.Quarter => string.Create(CultureInfo.InvariantCulture, $"{Year:D4}-Q{Number}"),
        PeriodKind.Month => string.Create(CultureInfo.InvariantCulture, $"{Year:D4}-{Number:D2}"),
        PeriodKind.Week => string.Create(CultureInfo.InvariantCulture, $"{Year:D4}-W{Number:D2}"),
        _ => "",
    };

    public int CompareTo(Period other) => Code.CompareTo(other.Code);

    public static bool operator <(Period a, Period b) => a.Code < b.Code;
    public static bool operator >(Period a, Period b) => a.Code > b.Code;
    public static bool operator <=(Period a, Period b) => a.Code <= b.Code;
    public static bool operator >=(Period a, Period b) => a.Code >= b.Code;
}
