namespace SalesOps.Domain.Tests;

/// <summary>A customer's first won deal counts as a new customer (docs/semantics.md, "New customers").</summary>
public sealed class NewCustomerTests
{
    private static readonly Period February = Period.OfMonth(2026, 2);

    /// <summary>Ann in east, Bob in west, customer acme; deals o1 (Ann) and o2 (Bob) open since 10 February.</summary>
    private static TestCompany Setup()
    {
        var company = new TestCompany();
        company.Region("east");
        company.Region("west");
        company.Customer("acme");
        company.Rep("ann", "east");
        company.Rep("bob", "west");
        company.Open("o1", "ann", 5_000, at: TestCompany.T0.AddDays(-20));
        company.Open("o2", "bob", 7_000, at: TestCompany.T0.AddDays(-20));
        return company;
    }

    private static (long Count, long Amount) NewCustomers(FigureSet figures, Period period) =>
        (figures.Get(Figure.NewCustomers, period), figures.Get(Figure.NewCustomerBookings, period));

    private static (long Count, long Amount) Rep(TestCompany company, string rep, Period period) =>
        NewCustomers(company.RepState(rep).Figures(), period);

    private static (long Count, long Amount) Region(TestCompany company, string region, Period period) =>
        NewCustomers(company.Engine.Regions[region].Figures, period);

    [Fact]
    public void FirstWin_CountsOneNewCustomerForItsOwner_AndLaterWinsAreRepeatBusiness()
    {
        var company = Setup();
        company.Win("o1", TestCompany.Day(5));
        company.Win("o2", TestCompany.Day(9));

        Assert.Equal((1, 5_000), Rep(company, "ann", TestCompany.March));
        Assert.Equal((0, 0), Rep(company, "bob", TestCompany.March));
        Assert.Equal((1, 5_000), Region(company, "east", TestCompany.Q1));
        Assert.Equal((1, 5_000), Region(company, RegionState.CompanyId, TestCompany.Year));

        var report = FigureReport.Build(company.Company.Figures, company.Company.Targets, new EngineSettings(), TargetScope.Region, TestCompany.March, TestCompany.Day(20));
        Assert.Equal((12_000L, 1L, 5_000L, 7_000L), (report.Bookings, report.NewCustomers, report.NewCustomerBookings, report.RepeatBookings));
        var bob = FigureReport.Build(company.RepState("bob").Figures(), company.RepState("bob").Targets, new EngineSettings(), TargetScope.Rep, TestCompany.March, TestCompany.Day(20));
        Assert.Equal((7_000L, 0L, 7_000L), (bob.Bookings, bob.NewCustomers, bob.RepeatBookings));
    }

    [Fact]
    public void EarlierWinArrivingLate_TakesTheCreditFromTheDealWonLater()
    {
        var company = Setup();
        company.Win("o2", TestCompany.Day(9));
        Assert.Equal((1, 7_000), Rep(company, "bob", TestCompany.March));

        // Ann's win is dated 20 February but arrives after Bob's: hers is the first order.
        company.Win("o1", new DateTimeOffset(2026, 2, 20, 9, 0, 0, TimeSpan.Zero));

        Assert.Equal((0, 0), Rep(company, "bob", TestCompany.March));
        Assert.Equal((1, 5_000), Rep(company, "ann", February));
        Assert.Equal((0, 0), Region(company, "west", TestCompany.Year));
        Assert.Equal((1, 5_000), Region(company, "east", TestCompany.Q1));
        Assert.Equal((1, 5_000), Region(company, RegionState.CompanyId, TestCompany.Year));
    }

    [Fact]
    public void FirstDealReopenedThenLost_PassesTheCreditToTheNextWin_AndBackWhenWonAgain()
    {
        var company = Setup();
        company.Win("o1", TestCompany.Day(5));
        company.Win("o2", TestCompany.Day(9));

        company.Stage("o1", "contract_negotiation", TestCompany.Day(12));
        Assert.Equal((0, 0), Rep(company, "ann", TestCompany.March));
        Assert.Equal((1, 7_000), Rep(company, "bob", TestCompany.March));

        company.Lose("o1", TestCompany.Day(13));
        Assert.Equal((1, 7_000), Rep(company, "bob", TestCompany.March));

        // Won again later than Bob's win: Bob's stays the first order.
        company.Win("o1", TestCompany.Day(15), 6_000);
        Assert.Equal((0, 0), Rep(company, "ann", TestCompany.March));
        Assert.Equal((1, 7_000), Rep(company, "bob", TestCompany.March));
        Assert.Equal((1, 7_000), Region(company, RegionState.CompanyId, TestCompany.March));
    }

    [Fact]
    public void SameWinInstant_TheSmallerDealIdIsTheFirst()
    {
        var company = Setup();
        company.Win("o2", TestCompany.Day(9));
        company.Win("o1", TestCompany.Day(9));

        Assert.Equal((1, 5_000), Rep(company, "ann", TestCompany.March));
        Assert.Equal((0, 0), Rep(company, "bob", TestCompany.March));
    }

    [Fact]
    public void FirstDealReassignedOrRepriced_MovesItsCreditLikeItsBooking()
    {
        var company = Setup();
        company.Win("o1", TestCompany.Day(5));
        company.Accept(new OpportunityAmountChanged(company.NextId(), TestCompany.Day(6), "o1", 8_000));
        Assert.Equal((1, 8_000), Rep(company, "ann", TestCompany.March));

        company.Accept(new OpportunityReassigned(company.NextId(), TestCompany.Day(7), "o1", "bob"));
        Assert.Equal((0, 0), Rep(company, "ann", TestCompany.March));
        Assert.Equal((1, 8_000), Rep(company, "bob", TestCompany.March));
        Assert.Equal((8_000, 1), (company.Bookings("bob", TestCompany.March), company.RepState("bob").Figures().Get(Figure.WonCount, TestCompany.March)));

        // Credited where Bob was at the win: west, like the booking.
        Assert.Equal((1, 8_000), Region(company, "west", TestCompany.March));
        Assert.Equal((0, 0), Region(company, "east", TestCompany.March));
    }

    [Fact]
    public void RepWhoLeft_KeepsTheNewCustomerTheyWon_AndAnEarlierLateWinStillMovesIt()
    {
        var company = Setup();
        company.Win("o1", TestCompany.Day(5));
        company.Accept(new RepLeft(company.NextId(), TestCompany.Day(10), "ann", "resigned"));
        Assert.Equal((1, 5_000), Rep(company, "ann", TestCompany.March));
        Assert.Equal((1, 5_000), Region(company, "east", TestCompany.March));

        company.Win("o2", TestCompany.Day(3));
        Assert.Equal((0, 0), Rep(company, "ann", TestCompany.March));
        Assert.Equal((1, 7_000), Rep(company, "bob", TestCompany.March));
    }

    [Fact]
    public void NewCustomerTarget_MeasuresTheNewCustomerCount()
    {
        var company = Setup();
        company.RepTarget("ann", TestCompany.March, TargetMetric.NewCustomers, 2, 3);
        company.Win("o1", TestCompany.Day(5));
        var ann = company.RepState("ann");

        var report = FigureReport.Build(ann.Figures(), ann.Targets, new EngineSettings(), TargetScope.Rep, TestCompany.March, TestCompany.Day(20));

        var target = Assert.Single(report.Targets);
        Assert.Equal((TargetMetric.NewCustomers, 1L, 0.5), (target.Metric, target.Actual, target.MustAttainment));
    }
}
