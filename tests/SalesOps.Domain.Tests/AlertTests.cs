namespace SalesOps.Domain.Tests;

public sealed class AlertTests
{
    private static TestCompany Setup(EngineSettings? settings = null)
    {
        var company = new TestCompany(settings);
        company.Region("east");
        company.Customer("acme");
        company.Rep("ann", "east");
        company.Rep("bob", "east");
        return company;
    }

    private static List<Alert> Of(TestCompany company, AlertKind kind) => company.Engine.Alerts.Where(a => a.Kind == kind).ToList();

    [Fact]
    public void FallingBehindPace_RaisesOnceAndRearmsWhenBackOnPace()
    {
        var company = Setup();
        company.RepTarget("ann", TestCompany.March, TargetMetric.Bookings, 100_000, 120_000);

        company.Engine.CheckPace(TestCompany.Day(16));
        company.Engine.CheckPace(TestCompany.Day(17));
        var afterTwoChecks = Of(company, AlertKind.BehindPace).Count(a => a.SubjectId == "ann");

        company.Open("o1", "ann", 60_000);
        company.Win("o1", TestCompany.Day(17));
        company.Engine.CheckPace(TestCompany.Day(17, hour: 12));
        var whileOnPace = Of(company, AlertKind.BehindPace).Count(a => a.SubjectId == "ann");

        company.Engine.CheckPace(TestCompany.Day(29));
        var annAlerts = Of(company, AlertKind.BehindPace).Where(a => a.SubjectId == "ann").ToList();

        Assert.Equal(1, afterTwoChecks);
        Assert.Equal(1, whileOnPace);
        Assert.Equal(2, annAlerts.Count);
        Assert.Equal(60_000, annAlerts[1].Actual);
        // 29 March 09:00 UTC: 28 days and 9 hours of March's 744 hours have passed.
        Assert.Equal((long)Math.Floor(100_000 * (28 * 24 + 9) / (31.0 * 24)), annAlerts[1].Expected);
    }

    [Fact]
    public void RegionTarget_FallsBehindOnItsOwnFigures()
    {
        var company = Setup();
        company.Accept(new TargetSet(company.NextId(), TestCompany.T0, TargetScope.Region, "east", TestCompany.March, TargetMetric.Activities, 10, 20));

        company.Engine.CheckPace(TestCompany.Day(20));

        var alert = Assert.Single(Of(company, AlertKind.BehindPace));
        Assert.Equal("east", alert.SubjectId);
        Assert.Equal(TestCompany.March, alert.Period);
    }

    [Fact]
    public void WinAtThreshold_RaisesBigDealAlertOnce()
    {
        var company = Setup();
        company.Open("small", "ann", 99_999);
        company.Open("big", "bob", 100_000);

        company.Win("small", TestCompany.Day(10));
        var won = company.Win("big", TestCompany.Day(11));
        company.Send(won);

        var alert = Assert.Single(Of(company, AlertKind.BigDealWon));
        Assert.Equal("big", alert.SubjectId);
        Assert.Equal("bob", alert.OtherId);
        Assert.Equal(100_000, alert.Actual);
    }

    [Fact]
    public void ConfiguredThreshold_AppliesToSignedAmount()
    {
        var company = Setup(new EngineSettings { BigDealThreshold = 1_000_000 });
        company.Open("o1", "ann", 900_000);

        company.Win("o1", TestCompany.Day(10), amount: 1_200_000);

        Assert.Equal(1_200_000, Assert.Single(Of(company, AlertKind.BigDealWon)).Actual);
    }

    [Fact]
    public void Overtake_IsAlertedOnlyOnWatchedBoard()
    {
        var company = Setup();
        var watched = new BoardKey(TestCompany.March, LeaderboardMetric.Bookings);
        company.Engine.Watch(RegionState.CompanyId, watched);
        company.Open("a1", "ann", 50_000);
        company.Open("b1", "bob", 30_000);
        company.Open("b2", "bob", 40_000);
        company.Win("a1", TestCompany.Day(10));
        company.Win("b1", TestCompany.Day(11));

        company.Win("b2", TestCompany.Day(12));

        var alert = Assert.Single(Of(company, AlertKind.Overtake));
        Assert.Equal("bob", alert.SubjectId);
        Assert.Equal("ann", alert.OtherId);
        Assert.Equal(RegionState.CompanyId, alert.ScopeId);
        Assert.Equal(TestCompany.March, alert.Period);
        Assert.Equal(1, alert.Actual);
        Assert.Equal(2, alert.Expected);
    }

    [Fact]
    public void Overtake_OnUnwatchedBoardIsSilent()
    {
        var company = Setup();
        company.Engine.Watch("east", new BoardKey(TestCompany.March, LeaderboardMetric.Collections));
        company.Open("a1", "ann", 50_000);
        company.Open("b1", "bob", 30_000);
        company.Open("b2", "bob", 40_000);
        company.Win("a1", TestCompany.Day(10));
        company.Win("b1", TestCompany.Day(11));

        company.Win("b2", TestCompany.Day(12));

        Assert.Empty(Of(company, AlertKind.Overtake));
        Assert.Equal("bob", company.Engine.Regions["east"].Board(new BoardKey(TestCompany.March, LeaderboardMetric.Bookings))!.EntryAt(1).RepId);
    }
}
