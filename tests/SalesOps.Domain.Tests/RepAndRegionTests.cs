namespace SalesOps.Domain.Tests;

public sealed class RepAndRegionTests
{
    private static TestCompany Setup()
    {
        var company = new TestCompany();
        company.Region("east");
        company.Region("west");
        company.Region("east-north", "east");
        company.Customer("acme");
        company.Rep("ann", "east-north", TestCompany.Day(1));
        return company;
    }

    [Fact]
    public void BackDatedMove_IsFailedPreconditionOnOccurredAt()
    {
        var company = Setup();
        company.Activity("ann", TestCompany.Day(10));

        var outcome = company.Send(new RepMoved(company.NextId(), TestCompany.Day(9), "ann", "west"));

        Assert.Equal(OutcomeCode.FailedPrecondition, outcome.Code);
        Assert.Equal("occurred_at", outcome.Field);
        Assert.Equal("east-north", company.Engine.Reps["ann"].RegionId);
    }

    [Fact]
    public void MoveAtSameInstantAsCreditedItem_IsRejected()
    {
        var company = Setup();
        company.Payment("ann", "acme", 1_000, TestCompany.Day(10));

        var outcome = company.Send(new RepMoved(company.NextId(), TestCompany.Day(10), "ann", "west"));

        Assert.Equal(OutcomeCode.FailedPrecondition, outcome.Code);
    }

    [Fact]
    public void MoveDatedAtJoin_IsRejected()
    {
        var company = Setup();

        var outcome = company.Send(new RepMoved(company.NextId(), TestCompany.Day(1), "ann", "west"));

        Assert.Equal(OutcomeCode.FailedPrecondition, outcome.Code);
    }

    [Fact]
    public void MoveBeforeJoin_IsNotFound()
    {
        var company = Setup();

        var outcome = company.Send(new RepMoved(company.NextId(), TestCompany.Day(5), "zed", "west"));

        Assert.Equal(OutcomeCode.NotFound, outcome.Code);
        Assert.Equal("rep_id", outcome.Field);
    }

    [Fact]
    public void Move_HistoryStaysAndOpenPipelineMoves()
    {
        var company = Setup();
        company.Activity("ann", TestCompany.Day(5));
        company.Open("o1", "ann", 9_000);
        company.Accept(new RepMoved(company.NextId(), TestCompany.Day(8), "ann", "west"));
        company.Activity("ann", TestCompany.Day(6)); // dated before the move, delivered after it
        company.Activity("ann", TestCompany.Day(9));

        var regions = company.Engine.Regions;
        Assert.Equal(2, regions["east-north"].Figures.Get(Figure.ActivityCount, TestCompany.March, 0, 0));
        Assert.Equal(2, regions["east"].Figures.Get(Figure.ActivityCount, TestCompany.March, 0, 0));
        Assert.Equal(1, regions["west"].Figures.Get(Figure.ActivityCount, TestCompany.March, 0, 0));
        Assert.Equal(3, company.Company.Figures.Get(Figure.ActivityCount, TestCompany.March, 0, 0));
        Assert.Equal(0, regions["east"].Figures.Get(Figure.PipelineAmount, Period.None, 0));
        Assert.Equal(9_000, regions["west"].Figures.Get(Figure.PipelineAmount, Period.None, 0));
        Assert.Equal(9_000, company.Company.Figures.Get(Figure.PipelineAmount, Period.None, 0));
    }

    [Fact]
    public void ItemDatedBeforeJoin_CountsInJoiningRegion()
    {
        var company = Setup();
        company.Accept(new RepMoved(company.NextId(), TestCompany.Day(3), "ann", "west"));

        company.Activity("ann", TestCompany.Day(1).AddDays(-3));

        Assert.Equal(1, company.Engine.Regions["east-north"].Figures.Get(Figure.ActivityCount, Period.OfMonth(2026, 2), 0, 0));
        Assert.Equal(1, company.Engine.Regions["east-north"].Figures.Get(Figure.ActivityCount, TestCompany.Q1, 0, 0));
        Assert.Equal([Figure.Headcount], company.Engine.Regions["west"].Figures.Values.Keys.Select(k => k.Figure).Distinct());
    }

    [Fact]
    public void RegionRedefinedWithSameParentAndName_IsDuplicate_OtherwiseFailedPrecondition()
    {
        var company = Setup();

        var same = company.Send(new RegionDefined(company.NextId(), TestCompany.T0, "east-north", "Region east-north", "east"));
        var renamed = company.Send(new RegionDefined(company.NextId(), TestCompany.T0, "east-north", "Other", "east"));
        var moved = company.Send(new RegionDefined(company.NextId(), TestCompany.T0, "east-north", "Region east-north", "west"));

        Assert.Equal(OutcomeCode.Duplicate, same.Code);
        Assert.Equal(OutcomeCode.FailedPrecondition, renamed.Code);
        Assert.Equal(OutcomeCode.FailedPrecondition, moved.Code);
    }

    [Fact]
    public void RegionUnderUnknownParent_IsNotFound()
    {
        var company = Setup();

        var outcome = company.Send(new RegionDefined(company.NextId(), TestCompany.T0, "south", "South", "nowhere"));

        Assert.Equal(OutcomeCode.NotFound, outcome.Code);
        Assert.Equal("parent_region_id", outcome.Field);
    }

    [Fact]
    public void RegionTargetForUndefinedRegion_IsNotFoundOnScopeId()
    {
        var company = Setup();

        var outcome = company.Send(new TargetSet(company.NextId(), TestCompany.T0, TargetScope.Region, "nowhere", TestCompany.March, TargetMetric.Bookings, 10, 20));

        Assert.Equal(OutcomeCode.NotFound, outcome.Code);
        Assert.Equal("scope_id", outcome.Field);
    }

    [Fact]
    public void SecondJoin_IsFailedPrecondition_SameJoinIsDuplicate()
    {
        var company = new TestCompany();
        company.Region("east");
        var join = company.Rep("ann", "east");

        var again = company.Send(join);
        var other = company.Send(join with { EventId = company.NextId() });

        Assert.Equal(OutcomeCode.Duplicate, again.Code);
        Assert.Equal(OutcomeCode.FailedPrecondition, other.Code);
    }

    [Fact]
    public void NewerTargetWins_WhateverTheArrivalOrder()
    {
        var company = Setup();
        var newer = new TargetSet("t2", TestCompany.Day(5), TargetScope.Rep, "ann", TestCompany.March, TargetMetric.Bookings, 200, 300);
        var older = new TargetSet("t1", TestCompany.Day(4), TargetScope.Rep, "ann", TestCompany.March, TargetMetric.Bookings, 100, 150);

        company.Accept(newer);
        company.Accept(older);

        Assert.Equal(new TargetLevels(200, 300), company.Engine.Reps["ann"].Targets.Get(TestCompany.March, TargetMetric.Bookings));
    }
}
