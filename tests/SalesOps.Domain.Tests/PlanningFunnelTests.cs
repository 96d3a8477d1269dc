namespace SalesOps.Domain.Tests;

public sealed class PlanningFunnelTests
{
    private static readonly Period April = Period.OfMonth(2026, 4);

    private static TestCompany Setup()
    {
        var company = new TestCompany();
        company.Region("east");
        company.Customer("acme");
        company.Rep("ann", "east", new DateTimeOffset(2025, 1, 2, 9, 0, 0, TimeSpan.Zero));
        return company;
    }

    private static PlanningFunnel? Plan(TestCompany company, Period period, DateTimeOffset now) =>
        FigureReport.Build(company.RepState("ann").Figures(), company.RepState("ann").Targets, company.Engine.Settings, TargetScope.Rep, period, now).Plan;

    [Fact]
    public void SeedWorkedExample_FiveOrdersFifteenProposalsSixtyVisitsThreeHundredCalls()
    {
        // Seed 002: target 1,000,000, average order 200,000, proposals:orders 3:1, visits:proposals 4:1, calls:visits 5:1.
        var company = Setup();
        company.RepTarget("ann", April, TargetMetric.Bookings, 1_000_000, 1_200_000);

        var plan = Plan(company, April, TestCompany.Day(16))!;

        Assert.Equal((1_000_000L, 0L, 0m, 0L, 1_000_000L), (plan.Target, plan.Booked, plan.WorkPlatform, plan.BuyingPlatform, plan.Gap));
        Assert.Equal((200_000L, false, 5L), (plan.AverageOrder, plan.AverageOrderObserved, plan.Orders));
        Assert.Equal([(ActivityType.Proposal, 15L), (ActivityType.Visit, 60L), (ActivityType.Call, 300L)], plan.Activities.Select(a => (a.Type, a.Needed)));
        Assert.Equal((new PlanRatio(3, false), new PlanRatio(4, false), new PlanRatio(5, false)), (plan.ProposalsPerOrder, plan.VisitsPerProposal, plan.CallsPerVisit));

        // April 2026 has 22 working days (Monday to Friday); none has gone yet.
        Assert.Equal((22, 0), (plan.WorkingDaysLeft, plan.WorkingDaysGone));
        Assert.Equal(300 / 22.0, plan.Activities[2].NeededPerDay, 12);
        Assert.Equal(300 / 22.0 * 5, plan.Activities[2].NeededPerWeek, 12);
        Assert.False(plan.Behind);
    }

    [Fact]
    public void NoBookingsTarget_NoPlan()
    {
        var company = Setup();
        company.RepTarget("ann", April, TargetMetric.Activities, 100, 120);

        Assert.Null(Plan(company, April, TestCompany.Day(16)));
    }

    [Fact]
    public void Gap_IsWhatIsLeftAfterBookedWorkAndBuyingPlatforms()
    {
        var company = Setup();

        // Last year: acme's first order (new customer, 120,000) in May 2025, a re-order of 240,000 in June 2025.
        company.Open("first", "ann", 120_000, "quote_sent", new DateOnly(2025, 5, 20), new DateTimeOffset(2025, 5, 2, 9, 0, 0, TimeSpan.Zero));
        company.Win("first", new DateTimeOffset(2025, 5, 10, 9, 0, 0, TimeSpan.Zero));
        company.Open("again", "ann", 240_000, "quote_sent", new DateOnly(2025, 6, 20), new DateTimeOffset(2025, 6, 2, 9, 0, 0, TimeSpan.Zero));
        company.Win("again", new DateTimeOffset(2025, 6, 10, 9, 0, 0, TimeSpan.Zero));

        // This March: 300,000 booked, 100,000 open at 40% closing in March.
        company.RepTarget("ann", TestCompany.March, TargetMetric.Bookings, 1_000_000, 1_000_000);
        company.Open("now", "ann", 300_000, "quote_sent", new DateOnly(2026, 3, 10));
        company.Win("now", TestCompany.Day(3));
        company.Open("open", "ann", 100_000, "quote_sent", new DateOnly(2026, 3, 25));

        var now = TestCompany.Day(16);
        var plan = Plan(company, TestCompany.March, now)!;

        // Repeat bookings over March 2025 - February 2026: 240,000, i.e. 20,000 a month; March is 15 days 9 hours of 31 days gone.
        var left = 1 - (15 * 24 + 9) / 744.0;
        var buying = (long)Math.Floor(240_000 * (decimal)left / 12m);
        Assert.Equal((300_000L, 40_000m, buying), (plan.Booked, plan.WorkPlatform, plan.BuyingPlatform));
        Assert.Equal(1_000_000 - 300_000 - 40_000 - buying, plan.Gap);
        Assert.Equal((long)Math.Ceiling(plan.Gap / 200_000m), plan.Orders);
    }

    [Fact]
    public void EnoughHistory_ReplacesTheDefaultsWithTheRepsOwnRatios()
    {
        var company = Setup();
        var at = new DateTimeOffset(2025, 9, 1, 9, 0, 0, TimeSpan.Zero);

        // Over the last twelve whole months: 5 new customers won at 100,000 on average, 10 proposals, 20 visits, 70 calls.
        for (var i = 0; i < 5; i++)
        {
            company.Customer($"c{i}");
            company.Accept(new OpportunityOpened(company.NextId(), at.AddDays(i), $"d{i}", "ann", $"c{i}", 100_000, "platform", "direct", new DateOnly(2025, 10, 1), "quote_sent"));
            company.Win($"d{i}", at.AddDays(i + 10));
        }

        for (var i = 0; i < 100; i++)
        {
            var type = i < 10 ? ActivityType.Proposal : i < 30 ? ActivityType.Visit : ActivityType.Call;
            company.Activity("ann", at.AddDays(30).AddHours(i), type: type);
        }

        company.RepTarget("ann", April, TargetMetric.Bookings, 1_000_000, 1_000_000);
        var plan = Plan(company, April, TestCompany.Day(16))!;

        Assert.Equal((100_000L, true, 10L), (plan.AverageOrder, plan.AverageOrderObserved, plan.Orders));
        Assert.Equal((new PlanRatio(2, true), new PlanRatio(2, true), new PlanRatio(3.5m, true)), (plan.ProposalsPerOrder, plan.VisitsPerProposal, plan.CallsPerVisit));
        Assert.Equal([20L, 40L, 140L], plan.Activities.Select(a => a.Needed));
    }

    [Fact]
    public void OwnRatio_IsAnExactFraction_ThreeProposalsAtTenVisitsPerSixAreFiveVisits()
    {
        var company = new TestCompany(new EngineSettings { Planning = new PlanningSettings { MinHistory = 1 } });
        company.Region("east");
        company.Rep("ann", "east", new DateTimeOffset(2025, 1, 2, 9, 0, 0, TimeSpan.Zero));
        var at = new DateTimeOffset(2025, 9, 1, 9, 0, 0, TimeSpan.Zero);

        // Six new customers at 200,000, six proposals, ten visits: 1 proposal per order, 10/6 visits per proposal.
        for (var i = 0; i < 6; i++)
        {
            company.Customer($"c{i}");
            company.Accept(new OpportunityOpened(company.NextId(), at.AddDays(i), $"d{i}", "ann", $"c{i}", 200_000, "platform", "direct", new DateOnly(2025, 10, 1), "quote_sent"));
            company.Win($"d{i}", at.AddDays(i + 10));
        }

        for (var i = 0; i < 16; i++)
        {
            company.Activity("ann", at.AddDays(30).AddHours(i), type: i < 6 ? ActivityType.Proposal : ActivityType.Visit);
        }

        company.RepTarget("ann", April, TargetMetric.Bookings, 600_000, 600_000);
        var plan = Plan(company, April, TestCompany.Day(16))!;

        Assert.Equal((200_000L, 3L), (plan.AverageOrder, plan.Orders));
        Assert.Equal([3L, 5L], plan.Activities.Take(2).Select(a => a.Needed));
    }

    [Fact]
    public void RunningPeriod_SpreadsWhatIsNeededOverTheWorkingDaysLeft_AndComparesWithWhatWasLogged()
    {
        var company = Setup();
        company.RepTarget("ann", TestCompany.March, TargetMetric.Bookings, 1_000_000, 1_000_000);
        for (var day = 2; day <= 13; day++)
        {
            company.Activity("ann", TestCompany.Day(day), type: ActivityType.Call);
        }

        var plan = Plan(company, TestCompany.March, TestCompany.Day(16))!;

        // March 2026 from Monday the 2nd: 10 working days before the 16th, 12 from the 16th on (Sunday the 1st is no working day).
        Assert.Equal((12, 10), (plan.WorkingDaysLeft, plan.WorkingDaysGone));
        var calls = plan.Activities[2];
        Assert.Equal((300L, 12L), (calls.Needed, calls.Logged));
        Assert.Equal((25.0, 1.2), (calls.NeededPerDay, calls.LoggedPerDay));
        Assert.True(plan.Behind);

        // 15 proposals × 120 + 60 visits × 90 + 300 calls × 15 minutes over 12 days of 480 minutes.
        Assert.Equal((15 * 120 + 60 * 90 + 300 * 15) / (12 * 480.0), plan.Load, 12);
        Assert.True(plan.Overloaded);
    }

    [Fact]
    public void Holidays_AreNoWorkingDays()
    {
        var calendar = new WorkingCalendar([DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday, DayOfWeek.Saturday], [new DateOnly(2026, 10, 1), new DateOnly(2026, 10, 2)]);

        Assert.Equal(6, calendar.DaysPerWeek);
        Assert.Equal(25, calendar.WorkingDays(new DateOnly(2026, 10, 1), new DateOnly(2026, 11, 1))); // 27 Monday-to-Saturday days, two off
    }

    [Fact]
    public void FallingBehindThePlan_AlertsOnce_AndARestoredRepKeepsTheLatch()
    {
        var company = Setup();
        company.RepTarget("ann", TestCompany.March, TargetMetric.Bookings, 1_000_000, 1_000_000);

        company.Engine.CheckPace(TestCompany.Day(16));
        company.Engine.CheckPace(TestCompany.Day(17));
        var alerts = company.Engine.Alerts.Where(a => a.Kind == AlertKind.ActivityPlanBehind).ToList();
        var restored = RepState.FromSnapshot(company.RepState("ann").ToSnapshot(), DedupWindow.Default);

        var alert = Assert.Single(alerts);
        Assert.Equal(("ann", TestCompany.March, nameof(ActivityType.Proposal)), (alert.SubjectId, alert.Period, alert.Metric));
        Assert.Equal((0L, (long)Math.Ceiling(15 / 12.0 * 100)), (alert.Actual, alert.Expected)); // per day, in hundredths
        Assert.Equal([TestCompany.March], restored.Plan.Behind);
        Assert.Empty(restored.Plan.Check("ann", "east", false, restored.Targets, restored.Figures(), company.Engine.Settings, TestCompany.Day(18)));
    }
}
