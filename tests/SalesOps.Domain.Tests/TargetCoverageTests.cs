using SalesOps.Domain;

namespace SalesOps.Domain.Tests;

/// <summary>Top-down against bottom-up (docs/semantics.md): the sums, their roll-up, moves, leaves and the alert.</summary>
public sealed class TargetCoverageTests
{
    private static TargetSet RegionTarget(TestCompany c, string region, Period period, long must, long stretch, TargetMetric metric = TargetMetric.Bookings) =>
        c.Accept(new TargetSet(c.NextId(), TestCompany.T0, TargetScope.Region, region, period, metric, must, stretch));

    private static List<TargetCoverage> Coverage(TestCompany c, string region, Period period) =>
        TargetSums.Coverage(c.Engine.Regions[region].Figures, c.Engine.Regions[region].Targets, period, isRegion: true);

    private static TestCompany Company()
    {
        var c = new TestCompany();
        c.Region("east");
        c.Region("west");
        c.Region("shanghai", "east");
        c.Rep("amy", "shanghai");
        c.Rep("bob", "east");
        c.Rep("cat", "west");
        return c;
    }

    [Fact]
    public void RegionTargetSplitAcrossChildrenAndReps_ShowsBothGaps()
    {
        var c = Company();
        RegionTarget(c, RegionState.CompanyId, TestCompany.Year, 1_000_000, 1_200_000);
        RegionTarget(c, "east", TestCompany.Year, 600_000, 700_000);
        RegionTarget(c, "west", TestCompany.Year, 300_000, 400_000);
        RegionTarget(c, "shanghai", TestCompany.Year, 250_000, 300_000);
        c.RepTarget("amy", TestCompany.Year, TargetMetric.Bookings, 200_000, 250_000);
        c.RepTarget("bob", TestCompany.Year, TargetMetric.Bookings, 350_000, 400_000);
        c.RepTarget("cat", TestCompany.Year, TargetMetric.Bookings, 300_000, 300_000);

        // The company: its direct children east and west (not shanghai), and all three reps.
        var company = Coverage(c, RegionState.CompanyId, TestCompany.Year);
        Assert.Equal(
            [
                new TargetCoverage(TargetMetric.Bookings, CoverageBasis.ChildRegions, 1_000_000, 1_200_000, 2, 900_000, 1_100_000, 100_000, 100_000, true),
                new TargetCoverage(TargetMetric.Bookings, CoverageBasis.Reps, 1_000_000, 1_200_000, 3, 850_000, 950_000, 150_000, 250_000, true),
            ],
            company);

        // East: its child shanghai; reps amy (in shanghai) and bob.
        var east = Coverage(c, "east", TestCompany.Year);
        Assert.Equal((1, 250_000L, 2, 550_000L), (east[0].Parts, east[0].PartsMustAchieve, east[1].Parts, east[1].PartsMustAchieve));

        // A rep raising the plan covers the company's reps' sum; the children's sum is unchanged.
        c.Accept(new TargetSet(c.NextId(), TestCompany.T0.AddHours(1), TargetScope.Rep, "cat", TestCompany.Year, TargetMetric.Bookings, 500_000, 600_000));
        company = Coverage(c, RegionState.CompanyId, TestCompany.Year);
        Assert.Equal((-50_000L, false), (company[1].MustGap, company[1].Uncovered));
        Assert.Equal(900_000, company[0].PartsMustAchieve);
    }

    [Fact]
    public void RepMovesAndLeaves_TheirTargetsFollowThemOrDrop()
    {
        var c = Company();
        RegionTarget(c, "east", TestCompany.Q1, 500_000, 500_000);
        RegionTarget(c, "west", TestCompany.Q1, 500_000, 500_000);
        RegionTarget(c, "west", TestCompany.Year, 900_000, 900_000);
        c.RepTarget("bob", TestCompany.Q1, TargetMetric.Bookings, 300_000, 300_000);
        c.RepTarget("bob", TestCompany.Year, TargetMetric.Bookings, 800_000, 800_000);

        c.Accept(new RepMoved(c.NextId(), TestCompany.Day(10), "bob", "west"));
        Assert.Empty(Coverage(c, "east", TestCompany.Q1));
        Assert.Equal(300_000, Coverage(c, "west", TestCompany.Q1).Single().PartsMustAchieve);

        // Bob leaves in April: the first quarter ended before that and keeps his target; the year drops it.
        c.Accept(new RepLeft(c.NextId(), new DateTimeOffset(2026, 4, 15, 9, 0, 0, TimeSpan.Zero), "bob", "resigned"));
        Assert.Equal(300_000, Coverage(c, "west", TestCompany.Q1).Single().PartsMustAchieve);
        Assert.DoesNotContain(Coverage(c, "west", TestCompany.Year), r => r.Basis == CoverageBasis.Reps);
        Assert.Equal(0, c.Engine.Regions[RegionState.CompanyId].Figures.Get(Figure.RepTargets, TestCompany.Year, (short)TargetMetric.Bookings, TargetSums.Count));
    }

    [Fact]
    public void YearTarget_ComparedWithItsQuartersAndMonths()
    {
        var c = Company();
        c.RepTarget("amy", TestCompany.Year, TargetMetric.Collections, 1_200, 1_500);
        c.RepTarget("amy", Period.OfQuarter(2026, 1), TargetMetric.Collections, 300, 400);
        c.RepTarget("amy", Period.OfQuarter(2026, 2), TargetMetric.Collections, 300, 400);
        c.RepTarget("amy", Period.OfMonth(2026, 1), TargetMetric.Collections, 100, 100);
        c.RepTarget("amy", Period.OfMonth(2026, 2), TargetMetric.Collections, 100, 100);
        c.RepTarget("amy", Period.OfMonth(2026, 3), TargetMetric.Collections, 150, 150);
        var rep = c.RepState("amy");

        var year = TargetSums.Coverage(rep.Figures(), rep.Targets, TestCompany.Year, isRegion: false);
        Assert.Equal([(CoverageBasis.Quarters, 2, 600L, 600L), (CoverageBasis.Months, 3, 350L, 850L)], year.Select(r => (r.Basis, r.Parts, r.PartsMustAchieve, r.MustGap)));

        // The first quarter against its months: 350 of 300, covered.
        var q1 = TargetSums.Coverage(rep.Figures(), rep.Targets, TestCompany.Q1, isRegion: false).Single();
        Assert.Equal((CoverageBasis.Months, 350L, -50L, false), (q1.Basis, q1.PartsMustAchieve, q1.MustGap, q1.Uncovered));
    }

    [Fact]
    public void UncoveredPlan_AlertsOnceAndReArmsWhenCovered()
    {
        var c = Company();
        RegionTarget(c, "west", TestCompany.Year, 500_000, 500_000);
        c.RepTarget("cat", TestCompany.Year, TargetMetric.Bookings, 400_000, 400_000);
        c.Engine.CheckPace(TestCompany.Day(3));
        c.Engine.CheckPace(TestCompany.Day(4));
        var alert = Assert.Single(c.Engine.Alerts, a => a.Kind == AlertKind.PlanUncovered);
        Assert.Equal(("west", "west", nameof(CoverageBasis.Reps), 400_000L, 500_000L, true), (alert.SubjectId, alert.ScopeId, alert.OtherId, alert.Actual, alert.Expected, alert.AboutRegion));

        c.Accept(new TargetSet(c.NextId(), TestCompany.T0.AddHours(1), TargetScope.Rep, "cat", TestCompany.Year, TargetMetric.Bookings, 500_000, 500_000));
        c.Engine.CheckPace(TestCompany.Day(5));
        c.Accept(new TargetSet(c.NextId(), TestCompany.T0.AddHours(2), TargetScope.Rep, "cat", TestCompany.Year, TargetMetric.Bookings, 450_000, 500_000));
        c.Engine.CheckPace(TestCompany.Day(6));
        Assert.Equal(2, c.Engine.Alerts.Count(a => a.Kind == AlertKind.PlanUncovered));
    }

    [Fact]
    public void TargetsByDimension_ComparedWithTheSameDimensionValueOnly()
    {
        var c = Company();
        var software = TargetDimension.Of(DimensionKind.ProductLine, "software");
        var hardware = TargetDimension.Of(DimensionKind.ProductLine, "hardware");
        TargetSet Set(TargetScope scope, string id, Period period, long must, TargetDimension d, TargetMetric metric = TargetMetric.Bookings) =>
            c.Accept(new TargetSet(c.NextId(), TestCompany.T0, scope, id, period, metric, must, must + 10_000) { Dimension = d });

        Set(TargetScope.Region, RegionState.CompanyId, TestCompany.Year, 500_000, software);
        Set(TargetScope.Region, RegionState.CompanyId, TestCompany.Year, 800_000, TargetDimension.None);
        Set(TargetScope.Region, "east", TestCompany.Year, 300_000, software);
        Set(TargetScope.Region, "west", TestCompany.Year, 150_000, software);
        Set(TargetScope.Region, "west", TestCompany.Year, 999_000, hardware); // another value: in no software sum
        Set(TargetScope.Rep, "amy", TestCompany.Year, 120_000, software);
        Set(TargetScope.Rep, "bob", TestCompany.Year, 200_000, software);
        Set(TargetScope.Rep, "cat", TestCompany.Year, 100_000, software);
        Set(TargetScope.Rep, "cat", TestCompany.Year, 700_000, TargetDimension.None);

        // The whole metric first, then its dimensions by kind and value: hardware has no parts at the company's level
        // but west's (a child region's) target, software has both sums.
        var company = Coverage(c, RegionState.CompanyId, TestCompany.Year);
        Assert.Equal(
            [
                (TargetDimension.None, CoverageBasis.Reps, 1, 700_000L, 100_000L, true),
                (software, CoverageBasis.ChildRegions, 2, 450_000L, 50_000L, true),
                (software, CoverageBasis.Reps, 3, 420_000L, 80_000L, true),
            ],
            company.Select(r => (r.Dimension, r.Basis, r.Parts, r.PartsMustAchieve, r.MustGap, r.Uncovered)));

        // Bob moves to west: his software target goes with him, out of east and into west.
        c.Accept(new RepMoved(c.NextId(), TestCompany.Day(10), "bob", "west"));
        Assert.Equal(120_000, Coverage(c, "east", TestCompany.Year).Single(r => r.Basis == CoverageBasis.Reps).PartsMustAchieve);
        var west = Coverage(c, "west", TestCompany.Year).Single(r => r.Dimension == software);
        Assert.Equal((CoverageBasis.Reps, 2, 300_000L, -150_000L, false), (west.Basis, west.Parts, west.PartsMustAchieve, west.MustGap, west.Uncovered));

        // A year by dimension against its quarters of the same value.
        Set(TargetScope.Rep, "amy", Period.OfQuarter(2026, 1), 50_000, software);
        Set(TargetScope.Rep, "amy", Period.OfQuarter(2026, 2), 40_000, hardware);
        var rep = c.RepState("amy");
        var amy = TargetSums.Coverage(rep.Figures(), rep.Targets, TestCompany.Year, isRegion: false).Single();
        Assert.Equal((software, CoverageBasis.Quarters, 1, 50_000L), (amy.Dimension, amy.Basis, amy.Parts, amy.PartsMustAchieve));

        // The alert names the dimension; the uncovered set survives a snapshot.
        c.Engine.CheckPace(TestCompany.Day(11));
        var alert = Assert.Single(c.Engine.Alerts, a => a.Kind == AlertKind.PlanUncovered && a.SubjectId == RegionState.CompanyId && a.OtherId == nameof(CoverageBasis.Reps) && !a.Dimension.IsNone);
        Assert.Equal((software, 420_000L, 500_000L), (alert.Dimension, alert.Actual, alert.Expected));
        var restored = RegionState.FromSnapshot(c.Engine.Regions[RegionState.CompanyId].ToSnapshot(), DedupWindow.Default);
        Assert.True(restored.Coverage.Uncovered.ToHashSet().SetEquals(c.Engine.Regions[RegionState.CompanyId].Coverage.Uncovered));
        Assert.Contains((new TargetKey(TestCompany.Year, TargetMetric.Bookings, software), CoverageBasis.Reps), restored.Coverage.Uncovered);
    }

    [Fact]
    public void SumsBeyondTheRangeOfALong_ReadAsItsMaximumNeverWrapped()
    {
        var f = new FigureSet();
        var max = new TargetLevels(1_000_000_000_000_000, 1_000_000_000_000_000);
        for (var i = 0; i < 9_300; i++)
        {
            TargetSums.Change(f, Figure.RepTargets, new TargetKey(TestCompany.Year, TargetMetric.Bookings), null, max);
        }

        Assert.Equal((9_300, long.MaxValue, long.MaxValue), TargetSums.Read(f, Figure.RepTargets, new TargetKey(TestCompany.Year, TargetMetric.Bookings)));

        // Exact below it: 9,000 × 10^15 + an odd level, and the change of one part retracts exactly what it added.
        for (var i = 0; i < 300; i++)
        {
            TargetSums.Change(f, Figure.RepTargets, new TargetKey(TestCompany.Year, TargetMetric.Bookings), max, null);
        }

        TargetSums.Change(f, Figure.RepTargets, new TargetKey(TestCompany.Year, TargetMetric.Bookings), null, new TargetLevels(16_777_217, 33_554_431));
        Assert.Equal((9_001, 9_000_000_000_000_000_000 + 16_777_217, 9_000_000_000_000_000_000 + 33_554_431), TargetSums.Read(f, Figure.RepTargets, new TargetKey(TestCompany.Year, TargetMetric.Bookings)));
    }
}
