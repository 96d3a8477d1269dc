namespace SalesOps.Domain.Tests;

/// <summary>Deal costs, gross margin and the dimension counters a won deal credits (docs/semantics.md, "Gross margin").</summary>
public sealed class GrossMarginTests
{
    private static readonly DimensionFigureKey WidgetsMarch = new(Figure.GrossMargin, TestCompany.March, DimensionKind.ProductLine, "widgets");

    [Fact]
    public void CostAtOpeningThenAmountChange_GivesMarginOfTheFinalAmount()
    {
        var company = Company();
        company.Accept(Opened(company, "o1", 100_000) with { Cost = 70_000 });
        company.Accept(new OpportunityAmountChanged(company.NextId(), TestCompany.Day(3), "o1", 120_000));
        company.Win("o1", TestCompany.Day(4));

        var ann = company.RepState("ann").Figures();
        Assert.Equal((120_000L, 50_000L), (ann.Get(Figure.Bookings, TestCompany.March), ann.Get(Figure.GrossMargin, TestCompany.March)));
        Assert.Equal(50_000, company.Company.Figures.Get(Figure.GrossMargin, TestCompany.Q1));
        Assert.Equal(50_000, company.Company.Figures.Get(WidgetsMarch));
    }

    [Fact]
    public void DealWonWithoutCost_AddsBookingsButNoMargin_UntilItsCostArrives()
    {
        var company = Company();
        company.Accept(Opened(company, "o1", 100_000));
        company.Win("o1", TestCompany.Day(4));
        var before = company.RepState("ann").Figures();
        Assert.Equal((100_000L, 0L), (before.Get(Figure.Bookings, TestCompany.March), before.Get(Figure.GrossMargin, TestCompany.March)));

        company.Accept(new OpportunityAmountChanged(company.NextId(), TestCompany.Day(5), "o1", 100_000) { Cost = 130_000 });

        // Sold below cost: the margin is negative.
        Assert.Equal(-30_000, company.RepState("ann").Figures().Get(Figure.GrossMargin, TestCompany.March));
        Assert.Equal(-30_000, company.Company.Figures.Get(Figure.GrossMargin, TestCompany.March));
    }

    [Fact]
    public void OlderCostArrivingLate_DoesNotReplaceTheNewerOne()
    {
        var company = Company();
        company.Accept(Opened(company, "o1", 100_000));
        company.Accept(new OpportunityWon(company.NextId(), TestCompany.Day(6), "o1", 0) { Cost = 40_000 });
        company.Accept(new OpportunityAmountChanged(company.NextId(), TestCompany.Day(5), "o1", 100_000) { Cost = 90_000 });

        Assert.Equal(60_000, company.RepState("ann").Figures().Get(Figure.GrossMargin, TestCompany.March));
        Assert.Equal(40_000, company.Engine.Opportunities["o1"].Cost);
    }

    [Fact]
    public void ReassignedWonDeal_MovesItsMarginAndDimensionCountersToTheNewOwner()
    {
        var company = Company();
        company.Rep("bob", "east");
        company.Accept(Opened(company, "o1", 100_000) with { Cost = 25_000 });
        company.Win("o1", TestCompany.Day(4));
        company.Accept(new OpportunityReassigned(company.NextId(), TestCompany.Day(5), "o1", "bob"));

        var ann = company.RepState("ann").Figures();
        var bob = company.RepState("bob").Figures();
        Assert.Equal((0L, 0L), (ann.Get(Figure.GrossMargin, TestCompany.March), ann.DimensionCount));
        Assert.Equal(75_000, bob.Get(Figure.GrossMargin, TestCompany.March));
        Assert.Equal(100_000, bob.Get(new DimensionFigureKey(Figure.Bookings, TestCompany.Q1, DimensionKind.Customer, "acme")));
        Assert.Equal(75_000, bob.Get(new DimensionFigureKey(Figure.GrossMargin, TestCompany.Year, DimensionKind.Channel, "direct")));
        Assert.Equal(0, bob.Get(new DimensionFigureKey(Figure.Bookings, TestCompany.March, DimensionKind.Customer, "acme"))); // customers: quarters and years only
    }

    [Fact]
    public void ProductLineAndCustomerTargetsSetAfterTheWins_ShowWhatWasCreditedBefore()
    {
        var company = Company();
        company.Customer("beta");
        company.Accept(Opened(company, "o1", 100_000) with { Cost = 60_000 });
        company.Accept(Opened(company, "o2", 50_000, customer: "beta", productLine: "gadgets"));
        company.Win("o1", TestCompany.Day(4));
        company.Win("o2", TestCompany.Day(4));
        company.Payment("ann", "acme", 30_000, TestCompany.Day(6));
        company.Payment("ann", "beta", 10_000, TestCompany.Day(6));
        var acme = TargetDimension.Of(DimensionKind.Customer, "acme");
        company.Accept(new TargetSet(company.NextId(), TestCompany.Day(9), TargetScope.Region, "east", TestCompany.March, TargetMetric.Bookings, 200_000, 200_000)
        {
            Dimension = TargetDimension.Of(DimensionKind.ProductLine, "widgets"),
        });
        company.Accept(new TargetSet(company.NextId(), TestCompany.Day(9), TargetScope.Region, "east", TestCompany.Q1, TargetMetric.Collections, 60_000, 60_000) { Dimension = acme });
        company.Accept(new TargetSet(company.NextId(), TestCompany.Day(9), TargetScope.Region, "east", TestCompany.Q1, TargetMetric.GrossMargin, 80_000, 80_000) { Dimension = acme });

        var east = company.Engine.Regions["east"];
        var march = FigureReport.Build(east.Figures, east.Targets, new EngineSettings(), TargetScope.Region, TestCompany.March, TestCompany.Day(10));
        var quarter = FigureReport.Build(east.Figures, east.Targets, new EngineSettings(), TargetScope.Region, TestCompany.Q1, TestCompany.Day(10));

        Assert.Equal((100_000L, 0.5), (Assert.Single(march.Targets).Actual, march.Targets[0].MustAttainment));
        Assert.Equal(40_000, march.GrossMargin);
        Assert.Equal([(TargetMetric.Collections, 30_000L), (TargetMetric.GrossMargin, 40_000L)], quarter.Targets.Select(t => (t.Metric, t.Actual)));
    }

    [Theory]
    [InlineData(TargetMetric.Collections, DimensionKind.ProductLine, "2026-Q1", "dimension.kind")]
    [InlineData(TargetMetric.Collections, DimensionKind.Channel, "2026-Q1", "dimension.kind")]
    [InlineData(TargetMetric.NewCustomers, DimensionKind.Customer, "2026-Q1", "dimension.kind")]
    [InlineData(TargetMetric.Activities, DimensionKind.Customer, "2026-Q1", "dimension.kind")]
    [InlineData(TargetMetric.Bookings, DimensionKind.Customer, "2026-03", "period")]
    [InlineData(TargetMetric.GrossMargin, DimensionKind.Customer, "2026-W10", "period")]
    [InlineData(TargetMetric.GrossMargin, DimensionKind.ProductLine, "2026-W10", "period")]
    public void ImpossibleMetricDimensionOrPeriod_IsRefusedNamingTheField(TargetMetric metric, DimensionKind kind, string period, string field)
    {
        var company = Company();
        Assert.True(Period.TryParse(period, out var p));

        var outcome = company.Send(new TargetSet(company.NextId(), TestCompany.T0, TargetScope.Rep, "ann", p, metric, 10, 10) { Dimension = TargetDimension.Of(kind, "acme") });

        Assert.Equal((OutcomeCode.InvalidArgument, field), (outcome.Code, outcome.Field));
        Assert.Equal(0, company.RepState("ann").Targets.Count);
    }

    [Fact]
    public void NegativeCostOrOverlongProductLine_IsRefusedNamingTheField()
    {
        var company = Company();

        var cost = company.Send(Opened(company, "o1", 100_000) with { Cost = -1 });
        var line = company.Send(Opened(company, "o2", 100_000, productLine: new string('p', 129)));
        var value = company.Send(new TargetSet(company.NextId(), TestCompany.T0, TargetScope.Rep, "ann", TestCompany.Q1, TargetMetric.Bookings, 10, 10)
        {
            Dimension = TargetDimension.Of(DimensionKind.ProductLine, new string('p', 129)),
        });

        Assert.Equal((OutcomeCode.InvalidArgument, "cost"), (cost.Code, cost.Field));
        Assert.Equal((OutcomeCode.InvalidArgument, "product_line"), (line.Code, line.Field));
        Assert.Equal((OutcomeCode.InvalidArgument, "dimension.value"), (value.Code, value.Field));
        Assert.DoesNotContain(company.Engine.Opportunities.Values, o => o.IsOpened);
    }

    [Fact]
    public void DealWithCostAndRepWithDimensionCounters_RestoreFromTheirSnapshots()
    {
        var company = Company();
        company.Accept(Opened(company, "o1", 100_000) with { Cost = 30_000 });
        company.Win("o1", TestCompany.Day(4));
        company.Payment("ann", "acme", 5_000, TestCompany.Day(6));

        var deal = OpportunityState.FromSnapshot(company.Engine.Opportunities["o1"].ToSnapshot(), DedupWindow.Default);
        var rep = RepState.FromSnapshot(company.RepState("ann").ToSnapshot(), DedupWindow.Default);

        Assert.Equal(30_000, deal.Cost);
        Assert.True(rep.Figures().ContentEquals(company.RepState("ann").Figures()));
        Assert.Equal(5_000, rep.Historical.Get(new DimensionFigureKey(Figure.Collections, TestCompany.Year, DimensionKind.Customer, "acme")));
        Assert.Equal(70_000, rep.Historical.Get(WidgetsMarch));
    }

    private static OpportunityOpened Opened(TestCompany company, string id, long amount, string customer = "acme", string productLine = "widgets") =>
        new(company.NextId(), TestCompany.T0, id, "ann", customer, amount, productLine, "direct", new DateOnly(2026, 4, 15), "lead");

    private static TestCompany Company()
    {
        var company = new TestCompany();
        company.Region("east");
        company.Rep("ann", "east");
        company.Customer("acme");
        return company;
    }
}
