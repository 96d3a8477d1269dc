namespace SalesOps.Domain.Tests;

public sealed class FigureReportTests
{
    /// <summary>
    /// Ann wins 100,000 (10 days) and 50,000 (20 days), loses 30,000 at quote_sent, all in March 2026; she has
    /// three open deals closing in April/May and a March bookings target of 300,000 / 400,000.
    /// </summary>
    private static TestCompany AnnsMarch()
    {
        var company = new TestCompany();
        company.Region("east");
        company.Customer("acme");
        company.Rep("ann", "east");
        var opened = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        company.Open("w1", "ann", 100_000, at: opened);
        company.Open("w2", "ann", 50_000, at: opened);
        company.Open("l1", "ann", 30_000, stage: "quote_sent", at: opened);
        company.Win("w1", opened.AddDays(10));
        company.Win("w2", opened.AddDays(20));
        company.Lose("l1", opened.AddDays(14));
        company.Open("p1", "ann", 10_000, "needs_research", new DateOnly(2026, 4, 3));
        company.Open("p2", "ann", 20_000, "contract_negotiation", new DateOnly(2026, 4, 28));
        company.Open("p3", "ann", 40_000, "first_review_passed", new DateOnly(2026, 5, 2));
        company.RepTarget("ann", TestCompany.March, TargetMetric.Bookings, 300_000, 400_000);
        return company;
    }

    private static FigureReport Report(TestCompany company, Period period, DateTimeOffset now)
    {
        var rep = company.Engine.Reps["ann"];
        return FigureReport.Build(rep.Figures(), rep.Targets, new EngineSettings(), TargetScope.Rep, period, now);
    }

    [Fact]
    public void ClosedDeals_GiveWinRateAverageDealAndCycleDays()
    {
        var report = Report(AnnsMarch(), TestCompany.March, TestCompany.Day(16));

        Assert.Equal(150_000, report.Bookings);
        Assert.Equal(2, report.WonCount);
        Assert.Equal(1, report.LostCount);
        Assert.Equal(30_000, report.LostAmount);
        Assert.Equal(2.0 / 3.0, report.WinRate, 12);
        Assert.Equal(75_000, report.AverageDealSize, 12);
        Assert.Equal(15, report.AverageCycleDays, 12);
    }

    [Fact]
    public void OpenDeals_GiveForecastAndCategoryForecastsForTheirClosePeriod()
    {
        var company = AnnsMarch();

        var april = Report(company, Period.OfMonth(2026, 4), TestCompany.Day(16));
        var q2 = Report(company, Period.OfQuarter(2026, 2), TestCompany.Day(16));

        // April: 10,000 × 20% + 20,000 × 60%; no bookings in April.
        Assert.Equal(14_000m, april.Forecast);
        Assert.Equal(0, april.CommitForecast);
        Assert.Equal(20_000, april.BestCaseForecast);
        Assert.Equal(30_000, april.PipelineForecast);

        // Q2 adds 40,000 × 80% in May, a commit stage.
        Assert.Equal(46_000m, q2.Forecast);
        Assert.Equal(40_000, q2.CommitForecast);
        Assert.Equal(60_000, q2.BestCaseForecast);
        Assert.Equal(70_000, q2.PipelineForecast);
        Assert.Equal(2_000m + 12_000m + 32_000m, q2.WeightedPipeline);
    }

    [Fact]
    public void BookingsAndOpenDealsInSamePeriod_ForecastAddsBoth()
    {
        var company = AnnsMarch();
        company.Open("p4", "ann", 5_000, "signing_steps_agreed", new DateOnly(2026, 3, 30));

        var march = Report(company, TestCompany.March, TestCompany.Day(16));

        Assert.Equal(150_000m + 4_500m, march.Forecast);
        Assert.Equal(155_000, march.CommitForecast);
    }

    [Fact]
    public void ReachedStages_GiveConversionToNextStage()
    {
        var stages = Report(AnnsMarch(), TestCompany.March, TestCompany.Day(16)).Stages;

        // Reached: w1, w2 every level up to won; l1 up to quote_sent; p1 up to needs_research;
        // p2 up to contract_negotiation; p3 up to first_review_passed.
        // Levels 0..5 reached by 6, 6, 5, 4, 3, 2 deals; won by 2.
        Assert.Equal([6, 6, 5, 4, 3, 2], stages.Select(s => s.Reached));
        Assert.Equal(1.0, stages[0].ConversionToNext, 12);
        Assert.Equal(5.0 / 6.0, stages[1].ConversionToNext, 12);
        Assert.Equal(3.0 / 4.0, stages[3].ConversionToNext, 12);
        Assert.Equal(1.0, stages[5].ConversionToNext, 12);
    }

    [Fact]
    public void TargetHalfwayThroughMonth_GivesAttainmentAndOnPace()
    {
        // 15.5 of 31 days elapsed: expected 150,000, actual 150,000.
        var target = Assert.Single(Report(AnnsMarch(), TestCompany.March, new DateTimeOffset(2026, 3, 16, 12, 0, 0, TimeSpan.Zero)).Targets);

        Assert.Equal(TargetMetric.Bookings, target.Metric);
        Assert.Equal(0.5, target.MustAttainment, 12);
        Assert.Equal(0.375, target.StretchAttainment, 12);
        Assert.Equal(0.5, target.ElapsedShare, 12);
        Assert.Equal(1.0, target.Pace, 12);
        Assert.False(target.BehindPace);
    }

    [Fact]
    public void TargetLateInMonth_IsBehindPace()
    {
        var target = Assert.Single(Report(AnnsMarch(), TestCompany.March, new DateTimeOffset(2026, 3, 25, 0, 0, 0, TimeSpan.Zero)).Targets);

        var expected = 300_000 * 24.0 / 31.0;
        Assert.Equal(150_000 / expected, target.Pace, 12);
        Assert.True(target.BehindPace);
    }

    [Fact]
    public void Activities_CountByTypeAndCategoryAndMinutesByCategory()
    {
        var company = AnnsMarch();
        company.Activity("ann", TestCompany.Day(3), type: ActivityType.Visit, minutes: 90, category: TimeCategory.T1);
        company.Activity("ann", TestCompany.Day(4), type: ActivityType.Visit, minutes: 30, category: TimeCategory.T1);
        company.Activity("ann", TestCompany.Day(5), type: ActivityType.Call, minutes: 15, category: TimeCategory.T3);

        var report = Report(company, TestCompany.March, TestCompany.Day(16));

        Assert.Equal(3, report.ActivityTotal);
        Assert.Contains(new ActivityFigure(ActivityType.Visit, TimeCategory.T1, 2), report.Activities);
        Assert.Contains(new ActivityFigure(ActivityType.Call, TimeCategory.T3, 1), report.Activities);
        Assert.Equal([120L, 0, 15, 0, 0], report.MinutesByTimeCategory);
    }
}
