namespace SalesOps.Domain.Tests;

public sealed class CompanyCalendarTests
{
    private static readonly CompanyCalendar Shanghai = CompanyCalendar.FromId("Asia/Shanghai");

    [Fact]
    public void LateEveningUtc_IsNextLocalDayInShanghai()
    {
        var instant = new DateTimeOffset(2026, 3, 31, 20, 0, 0, TimeSpan.Zero);

        var (month, quarter, year) = Shanghai.PeriodsOf(instant);

        Assert.Equal(new DateOnly(2026, 4, 1), Shanghai.LocalDate(instant));
        Assert.Equal(Period.OfMonth(2026, 4), month);
        Assert.Equal(Period.OfQuarter(2026, 2), quarter);
        Assert.Equal(Period.OfYear(2026), year);
        Assert.Equal(Period.OfMonth(2026, 3), CompanyCalendar.Utc.PeriodsOf(instant).Month);
    }

    [Fact]
    public void PaymentLateOnMarch31Utc_CountsInAprilForShanghaiCompany()
    {
        var company = new TestCompany(new EngineSettings { Calendar = Shanghai });
        company.Region("east");
        company.Customer("acme");
        company.Rep("ann", "east");

        company.Payment("ann", "acme", 5_000, new DateTimeOffset(2026, 3, 31, 20, 0, 0, TimeSpan.Zero));

        var figures = company.Engine.Reps["ann"].Figures();
        Assert.Equal(5_000, figures.Get(Figure.Collections, Period.OfMonth(2026, 4)));
        Assert.Equal(0, figures.Get(Figure.Collections, Period.OfMonth(2026, 3)));
        Assert.Equal(5_000, figures.Get(Figure.Collections, Period.OfQuarter(2026, 2)));
    }

    [Fact]
    public void ElapsedShare_IsZeroBeforeOneAfterAndProportionalInside()
    {
        var april = Period.OfMonth(2026, 4);
        var utc = CompanyCalendar.Utc;

        Assert.Equal(0, utc.ElapsedShare(april, new DateTimeOffset(2026, 3, 20, 0, 0, 0, TimeSpan.Zero)));
        Assert.Equal(1, utc.ElapsedShare(april, new DateTimeOffset(2026, 5, 2, 0, 0, 0, TimeSpan.Zero)));
        Assert.Equal(0.5, utc.ElapsedShare(april, new DateTimeOffset(2026, 4, 16, 0, 0, 0, TimeSpan.Zero)), 12);
    }

    [Fact]
    public void ElapsedShare_UsesLocalMidnightInCompanyZone()
    {
        // April starts at 2026-03-31T16:00Z in Shanghai (UTC+8); at 2026-04-01T04:00Z, 12 of 720 hours have passed.
        var share = Shanghai.ElapsedShare(Period.OfMonth(2026, 4), new DateTimeOffset(2026, 4, 1, 4, 0, 0, TimeSpan.Zero));

        Assert.Equal(12.0 / 720.0, share, 12);
    }
}
