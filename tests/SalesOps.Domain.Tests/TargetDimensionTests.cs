namespace SalesOps.Domain.Tests;

/// <summary>Targets by dimension and week periods (docs/semantics.md, "Targets by dimension").</summary>
public sealed class TargetDimensionTests
{
    private static readonly Period Week10 = Period.OfWeek(2026, 10); // Monday 2 March to Sunday 8 March 2026

    [Theory]
    [InlineData("2026-W49", 2026, 49, "2026-11-30")]
    [InlineData("2026-W01", 2026, 1, "2025-12-29")]
    [InlineData("2026-W53", 2026, 53, "2026-12-28")]
    [InlineData("2020-w53", 2020, 53, "2020-12-28")]
    public void IsoWeekText_ParsesToItsMondayAndSevenDays(string text, int year, int week, string monday)
    {
        Assert.True(Period.TryParse(text, out var period));

        Assert.Equal(Period.OfWeek(year, week), period);
        Assert.Equal(DateOnly.Parse(monday, System.Globalization.CultureInfo.InvariantCulture), period.FirstDay);
        Assert.Equal(period.FirstDay.AddDays(7), period.EndDay);
        Assert.Equal(text.ToUpperInvariant(), period.ToString());
    }

    [Theory]
    [InlineData("2025-W53")] // 2025 has 52 ISO weeks
    [InlineData("2026-W00")]
    [InlineData("2026-W54")]
    [InlineData("2026-W1")]
    public void WeekThatDoesNotExist_DoesNotParse(string text) => Assert.False(Period.TryParse(text, out _));

    [Fact]
    public void DayAtYearEnd_FallsInTheIsoWeekOfItsThursday()
    {
        Assert.Equal(Period.OfWeek(2026, 53), Period.WeekOf(new DateOnly(2027, 1, 3)));
        Assert.Equal(Period.OfWeek(2026, 1), Period.WeekOf(new DateOnly(2025, 12, 29)));
    }

    [Theory]
    [InlineData(TargetMetric.Bookings, "period")]
    [InlineData(TargetMetric.Collections, "period")]
    [InlineData(TargetMetric.NewCustomers, "period")]
    public void WeekTargetOfAMetricOtherThanActivities_IsRefusedNamingPeriod(TargetMetric metric, string field)
    {
        var company = Ann();
        var before = company.RepState("ann").Targets.Count;

        var outcome = company.Send(new TargetSet(company.NextId(), TestCompany.T0, TargetScope.Rep, "ann", Week10, metric, 10, 20));

        Assert.Equal((OutcomeCode.InvalidArgument, field), (outcome.Code, outcome.Field));
        Assert.Equal(before, company.RepState("ann").Targets.Count);
    }

    [Fact]
    public void ActivityTypeDimensionOnBookings_IsRefusedNamingTheDimensionKind()
    {
        var company = Ann();

        var outcome = company.Send(new TargetSet(company.NextId(), TestCompany.T0, TargetScope.Rep, "ann", TestCompany.March, TargetMetric.Bookings, 10, 20)
        {
            Dimension = TargetDimension.Of(ActivityType.Visit),
        });

        Assert.Equal((OutcomeCode.InvalidArgument, "dimension.kind"), (outcome.Code, outcome.Field));
        Assert.Equal(0, company.RepState("ann").Targets.Count);
    }

    [Fact]
    public void ActivityTypeDimensionWithUnknownType_IsRefusedNamingTheActivityType()
    {
        var company = Ann();

        var outcome = company.Send(new TargetSet(company.NextId(), TestCompany.T0, TargetScope.Rep, "ann", TestCompany.March, TargetMetric.Activities, 10, 20)
        {
            Dimension = new TargetDimension(DimensionKind.ActivityType, "Lunch"),
        });

        Assert.Equal((OutcomeCode.InvalidArgument, "dimension.activity_type"), (outcome.Code, outcome.Field));
    }

    [Fact]
    public void VisitTargetsForTheWeekAndTheMonth_CountOnlyVisitsOfTheirPeriod_EvenWhenSetAfterTheActivities()
    {
        var company = Ann();
        company.Activity("ann", TestCompany.Day(2), type: ActivityType.Visit);
        company.Activity("ann", TestCompany.Day(3), type: ActivityType.Visit, category: TimeCategory.T2);
        company.Activity("ann", TestCompany.Day(4), type: ActivityType.Call);
        company.Activity("ann", TestCompany.Day(9), type: ActivityType.Visit); // the next week
        var visits = TargetDimension.Of(ActivityType.Visit);
        company.Accept(new TargetSet(company.NextId(), TestCompany.Day(10), TargetScope.Rep, "ann", Week10, TargetMetric.Activities, 4, 5) { Dimension = visits });
        company.Accept(new TargetSet(company.NextId(), TestCompany.Day(10), TargetScope.Rep, "ann", Week10, TargetMetric.Activities, 10, 12));
        company.Accept(new TargetSet(company.NextId(), TestCompany.Day(10), TargetScope.Rep, "ann", TestCompany.March, TargetMetric.Activities, 6, 9) { Dimension = visits });

        var rep = company.RepState("ann");
        var week = FigureReport.Build(rep.Figures(), rep.Targets, new EngineSettings(), TargetScope.Rep, Week10, new DateTimeOffset(2026, 3, 5, 12, 0, 0, TimeSpan.Zero));
        var month = FigureReport.Build(rep.Figures(), rep.Targets, new EngineSettings(), TargetScope.Rep, TestCompany.March, TestCompany.Day(10));

        // The whole metric first, then its dimensions: all three activities of the week, then its two visits.
        Assert.Equal([(TargetDimension.None, 3L), (visits, 2L)], week.Targets.Select(t => (t.Dimension, t.Actual)));
        Assert.Equal(3, week.ActivityTotal);
        Assert.Equal(0.5, week.Targets[1].MustAttainment, 12);
        Assert.Equal(0.5, week.Targets[1].ElapsedShare, 12); // Thursday noon of a Monday-to-Sunday week
        Assert.Equal(1.0, week.Targets[1].Pace, 12);
        Assert.Empty(week.SamePeriodLastYear);
        var target = Assert.Single(month.Targets);
        Assert.Equal((visits, 3L, 0.5), (target.Dimension, target.Actual, target.MustAttainment));
        Assert.Equal(3, company.Company.Figures.Get(Figure.ActivityCount, Week10, (short)ActivityType.Visit, (short)TimeCategory.T1)
            + company.Company.Figures.Get(Figure.ActivityCount, Week10, (short)ActivityType.Visit, (short)TimeCategory.T2)
            + company.Company.Figures.Get(Figure.ActivityCount, Week10, (short)ActivityType.Call, (short)TimeCategory.T1));
    }

    [Fact]
    public void TargetsOfTheSameMetricAndPeriod_AreKeptPerDimensionValue()
    {
        var company = Ann();
        company.Accept(new TargetSet("t1", TestCompany.Day(3), TargetScope.Rep, "ann", TestCompany.March, TargetMetric.Activities, 10, 10) { Dimension = TargetDimension.Of(ActivityType.Call) });
        company.Accept(new TargetSet("t2", TestCompany.Day(3), TargetScope.Rep, "ann", TestCompany.March, TargetMetric.Activities, 20, 20) { Dimension = TargetDimension.Of(ActivityType.Visit) });
        company.Accept(new TargetSet("t3", TestCompany.Day(4), TargetScope.Rep, "ann", TestCompany.March, TargetMetric.Activities, 30, 30) { Dimension = TargetDimension.Of(ActivityType.Call) });
        company.Accept(new TargetSet("t0", TestCompany.Day(2), TargetScope.Rep, "ann", TestCompany.March, TargetMetric.Activities, 40, 40) { Dimension = TargetDimension.Of(ActivityType.Visit) });

        var book = company.RepState("ann").Targets;

        Assert.Equal(2, book.Count);
        Assert.Equal(30, book.Get(new TargetKey(TestCompany.March, TargetMetric.Activities, TargetDimension.Of(ActivityType.Call)))?.MustAchieve);
        Assert.Equal(20, book.Get(new TargetKey(TestCompany.March, TargetMetric.Activities, TargetDimension.Of(ActivityType.Visit)))?.MustAchieve);
        Assert.Null(book.Get(TestCompany.March, TargetMetric.Activities));
    }

    [Fact]
    public void RepWithDimensionTargets_RestoresThemFromItsSnapshot()
    {
        var company = Ann();
        company.Accept(new TargetSet(company.NextId(), TestCompany.Day(3), TargetScope.Rep, "ann", Week10, TargetMetric.Activities, 10, 12) { Dimension = TargetDimension.Of(ActivityType.Demo) });
        company.Accept(new TargetSet(company.NextId(), TestCompany.Day(3), TargetScope.Rep, "ann", Week10, TargetMetric.Activities, 11, 13));

        var restored = RepState.FromSnapshot(company.RepState("ann").ToSnapshot(), DedupWindow.Default);

        Assert.Equal(
            company.RepState("ann").Targets.All.OrderBy(t => t.Key.ToString(), StringComparer.Ordinal),
            restored.Targets.All.OrderBy(t => t.Key.ToString(), StringComparer.Ordinal));
    }

    [Fact]
    public void VisitTargetBehindPace_RaisesAnAlertNamingItsMetricAndDimension()
    {
        var company = Ann();
        company.Activity("ann", TestCompany.Day(2), type: ActivityType.Visit);
        company.Accept(new TargetSet(company.NextId(), TestCompany.Day(2), TargetScope.Rep, "ann", Week10, TargetMetric.Activities, 10, 10)
        {
            Dimension = TargetDimension.Of(ActivityType.Visit),
        });
        var rep = company.RepState("ann");

        // Thursday noon: half the week gone, 5 visits expected, 1 logged.
        var alert = Assert.Single(new PaceTracker().Check("ann", "east", false, rep.Targets, rep.Figures(), CompanyCalendar.Utc, new DateTimeOffset(2026, 3, 5, 12, 0, 0, TimeSpan.Zero)));

        Assert.Equal((AlertKind.BehindPace, "Activities", TargetDimension.Of(ActivityType.Visit), 1L, 5L), (alert.Kind, alert.Metric, alert.Dimension, alert.Actual, alert.Expected));
        Assert.Equal(Week10, alert.Period);
    }

    private static TestCompany Ann()
    {
        var company = new TestCompany();
        company.Region("east");
        company.Rep("ann", "east");
        return company;
    }
}
