namespace SalesOps.Domain.Tests;

/// <summary>A rep leaves the company (docs/semantics.md, "A rep leaves").</summary>
public sealed class RepLeftTests
{
    private static readonly DateTimeOffset LeaveAt = TestCompany.Day(10);
    private static readonly Period February = Period.OfMonth(2026, 2);

    /// <summary>Ann (joined 31 January) has February activities, a March win and an open deal when she leaves on 10 March.</summary>
    private static TestCompany Setup()
    {
        var company = new TestCompany();
        company.Region("east");
        company.Region("east-north", "east");
        company.Customer("acme");
        company.Rep("ann", "east-north");
        company.Rep("bob", "east-north");
        company.Activity("ann", new DateTimeOffset(2026, 2, 10, 9, 0, 0, TimeSpan.Zero));
        company.Activity("bob", new DateTimeOffset(2026, 2, 11, 9, 0, 0, TimeSpan.Zero));
        company.Open("o1", "ann", 5_000);
        company.Win("o1", TestCompany.Day(5));
        company.Open("o2", "ann", 7_000);
        company.Open("o3", "bob", 3_000);
        company.Win("o3", TestCompany.Day(6));
        return company;
    }

    private static RepLeft Leave(TestCompany company, string rep = "ann", DateTimeOffset? at = null) =>
        new(company.NextId(), at ?? LeaveAt, rep, "resigned");

    private static Leaderboard? Board(TestCompany company, string region, Period period, LeaderboardMetric metric) =>
        company.Engine.Regions[region].Board(new BoardKey(period, metric));

    [Fact]
    public void Leave_DropsTheRepFromBoardsOfUnfinishedPeriodsAtEveryLevel_AndKeepsEndedOnes()
    {
        var company = Setup();
        Assert.Equal(5_000, Board(company, RegionState.CompanyId, TestCompany.March, LeaderboardMetric.Bookings)!.ScoreOf("ann"));

        company.Accept(Leave(company));

        foreach (var region in new[] { "east-north", "east", RegionState.CompanyId })
        {
            foreach (var period in new[] { TestCompany.March, TestCompany.Q1, TestCompany.Year })
            {
                foreach (var metric in RepState.BoardMetrics)
                {
                    Assert.Null(Board(company, region, period, metric)?.ScoreOf("ann"));
                }
            }

            Assert.Equal(1, Board(company, region, February, LeaderboardMetric.Activities)!.ScoreOf("ann"));
            Assert.Equal(1, Board(company, region, TestCompany.March, LeaderboardMetric.Bookings)!.RankOf("bob"));
        }
    }

    [Fact]
    public void Leave_KeepsTheFiguresTheRepEarned_InTheRepAndEveryRegion()
    {
        var company = Setup();
        var companyBefore = company.Company.Figures.Get(Figure.Bookings, TestCompany.March);

        company.Accept(Leave(company));

        Assert.Equal(5_000, company.Bookings("ann", TestCompany.March));
        Assert.Equal(companyBefore, company.Company.Figures.Get(Figure.Bookings, TestCompany.March));
        Assert.Equal(8_000, company.Engine.Regions["east-north"].Figures.Get(Figure.Bookings, TestCompany.March));
        Assert.Equal(7_000, company.Engine.Regions["east"].Figures.Get(Figure.PipelineAmount, default, 0));
    }

    [Theory]
    [InlineData(10, "rep_id")]
    [InlineData(11, "rep_id")]
    public void ActivityDatedAtOrAfterTheLeave_IsFailedPreconditionNamingRepId(int day, string field)
    {
        var company = Setup();
        company.Accept(Leave(company));

        var outcome = company.Send(new ActivityLogged(company.NextId(), TestCompany.Day(day, 10), "ann", "", ActivityType.Call, 10, TimeCategory.T1));

        Assert.Equal((OutcomeCode.FailedPrecondition, field), (outcome.Code, outcome.Field));
        Assert.Contains("left the company on 2026-03-10", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LaterPaymentMoveAndTarget_AreRefusedNamingTheirRepField()
    {
        var company = Setup();
        company.Accept(Leave(company));

        var payment = company.Send(new PaymentReceived(company.NextId(), TestCompany.Day(12), "ann", "acme", 100));
        company.Region("west");
        var move = company.Send(new RepMoved(company.NextId(), TestCompany.Day(12), "ann", "west"));
        var target = company.Send(new TargetSet(company.NextId(), TestCompany.Day(12), TargetScope.Rep, "ann", TestCompany.Q1, TargetMetric.Bookings, 10, 20));

        Assert.Equal((OutcomeCode.FailedPrecondition, "rep_id"), (payment.Code, payment.Field));
        Assert.Equal((OutcomeCode.FailedPrecondition, "rep_id"), (move.Code, move.Field));
        Assert.Equal((OutcomeCode.FailedPrecondition, "scope_id"), (target.Code, target.Field));
        Assert.Equal(0, company.Engine.Reps["ann"].Figures().Get(Figure.Collections, TestCompany.March));
        Assert.Equal("east-north", company.Engine.Reps["ann"].RegionId);
    }

    [Fact]
    public void LateActivityDatedBeforeTheLeave_IsAccepted_CountsInFigures_ButNotOnTheCurrentBoard()
    {
        var company = Setup();
        company.Accept(Leave(company));

        company.Activity("ann", TestCompany.Day(9));
        company.Activity("ann", new DateTimeOffset(2026, 2, 20, 9, 0, 0, TimeSpan.Zero));

        Assert.Equal(1, company.Engine.Reps["ann"].Figures().Get(Figure.ActivityCount, TestCompany.March, 0, 0));
        Assert.Equal(1, company.Company.Figures.Get(Figure.ActivityCount, TestCompany.March, 0, 0));
        Assert.Null(Board(company, RegionState.CompanyId, TestCompany.March, LeaderboardMetric.Activities)?.ScoreOf("ann"));
        Assert.Equal(2, Board(company, RegionState.CompanyId, February, LeaderboardMetric.Activities)!.ScoreOf("ann"));
    }

    [Fact]
    public void DealsOfADepartedRep_AreOrphanedUntilReassigned_AndCannotBeGivenToThemOrWonFirst()
    {
        var company = Setup();
        company.Accept(Leave(company));

        Assert.Equal(["o2"], company.Engine.OrphanedOpportunities().Select(o => o.Id));
        var opened = company.Send(new OpportunityOpened(
            company.NextId(), TestCompany.Day(11), "o4", "ann", "acme", 1_000, "widgets", "direct", new DateOnly(2026, 5, 1), "lead"));
        var reassignedToAnn = company.Send(new OpportunityReassigned(company.NextId(), TestCompany.Day(11), "o3", "ann"));
        var won = company.Send(new OpportunityWon(company.NextId(), TestCompany.Day(11), "o2", 0));

        Assert.Equal((OutcomeCode.FailedPrecondition, "owner_rep_id"), (opened.Code, opened.Field));
        Assert.False(company.Engine.Opportunities.ContainsKey("o4"));
        Assert.Equal((OutcomeCode.FailedPrecondition, "new_owner_rep_id"), (reassignedToAnn.Code, reassignedToAnn.Field));
        Assert.Equal((OutcomeCode.FailedPrecondition, "opportunity_id"), (won.Code, won.Field));
        Assert.Contains("reassign", won.Message, StringComparison.Ordinal);

        company.Accept(new OpportunityReassigned(company.NextId(), TestCompany.Day(11), "o2", "bob"));
        company.Win("o2", TestCompany.Day(12));

        Assert.Empty(company.Engine.OrphanedOpportunities());
        Assert.Equal(3_000 + 7_000, company.Bookings("bob", TestCompany.March));
        Assert.Equal(5_000, company.Bookings("ann", TestCompany.March));
    }

    [Fact]
    public void WinDatedBeforeTheLeave_ArrivingLate_IsCreditedToTheDepartedRep_AndClearsTheOrphan()
    {
        var company = Setup();
        company.Accept(Leave(company));

        company.Win("o2", TestCompany.Day(8));

        Assert.Empty(company.Engine.OrphanedOpportunities());
        Assert.Equal(12_000, company.Bookings("ann", TestCompany.March));
        Assert.Null(Board(company, RegionState.CompanyId, TestCompany.March, LeaderboardMetric.Bookings)?.ScoreOf("ann"));
    }

    [Fact]
    public void LosingAnOrphanedDeal_ClearsItFromTheList()
    {
        var company = Setup();
        company.Accept(Leave(company));

        company.Lose("o2", TestCompany.Day(12));

        Assert.Empty(company.Engine.OrphanedOpportunities());
    }

    [Fact]
    public void LeaveChecks_NameTheirField()
    {
        var company = Setup();
        var first = Leave(company);
        company.Accept(first);

        Assert.Equal(OutcomeCode.Duplicate, company.Send(first).Code);
        var again = company.Send(Leave(company, at: TestCompany.Day(20)));
        Assert.Equal((OutcomeCode.FailedPrecondition, "rep_id"), (again.Code, again.Field));
        var unknown = company.Send(Leave(company, rep: "zed"));
        Assert.Equal((OutcomeCode.NotFound, "rep_id"), (unknown.Code, unknown.Field));
        var atJoin = company.Send(Leave(company, rep: "bob", at: TestCompany.T0.AddDays(-30)));
        Assert.Equal((OutcomeCode.FailedPrecondition, "occurred_at"), (atJoin.Code, atJoin.Field));
        var noRep = company.Send(Leave(company, rep: ""));
        Assert.Equal((OutcomeCode.InvalidArgument, "rep_id"), (noRep.Code, noRep.Field));
        var longReason = company.Send(new RepLeft(company.NextId(), LeaveAt, "bob", new string('x', 257)));
        Assert.Equal((OutcomeCode.InvalidArgument, "reason"), (longReason.Code, longReason.Field));
        Assert.False(company.Engine.Reps["bob"].HasLeft);
    }

    [Fact]
    public void DepartedRep_RoundTripsThroughItsSnapshot()
    {
        var company = Setup();
        company.Accept(Leave(company));
        var ann = company.Engine.Reps["ann"];

        var back = RepState.FromSnapshot(ann.ToSnapshot(), DedupWindow.Default);

        Assert.Equal(ann.Left, back.Left);
        Assert.Equal(OutcomeCode.FailedPrecondition, back.LogActivity(
            new ActivityLogged("late", TestCompany.Day(11), "ann", "", ActivityType.Call, 5, TimeCategory.T1), CompanyCalendar.Utc, new RepEffects()).Code);
    }
}
