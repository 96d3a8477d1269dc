namespace SalesOps.Domain.Tests;

/// <summary>Activities logged against deals: by product line and win rate by activity load (docs/semantics.md, ADR 0023).</summary>
public sealed class DealActivitiesTests
{
    private static DimensionFigureKey Line(Figure figure, string productLine) => new(figure, TestCompany.March, DimensionKind.ProductLine, productLine);

    private static ActivityLogged Against(TestCompany company, string rep, string deal, DateTimeOffset at, int minutes = 30) =>
        company.Accept(new ActivityLogged(company.NextId(), at, rep, "", ActivityType.Visit, minutes, TimeCategory.T1) { OpportunityId = deal });

    private static (long Won, long Lost) Bucket(FigureSet f, int bucket)
    {
        var b = ActivityReport.Build(f, TestCompany.March).Quality.ByLoad[bucket];
        return (b.Won, b.Lost);
    }

    [Fact]
    public void ActivityArrivingBeforeItsDeal_CountsForTheProductLineOnceTheDealIsOpened()
    {
        var company = new TestCompany();
        company.Region("east");
        company.Customer("acme");
        company.Rep("ann", "east");
        company.Rep("bob", "east");
        Against(company, "ann", "o1", TestCompany.Day(3), minutes: 45);
        Assert.Equal(0, company.RepState("ann").Figures().Get(Line(Figure.ActivityCount, "widgets")));
        Assert.Equal(1, company.Engine.DealActivities.Entries);

        // Opened by bob on the 1st, arriving after ann's visit: the visit counts for widgets, credited to ann.
        company.Open("o1", "bob", 10_000, at: TestCompany.Day(1));
        var ann = company.RepState("ann").Figures();
        Assert.Equal((1L, 45L), (ann.Get(Line(Figure.ActivityCount, "widgets")), ann.Get(Line(Figure.ActivityMinutes, "widgets"))));
        Against(company, "bob", "o1", TestCompany.Day(4), minutes: 15);
        Assert.Equal(2, company.Company.Figures.Get(Line(Figure.ActivityCount, "widgets")));

        var report = ActivityReport.Build(company.Company.Figures, TestCompany.March);
        var line = Assert.Single(report.ProductLines);
        Assert.Equal(("widgets", 2L, 60L), (line.ProductLine, line.Count, line.Minutes));

        // A deal never opened puts its activities in no product line, and they still count as activities.
        Against(company, "ann", "o-typo", TestCompany.Day(5));
        Assert.Equal(2, company.Company.Figures.Get(Line(Figure.ActivityCount, "widgets")));
        Assert.Equal(3, ActivityReport.Build(company.Company.Figures, TestCompany.March).Count);
    }

    [Fact]
    public void ClosedDeal_CountsInTheBucketOfItsActivitiesBeforeTheClose_AndMovesWithLateFacts()
    {
        var company = new TestCompany();
        company.Region("east");
        company.Customer("acme");
        company.Rep("ann", "east");
        company.Rep("bob", "east");
        company.Open("o1", "bob", 10_000, at: TestCompany.Day(1));
        company.Open("o2", "bob", 20_000, at: TestCompany.Day(1));
        company.Open("o3", "bob", 30_000, at: TestCompany.Day(1));
        foreach (var day in new[] { 2, 3, 4 })
        {
            Against(company, "ann", "o1", TestCompany.Day(day));
        }

        Against(company, "bob", "o1", TestCompany.Day(20)); // after the close: not part of the load
        Against(company, "bob", "o2", TestCompany.Day(9));
        company.Win("o1", TestCompany.Day(3, hour: 12)); // after the visits of the 2nd and the 3rd
        company.Lose("o2", TestCompany.Day(10));
        company.Win("o3", TestCompany.Day(10)); // nobody logged an activity against it: bucket 0

        var bob = company.RepState("bob").Figures();
        Assert.Equal(1, bob.Get(Figure.ClosedByActivityLoad, TestCompany.March, 1, ActivityLoad.Won));
        Assert.Equal(1, bob.Get(Figure.ClosedByActivityLoad, TestCompany.March, 1, ActivityLoad.Lost));
        Assert.Equal(0, company.RepState("ann").Figures().Get(Figure.ClosedByActivityLoad, TestCompany.March, 1, ActivityLoad.Won));
        Assert.Equal(((1L, 0L), (1L, 1L), (0L, 0L)), (Bucket(bob, 0), Bucket(bob, 1), Bucket(bob, 2)));
        var quality = ActivityReport.Build(bob, TestCompany.March).Quality;
        Assert.Equal([0, 1, 3, 6, 11], quality.ByLoad.Select(b => b.MinActivities));
        Assert.Equal([0, 2, 5, 10, null], quality.ByLoad.Select(b => b.MaxActivities));
        Assert.Equal((1.0, 0.5), (quality.ByLoad[0].WinRate, quality.ByLoad[1].WinRate));

        // Two visits dated before o2's loss arrive late: 3 activities, bucket 3-5.
        Against(company, "ann", "o2", TestCompany.Day(8));
        Against(company, "ann", "o2", TestCompany.Day(7));
        bob = company.RepState("bob").Figures();
        Assert.Equal(((1L, 0L), (0L, 1L)), (Bucket(bob, 1), Bucket(bob, 2)));

        // A later win re-dates o1 to the 10th: the visit of the 4th now came before it too.
        company.Win("o1", TestCompany.Day(10));
        bob = company.RepState("bob").Figures();
        Assert.Equal(((0L, 0L), (1L, 1L)), (Bucket(bob, 1), Bucket(bob, 2)));

        // Reassigned after the win: the load credit follows the win to ann. Reopened: it is gone.
        company.Accept(new OpportunityReassigned(company.NextId(), TestCompany.Day(11), "o1", "ann"));
        Assert.Equal((1L, 0L), Bucket(company.RepState("ann").Figures(), 2));
        Assert.Equal((0L, 1L), Bucket(company.RepState("bob").Figures(), 2));
        company.Stage("o1", "lead", TestCompany.Day(12));
        Assert.Equal(0, company.Company.Figures.Get(Figure.ClosedByActivityLoad, TestCompany.March, 2, ActivityLoad.Won));
        Assert.Equal(((1L, 0L), (0L, 1L)), (Bucket(company.Company.Figures, 0), Bucket(company.Company.Figures, 2)));
    }

    [Fact]
    public void ManyActivities_FallInTheOpenEndedBucket_AndTheJoinSurvivesItsSnapshot()
    {
        var company = new TestCompany();
        company.Region("east");
        company.Customer("acme");
        company.Rep("ann", "east");
        company.Open("o1", "ann", 10_000, at: TestCompany.Day(1));
        for (var hour = 0; hour < 11; hour++)
        {
            Against(company, "ann", "o1", TestCompany.Day(2, hour));
        }

        company.Win("o1", TestCompany.Day(3));
        Assert.Equal((1L, 0L), Bucket(company.RepState("ann").Figures(), 4));
        Assert.Equal(11, company.Company.Figures.Get(Line(Figure.ActivityCount, "widgets")));

        var copy = DealActivities.FromMemento(company.Engine.DealActivities.ToMemento());
        Assert.Equal(company.Engine.DealActivities.ToMemento(), copy.ToMemento());
        Assert.Equal(11, copy.Entries);
    }

    [Fact]
    public void ActivityWithABlankDeal_IsRefusedNamingTheField()
    {
        var company = new TestCompany();
        company.Region("east");
        company.Rep("ann", "east");
        var outcome = company.Send(new ActivityLogged("a1", TestCompany.Day(2), "ann", "", ActivityType.Call, 5, TimeCategory.T1) { OpportunityId = "  " });
        Assert.Equal((OutcomeCode.InvalidArgument, "opportunity_id"), (outcome.Code, outcome.Field));
        Assert.Equal(0, ActivityReport.Build(company.Company.Figures, TestCompany.March).Count);
    }
}
