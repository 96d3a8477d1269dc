namespace SalesOps.Domain.Tests;

public sealed class YearOnYearTests
{
    private static readonly DateTimeOffset LastFebruary = new(2025, 2, 10, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset LastMarch = new(2025, 3, 5, 9, 0, 0, TimeSpan.Zero);

    // 16 March 2026 09:00 UTC: 15 days and 9 hours of March's 744 hours have passed.
    private static readonly long MarchToDate = (long)Math.Floor(100_000 * (15 * 24 + 9) / 744.0);

    /// <summary>Ann collected 50,000 in February and 100,000 in March last year, and 30,000 so far this March.</summary>
    private static TestCompany Setup()
    {
        var company = new TestCompany();
        company.Region("east");
        company.Customer("acme");
        company.Rep("ann", "east", LastFebruary.AddDays(-30));
        company.Payment("ann", "acme", 50_000, LastFebruary);
        company.Payment("ann", "acme", 100_000, LastMarch);
        company.Payment("ann", "acme", 30_000, TestCompany.Day(3));
        return company;
    }

    private static YearOnYearFigure Collections(TestCompany company, Period period, DateTimeOffset now) =>
        FigureReport.Build(company.RepState("ann").Figures(), company.RepState("ann").Targets, company.Engine.Settings, TargetScope.Rep, period, now)
            .SamePeriodLastYear.Single(y => y.Figure == ComparedFigure.Collections);

    [Fact]
    public void RunningMonth_ComparesWithLastYearsMonthProRata()
    {
        var company = Setup();

        var march = Collections(company, TestCompany.March, TestCompany.Day(16));

        Assert.Equal(30_000, march.Actual);
        Assert.Equal(100_000, march.LastYear);
        Assert.Equal(MarchToDate, march.LastYearToDate);
        Assert.Equal((30_000 - MarchToDate) / (double)MarchToDate, march.Growth, 12);
        Assert.True(march.Behind); // 30,000 is more than 20% below 49,596
    }

    [Fact]
    public void RunningQuarter_CountsLastYearsFinishedMonthsInFullAndTheCurrentOneProRata()
    {
        var company = Setup();

        var q1 = Collections(company, TestCompany.Q1, TestCompany.Day(16));

        Assert.Equal(150_000, q1.LastYear);
        Assert.Equal(50_000 + MarchToDate, q1.LastYearToDate);
    }

    [Fact]
    public void EndedPeriod_ComparesWholePeriods_AndIsNeverBehind()
    {
        var company = Setup();

        var march = Collections(company, TestCompany.March, new DateTimeOffset(2026, 4, 2, 0, 0, 0, TimeSpan.Zero));
        var notStarted = Collections(company, Period.OfMonth(2026, 4), TestCompany.Day(16));

        Assert.Equal((100_000L, 100_000L, -0.7, false), (march.LastYear, march.LastYearToDate, Math.Round(march.Growth, 12), march.Behind));
        Assert.Equal((0L, 0L, 0.0, false), (notStarted.LastYear, notStarted.LastYearToDate, notStarted.Growth, notStarted.Behind));
    }

    [Fact]
    public void FallingBehindLastYear_AlertsOncePerPeriodAndRearmsWhenCaughtUp()
    {
        var company = Setup();

        company.Engine.CheckPace(TestCompany.Day(16));
        company.Engine.CheckPace(TestCompany.Day(16, hour: 12));
        var first = AnnAlerts(company);
        company.Payment("ann", "acme", 40_000, TestCompany.Day(16, hour: 13));
        company.Engine.CheckPace(TestCompany.Day(16, hour: 14));
        company.Engine.CheckPace(TestCompany.Day(28));
        var again = AnnAlerts(company).Skip(first.Count).ToList();

        // Month, quarter and year all run behind on collections; nothing else had anything last year.
        Assert.Equal([TestCompany.March, TestCompany.Q1, TestCompany.Year], first.Select(a => a.Period));
        Assert.All(first, a => Assert.Equal((nameof(ComparedFigure.Collections), 30_000L), (a.Metric, a.Actual)));
        Assert.Equal(MarchToDate, first[0].Expected);

        // 70,000 caught up with the month to date on the 16th (about 51,000); by the 28th last March's pace is ahead again.
        var march = Assert.Single(again, a => a.Period == TestCompany.March);
        Assert.Equal(70_000, march.Actual);
        Assert.Equal((long)Math.Floor(100_000 * (27 * 24 + 9) / 744.0), march.Expected);
    }

    [Fact]
    public void RestoredRep_KeepsItsLastYearLatch()
    {
        var company = Setup();
        company.Engine.CheckPace(TestCompany.Day(16));

        var restored = RepState.FromSnapshot(company.RepState("ann").ToSnapshot(), DedupWindow.Default);

        Assert.Equal(3, restored.LastYear.Behind.Count);
        Assert.Empty(restored.LastYear.Check("ann", "east", false, restored.Historical, CompanyCalendar.Utc, TestCompany.Day(17), 0.2));
    }

    [Fact]
    public void Periods_KnowTheirMonthsAndTheYearBefore()
    {
        Assert.Equal(Period.OfQuarter(2025, 1), TestCompany.Q1.YearEarlier);
        Assert.Equal([Period.OfMonth(2026, 1), Period.OfMonth(2026, 2), TestCompany.March], TestCompany.Q1.Months);
        Assert.Equal(12, TestCompany.Year.Months.Count());
        Assert.Equal([TestCompany.March], TestCompany.March.Months);
    }

    private static List<Alert> AnnAlerts(TestCompany company) =>
        company.Engine.Alerts.Where(a => a.Kind == AlertKind.BehindLastYear && a.SubjectId == "ann").ToList();
}
