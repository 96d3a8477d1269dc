namespace SalesOps.Domain.Tests;

/// <summary>Forecast submissions, the cut-off and accuracy (docs/semantics.md, "Forecast submissions and accuracy").</summary>
public sealed class ForecastTests
{
    private static readonly BoardKey MarchAccuracy = new(TestCompany.March, LeaderboardMetric.ForecastAccuracy);

    /// <summary>The cut-off of March 2026 at the default 7 days: the start of March 25 (UTC).</summary>
    private static readonly DateTimeOffset MarchCutoff = new(2026, 3, 25, 0, 0, 0, TimeSpan.Zero);

    private static readonly DateTimeOffset AfterMarch = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(1_000_000, 900_000, 90.0)]
    [InlineData(1_000_000, 1_100_000, 90.0)]
    [InlineData(1_000_000, 2_500_000, 0.0)]   // more than double the actual: clamped at 0
    [InlineData(3, 1, 33.3333)]              // rounded to 1/10,000 of a percent
    [InlineData(0, 0, 100.0)]
    [InlineData(0, 5, 0.0)]
    [InlineData(500, 0, 0.0)]
    public void AccuracyFormula_MatchesTheDocumentedExamples(long actual, long commit, double percent) =>
        Assert.Equal(percent, ForecastAccuracy.Percent(actual, commit));

    [Fact]
    public void CutoffDays_PutTheCutoffThatManyLocalDaysBeforeThePeriodsEnd()
    {
        var shanghai = new ForecastRules(CompanyCalendar.FromId("Asia/Shanghai"), 7);
        Assert.Equal(new DateTimeOffset(2026, 3, 25, 0, 0, 0, TimeSpan.FromHours(8)), shanghai.CutoffOf(TestCompany.March));
        Assert.Equal(new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.FromHours(8)), shanghai.EndOf(TestCompany.March));
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), new ForecastRules(CompanyCalendar.Utc, 0).CutoffOf(TestCompany.Year));
    }

    [Fact]
    public void SubmissionAfterTheCutoff_IsKeptAndListedButTheLastOneBeforeItCounts()
    {
        var c = NewCompany();
        c.Win("o1", TestCompany.Day(10), 1_000_000);
        var counted = Submit(c, TestCompany.Day(20), 800_000);
        var late = Submit(c, MarchCutoff, 1_000_000); // at the cut-off: too late
        var early = Submit(c, TestCompany.Day(5), 300_000);

        var view = View(c, AfterMarch);
        Assert.Equal([early.EventId, counted.EventId, late.EventId], view.Submissions.Select(s => s.EventId)); // in date order
        Assert.Equal(late.EventId, view.Latest!.EventId);
        Assert.True(view.Ended);
        Assert.Equal(counted.EventId, view.Score!.Counted.EventId);
        Assert.Equal(1_000_000, view.Score.Actual);
        Assert.Equal(80.0, view.Score.AccuracyPercent);
        Assert.Equal([TestCompany.March], view.History.Select(h => h.Period));
    }

    [Fact]
    public void PeriodNotEnded_HasNoAccuracyAndNoBoardScore()
    {
        var c = NewCompany();
        c.Win("o1", TestCompany.Day(10), 1_000_000);
        Submit(c, TestCompany.Day(20), 800_000);
        c.Engine.CloseForecastPeriods(AfterMarch.AddSeconds(-1));

        Assert.Null(View(c, AfterMarch.AddSeconds(-1)).Score);
        Assert.Null(c.Company.Board(MarchAccuracy));
        Assert.Equal(1_000_000m, View(c, AfterMarch.AddSeconds(-1)).SystemForecast); // bookings; no open deal closes in March
    }

    [Fact]
    public void LateEventsAfterThePeriodEnded_MoveTheAccuracyBoard()
    {
        var c = NewCompany();
        c.Win("o1", TestCompany.Day(10), 1_000_000);
        Submit(c, TestCompany.Day(20), 800_000);
        c.Engine.CloseForecastPeriods(AfterMarch);
        Assert.Equal(80.0, c.Company.Board(MarchAccuracy)!.ScoreOf("amy"));

        // A win dated in March arrives in April: the actual grows, the accuracy follows.
        c.Open("o2", "amy", 200_000);
        c.Win("o2", TestCompany.Day(28));
        Assert.Equal(Math.Round((1 - 400_000.0 / 1_200_000) * 100, 4), c.Company.Board(MarchAccuracy)!.ScoreOf("amy"));

        // A submission dated before the cut-off arrives late too: it is now the one that counts.
        Submit(c, MarchCutoff.AddSeconds(-1), 1_200_000);
        Assert.Equal(100.0, c.Company.Board(MarchAccuracy)!.ScoreOf("amy"));
        Assert.Equal(100.0, c.Engine.Regions["west"].Board(MarchAccuracy)!.ScoreOf("amy"));
    }

    [Fact]
    public void AccuracyBoard_RanksRepsOfTheRegionByAccuracy()
    {
        var c = NewCompany();
        c.Rep("bob", "west");
        c.Rep("cai", "east");
        c.Win("o1", TestCompany.Day(10), 1_000_000);
        c.Open("o3", "bob", 400_000);
        c.Win("o3", TestCompany.Day(11));
        Submit(c, TestCompany.Day(20), 800_000);
        Submit(c, TestCompany.Day(20), 380_000, "bob");
        Submit(c, TestCompany.Day(20), 0, "cai"); // nothing booked, nothing committed: exact
        c.Engine.CloseForecastPeriods(AfterMarch);

        var west = c.Engine.Regions["west"].Board(MarchAccuracy)!;
        Assert.Equal([("bob", 95.0), ("amy", 80.0)], west.Top(10).Select(e => (e.RepId, e.Score)));
        var company = c.Company.Board(MarchAccuracy)!;
        Assert.Equal(["cai", "bob", "amy"], company.Top(10).Select(e => e.RepId));
    }

    [Fact]
    public void RegionSubmission_IsScoredOnTheRegionsBookings()
    {
        var c = NewCompany();
        c.Rep("bob", "west");
        c.Win("o1", TestCompany.Day(10), 1_000_000);
        c.Open("o3", "bob", 500_000);
        c.Win("o3", TestCompany.Day(11));
        c.Accept(new ForecastSubmitted(c.NextId(), TestCompany.Day(3), TargetScope.Region, "west", TestCompany.March, 1_200_000, 1_600_000, "vp-sales", "two big ones"));

        var west = c.Engine.Regions["west"];
        var view = ForecastView.Build(west.Forecasts, west.Figures, c.Engine.Settings.Stages, TestCompany.March, AfterMarch, c.Engine.Settings.Forecasts);
        Assert.Equal(1_500_000, view.Score!.Actual);
        Assert.Equal(80.0, view.Score.AccuracyPercent);
        Assert.Equal("vp-sales", view.Latest!.SubmittedBy);
    }

    [Theory]
    [InlineData(-1, 10, "commit")]
    [InlineData(20, 10, "best_case")]
    [InlineData(0, EventValidator.MaxAmount + 1, "best_case")]
    public void BadAmounts_AreRefusedNamingTheFieldAndChangeNothing(long commit, long bestCase, string field)
    {
        var c = NewCompany();
        var outcome = c.Send(new ForecastSubmitted(c.NextId(), TestCompany.Day(3), TargetScope.Rep, "amy", TestCompany.March, commit, bestCase, "", ""));
        Assert.Equal((OutcomeCode.InvalidArgument, field), (outcome.Code, outcome.Field));
        Assert.Equal(0, c.RepState("amy").Forecasts.Count);
    }

    [Fact]
    public void SubmissionForAnUnknownScope_IsNotFoundNamingScopeId()
    {
        var c = NewCompany();
        var rep = c.Send(new ForecastSubmitted(c.NextId(), TestCompany.Day(3), TargetScope.Rep, "nobody", TestCompany.March, 1, 2, "", ""));
        var region = c.Send(new ForecastSubmitted(c.NextId(), TestCompany.Day(3), TargetScope.Region, "nowhere", TestCompany.March, 1, 2, "", ""));
        Assert.Equal((OutcomeCode.NotFound, "scope_id"), (rep.Code, rep.Field));
        Assert.Equal((OutcomeCode.NotFound, "scope_id"), (region.Code, region.Field));
    }

    [Fact]
    public void RepSnapshot_KeepsSubmissionsAndScoredPeriods()
    {
        var c = NewCompany();
        c.Win("o1", TestCompany.Day(10), 1_000_000);
        Submit(c, TestCompany.Day(20), 800_000);
        Submit(c, TestCompany.Day(26), 900_000);
        c.Engine.CloseForecastPeriods(AfterMarch);

        var copy = RepState.FromSnapshot(c.RepState("amy").ToSnapshot(), DedupWindow.Default);
        Assert.Equal(c.RepState("amy").Forecasts.Of(TestCompany.March), copy.Forecasts.Of(TestCompany.March));
        Assert.Equal(80.0, copy.ScoreFor(MarchAccuracy));
        Assert.Null(copy.NextForecastEnd(c.Engine.Settings.Forecasts));
    }

    private static TestCompany NewCompany()
    {
        var c = new TestCompany();
        c.Region("west");
        c.Region("east");
        c.Customer("acme");
        c.Rep("amy", "west");
        c.Open("o1", "amy", 1_000_000);
        return c;
    }

    private static ForecastSubmitted Submit(TestCompany c, DateTimeOffset at, long commit, string rep = "amy") =>
        c.Accept(new ForecastSubmitted(c.NextId(), at, TargetScope.Rep, rep, TestCompany.March, commit, commit + 100_000, rep, ""));

    private static ForecastView View(TestCompany c, DateTimeOffset now, string rep = "amy") =>
        ForecastView.Build(c.RepState(rep).Forecasts, c.RepState(rep).Figures(), c.Engine.Settings.Stages, TestCompany.March, now, c.Engine.Settings.Forecasts);
}
