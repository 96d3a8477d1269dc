namespace SalesOps.Domain.Tests;

public sealed class OpportunityTests
{
    private static TestCompany Setup()
    {
        var company = new TestCompany();
        company.Region("east");
        company.Customer("acme");
        company.Rep("ann", "east");
        company.Rep("bob", "east");
        return company;
    }

    private static long PipelineAt(TestCompany company, string rep, string stage)
    {
        StageTable.Default.TryIndexOf(stage, out var index);
        return company.Engine.Reps[rep].Figures().Get(Figure.PipelineAmount, Period.None, (short)index);
    }

    [Fact]
    public void OlderStageChangeArrivingLate_DoesNotOverwriteNewer()
    {
        var company = Setup();
        company.Open("o1", "ann", 10_000);
        company.Stage("o1", "contract_negotiation", TestCompany.Day(10));

        var late = company.Send(new OpportunityStageChanged(company.NextId(), TestCompany.Day(5), "o1", "needs_research", null));

        Assert.Equal(OutcomeCode.Accepted, late.Code);
        Assert.Equal(10_000, PipelineAt(company, "ann", "contract_negotiation"));
        Assert.Equal(0, PipelineAt(company, "ann", "needs_research"));
    }

    [Fact]
    public void SameInstant_LargerEventIdWins()
    {
        var company = Setup();
        company.Open("o1", "ann", 10_000, at: TestCompany.Day(2));
        var at = TestCompany.Day(9);

        company.Accept(new OpportunityStageChanged("b-event", at, "o1", "quote_sent", null));
        company.Accept(new OpportunityStageChanged("a-event", at, "o1", "first_review_passed", null));

        Assert.Equal(10_000, PipelineAt(company, "ann", "quote_sent"));
    }

    [Fact]
    public void DuplicateEvent_ReturnsDuplicateAndChangesNothing()
    {
        var company = Setup();
        company.Open("o1", "ann", 10_000);
        var won = company.Win("o1", TestCompany.Day(12));
        var before = company.Engine.Reps["ann"].Figures();

        var again = company.Send(won);

        Assert.Equal(OutcomeCode.Duplicate, again.Code);
        Assert.True(company.Engine.Reps["ann"].Figures().ContentEquals(before));
        Assert.Equal(10_000, company.Bookings("ann", TestCompany.March));
    }

    [Fact]
    public void EventForUnopenedOpportunity_IsNotFound()
    {
        var company = Setup();

        var outcome = company.Send(new OpportunityWon(company.NextId(), TestCompany.Day(5), "nope", 0));

        Assert.Equal(OutcomeCode.NotFound, outcome.Code);
        Assert.Equal("opportunity_id", outcome.Field);
    }

    [Theory]
    [InlineData("ghost", "acme", "owner_rep_id")]
    [InlineData("ann", "ghost", "customer_id")]
    public void OpenedWithUnknownReference_IsNotFoundNamingTheField(string owner, string customer, string field)
    {
        var company = Setup();

        var outcome = company.Send(new OpportunityOpened(company.NextId(), TestCompany.T0, "o1", owner, customer, 100, "p", "c", new DateOnly(2026, 4, 1), "lead"));

        Assert.Equal(OutcomeCode.NotFound, outcome.Code);
        Assert.Equal(field, outcome.Field);
    }

    [Fact]
    public void RejectedEvent_IsNotRememberedSoItsResendIsAccepted()
    {
        var company = new TestCompany();
        company.Region("east");
        company.Customer("acme");
        var open = new OpportunityOpened("open-1", TestCompany.T0, "o1", "ann", "acme", 100, "p", "c", new DateOnly(2026, 4, 1), "lead");

        var first = company.Send(open);
        company.Rep("ann", "east");
        var resent = company.Send(open);

        Assert.Equal(OutcomeCode.NotFound, first.Code);
        Assert.Equal(OutcomeCode.Accepted, resent.Code);
    }

    [Fact]
    public void SecondOpeningWithAnotherId_IsFailedPrecondition()
    {
        var company = Setup();
        company.Open("o1", "ann", 10_000);

        var outcome = company.Send(new OpportunityOpened(company.NextId(), TestCompany.T0, "o1", "bob", "acme", 5, "p", "c", new DateOnly(2026, 4, 1), "lead"));

        Assert.Equal(OutcomeCode.FailedPrecondition, outcome.Code);
    }

    [Fact]
    public void ReassignedAfterWin_MovesBookingToNewOwner()
    {
        var company = Setup();
        company.Open("o1", "ann", 10_000);
        company.Win("o1", TestCompany.Day(12));

        company.Accept(new OpportunityReassigned(company.NextId(), TestCompany.Day(20), "o1", "bob"));

        Assert.Equal(0, company.Bookings("ann", TestCompany.March));
        // Only the pipeline movements stay with ann: the deal was created in her pipeline and left it when won.
        Assert.All(company.Engine.Reps["ann"].Figures().Values.Keys, k => Assert.True(k.Figure is Figure.PipelineMoveAmount or Figure.PipelineMoveCount or Figure.Headcount, k.ToString()));
        Assert.Equal(10_000, company.Bookings("bob", TestCompany.March));
        Assert.Equal(10_000, company.Company.Figures.Get(Figure.Bookings, TestCompany.March));
    }

    [Fact]
    public void StageChangeAfterWin_ReopensAndUnbooks()
    {
        var company = Setup();
        company.Open("o1", "ann", 10_000);
        company.Win("o1", TestCompany.Day(12));

        company.Stage("o1", "contract_negotiation", TestCompany.Day(14));

        Assert.Equal(0, company.Bookings("ann", TestCompany.March));
        Assert.Equal(0, company.Engine.Reps["ann"].Figures().Get(Figure.WonCount, TestCompany.March));
        Assert.Equal(10_000, PipelineAt(company, "ann", "contract_negotiation"));
        Assert.Equal(0, company.Engine.Customers["acme"].OrderCount);
    }

    [Fact]
    public void WinWithAmount_BooksSignedAmountAndCycleSeconds()
    {
        var company = Setup();
        company.Open("o1", "ann", 10_000, at: TestCompany.Day(2));

        company.Win("o1", TestCompany.Day(4, hour: 10), amount: 12_500);

        var figures = company.Engine.Reps["ann"].Figures();
        Assert.Equal(12_500, figures.Get(Figure.Bookings, TestCompany.Q1));
        Assert.Equal(1, figures.Get(Figure.WonCount, TestCompany.Year));
        Assert.Equal((2 * 24 + 1) * 3600, figures.Get(Figure.CycleSeconds, TestCompany.March));
    }

    [Fact]
    public void LostDeal_CountsLostButIsNotALevel()
    {
        var company = Setup();
        company.Open("o1", "ann", 7_000, stage: "quote_sent");

        company.Lose("o1", TestCompany.Day(6));

        var figures = company.Engine.Reps["ann"].Figures();
        Assert.Equal(1, figures.Get(Figure.LostCount, TestCompany.March));
        Assert.Equal(7_000, figures.Get(Figure.LostAmount, TestCompany.March));
        Assert.Equal(1, figures.Get(Figure.Reached, Period.None, 2));
        Assert.Equal(0, figures.Get(Figure.Reached, Period.None, 3));
        Assert.Equal(0, figures.Get(Figure.PipelineCount, Period.None, 2));
    }
}
