using SalesOps.Domain;

namespace SalesOps.Domain.Tests;

/// <summary>The four reference variables and the target they suggest (docs/semantics.md, "Suggested target").</summary>
public sealed class SuggestedTargetTests
{
    private static readonly Period NextYear = Period.OfYear(2027);

    private static PlanningInputsRecorded Inputs(TestCompany c, TargetScope scope, string id, long? last, long plan, int growth, long points, TargetMetric metric = TargetMetric.Bookings, DateTimeOffset? at = null) =>
        new(c.NextId(), at ?? TestCompany.T0, scope, id, NextYear, metric, last, plan, growth, points);

    private static List<SuggestedTarget> Suggestions(RepState rep, Period period) =>
        FigureReport.Build(rep.Figures(), rep.Targets, new EngineSettings(), TargetScope.Rep, period, TestCompany.Day(20), rep.Inputs).Suggestions.ToList();

    [Fact]
    public void GrowthAboveThePlan_SuggestsLastYearGrownPlusNewGrowthPoints()
    {
        var c = new TestCompany();
        c.Region("east");
        c.Rep("ann", "east");
        c.Accept(Inputs(c, TargetScope.Rep, "ann", 1_000_000, 900_000, 650, 50_000));
        c.RepTarget("ann", NextYear, TargetMetric.Bookings, 1_200_000, 1_400_000);

        var s = Assert.Single(Suggestions(c.RepState("ann"), NextYear));

        // 1,000,000 × 1.065 = 1,065,000 above the plan's 900,000; + 50,000 new growth points.
        Assert.Equal(new SuggestedTarget(TargetMetric.Bookings, 1_000_000, true, 900_000, 650, 50_000, 1_065_000, 1_115_000, 1_200_000, 85_000), s);
        Assert.Empty(Suggestions(c.RepState("ann"), Period.OfQuarter(2027, 1)));
    }

    [Fact]
    public void PlanAboveGrowth_IsTheFloor_AndLastYearDefaultsToTheEnginesOwnFigure()
    {
        var c = new TestCompany();
        c.Region("east");
        c.Rep("ann", "east");
        c.Customer("acme");
        c.Open("o1", "ann", 333_333);
        c.Win("o1", TestCompany.Day(5));
        c.Accept(Inputs(c, TargetScope.Region, "east", null, 300_000, -1_000, 7, TargetMetric.Bookings));
        var east = c.Engine.Regions["east"];

        var s = Assert.Single(FigureReport.Build(east.Figures, east.Targets, new EngineSettings(), TargetScope.Region, NextYear, TestCompany.Day(20), east.Inputs).Suggestions);

        // Last year is the region's 2026 bookings; −10% rounds down to 299,999, under the plan's 300,000.
        Assert.Equal((333_333L, false, 299_999L, 300_007L, (long?)null, (long?)null), (s.LastYearActual, s.LastYearRecorded, s.Grown, s.Suggested, s.MustAchieve, s.Difference));
    }

    [Fact]
    public void LaterInputsWin_AndAnOlderOneArrivingLateChangesNothing()
    {
        var c = new TestCompany();
        c.Region("east");
        c.Rep("ann", "east");
        c.Accept(Inputs(c, TargetScope.Rep, "ann", 100, 0, 0, 0, at: TestCompany.T0.AddHours(2)));
        c.Accept(Inputs(c, TargetScope.Rep, "ann", 999, 0, 0, 0, at: TestCompany.T0.AddHours(1)));
        Assert.Equal(100, Assert.Single(Suggestions(c.RepState("ann"), NextYear)).Suggested);

        var restored = RepState.FromSnapshot(c.RepState("ann").ToSnapshot(), DedupWindow.Default);
        Assert.Equal(100, Assert.Single(Suggestions(restored, NextYear)).Suggested);
    }

    [Theory]
    [InlineData(-10_001, 0L, "industry_growth_bp")]
    [InlineData(100_001, 0L, "industry_growth_bp")]
    [InlineData(0, -1L, "long_term_plan")]
    [InlineData(0, 1_000_000_000_000_001L, "long_term_plan")]
    public void OutOfRangeInputs_AreRefusedNamingTheField(int growth, long plan, string field)
    {
        var c = new TestCompany();
        c.Region("east");
        var outcome = c.Send(Inputs(c, TargetScope.Region, "east", 5, plan, growth, 0));
        Assert.Equal((OutcomeCode.InvalidArgument, field), (outcome.Code, outcome.Field));
        Assert.Equal(0, c.Engine.Regions["east"].Inputs.Count);
    }

    [Fact]
    public void InputsForAMonthOrAnUnknownScope_AreRefused()
    {
        var c = new TestCompany();
        c.Region("east");
        var month = Inputs(c, TargetScope.Region, "east", 5, 0, 0, 0) with { Year = TestCompany.March };
        Assert.Equal((OutcomeCode.InvalidArgument, "year"), (c.Send(month).Code, c.Send(month).Field));
        var nobody = c.Send(Inputs(c, TargetScope.Rep, "nobody", 5, 0, 0, 0));
        Assert.Equal((OutcomeCode.NotFound, "scope_id"), (nobody.Code, nobody.Field));
    }
}
