namespace SalesOps.Domain.Tests;

/// <summary>The three at-risk rules (docs/semantics.md, "Deals that stall or slip") and their alerts.</summary>
public sealed class AtRiskTests
{
    private static readonly AtRiskRules Rules = new(10, new Dictionary<string, int>(StringComparer.Ordinal) { ["quote_sent"] = 5 }, 1);

    private static TestCompany Setup(CompanyCalendar? calendar = null)
    {
        var company = new TestCompany(new EngineSettings { AtRisk = Rules, Calendar = calendar ?? CompanyCalendar.Utc });
        company.Region("east");
        company.Customer("acme");
        company.Rep("ann", "east");
        return company;
    }

    private static DealRisk Risk(TestCompany company, string deal, DateTimeOffset now)
    {
        var e = company.Engine;
        return e.Opportunities[deal].Risk(e.Settings.Stages, e.Settings.AtRisk, RiskInstant.Of(e.Settings.Calendar, now)) ?? throw new InvalidOperationException($"{deal} is not open");
    }

    [Fact]
    public void NoStageMovementForTheStagesDays_IsStalled()
    {
        var company = Setup();
        company.Open("o1", "ann", 10_000, stage: "lead", close: new DateOnly(2026, 6, 30), at: TestCompany.T0);
        company.Open("o2", "ann", 10_000, stage: "quote_sent", close: new DateOnly(2026, 6, 30), at: TestCompany.T0);

        var justBefore = TestCompany.T0.AddDays(10).AddTicks(-1);
        Assert.Equal((RiskConditions.None, 9, 10), (Risk(company, "o1", justBefore).Conditions, Risk(company, "o1", justBefore).DaysInStage, Risk(company, "o1", justBefore).StallDays));
        Assert.Equal((RiskConditions.Stalled, 10), (Risk(company, "o1", TestCompany.T0.AddDays(10)).Conditions, Risk(company, "o1", TestCompany.T0.AddDays(10)).DaysInStage));

        // quote_sent has its own five days.
        Assert.Equal((RiskConditions.Stalled, 5, 5), (Risk(company, "o2", TestCompany.T0.AddDays(5)).Conditions, Risk(company, "o2", TestCompany.T0.AddDays(5)).DaysInStage, Risk(company, "o2", TestCompany.T0.AddDays(5)).StallDays));
    }

    [Fact]
    public void StageChangeThatStands_RestartsTheCount_AndALateOlderOneDoesNot()
    {
        var company = Setup();
        company.Open("o1", "ann", 10_000, stage: "lead", close: new DateOnly(2026, 6, 30), at: TestCompany.T0);
        company.Stage("o1", "lead", TestCompany.T0.AddDays(8)); // the same stage reported again counts as movement
        Assert.Equal(4, Risk(company, "o1", TestCompany.T0.AddDays(12)).DaysInStage);

        company.Stage("o1", "needs_research", TestCompany.T0.AddDays(3)); // older: last-writer-wins keeps day 8
        var risk = Risk(company, "o1", TestCompany.T0.AddDays(12));
        Assert.Equal((RiskConditions.None, 4), (risk.Conditions, risk.DaysInStage));

        // A stage dated ahead of "now" (clock skew) counts as zero days, not negative.
        company.Stage("o1", "needs_research", TestCompany.T0.AddDays(20));
        Assert.Equal(0, Risk(company, "o1", TestCompany.T0.AddDays(19)).DaysInStage);
    }

    [Fact]
    public void ExpectedClosePassedInTheCompanyTimeZone_IsOverdue()
    {
        var shanghai = CompanyCalendar.FromId("Asia/Shanghai");
        var company = Setup(shanghai);
        company.Open("o1", "ann", 10_000, close: new DateOnly(2026, 3, 10), at: TestCompany.T0);

        // 15:59 UTC is 23:59 on the 10th in Shanghai: the close date is today, not passed.
        var lastMinute = new DateTimeOffset(2026, 3, 10, 15, 59, 0, TimeSpan.Zero);
        Assert.Equal((RiskConditions.None, 0), (Risk(company, "o1", lastMinute).Conditions, Risk(company, "o1", lastMinute).DaysOverdue));
        var nextDay = lastMinute.AddMinutes(1);
        Assert.Equal((RiskConditions.Overdue, 1), (Risk(company, "o1", nextDay).Conditions, Risk(company, "o1", nextDay).DaysOverdue));

        // Moved out to a later date: no longer overdue.
        company.Stage("o1", "lead", nextDay, new DateOnly(2026, 4, 15));
        Assert.Equal(RiskConditions.None, Risk(company, "o1", nextDay.AddDays(1)).Conditions);
    }

    [Fact]
    public void PushesCount_MovesIntoALaterMonthOnly()
    {
        var company = Setup();
        company.Open("o1", "ann", 10_000, close: new DateOnly(2026, 3, 10), at: TestCompany.Day(2));
        company.Stage("o1", "lead", TestCompany.Day(3), new DateOnly(2026, 3, 25)); // later date, same month: not a push
        company.Stage("o1", "lead", TestCompany.Day(4), new DateOnly(2026, 4, 2)); // push 1
        company.Stage("o1", "lead", TestCompany.Day(5), new DateOnly(2026, 3, 30)); // pulled in
        company.Stage("o1", "lead", TestCompany.Day(6)); // no date: nothing
        Assert.Equal(1, company.Engine.Opportunities["o1"].Pushes);
        Assert.Equal(RiskConditions.None, Risk(company, "o1", TestCompany.Day(7)).Conditions & RiskConditions.Slipping);

        company.Stage("o1", "lead", TestCompany.Day(7), new DateOnly(2027, 1, 5)); // push 2: more than the limit of 1
        var risk = Risk(company, "o1", TestCompany.Day(8));
        Assert.Equal((2, RiskConditions.Slipping), (risk.Pushes, risk.Conditions));
    }

    [Fact]
    public void Pushes_DependOnlyOnTheSetOfEvents_NotTheirArrivalOrder()
    {
        SalesEvent[] changes =
        [
            new OpportunityStageChanged("c1", TestCompany.Day(3), "o1", "lead", new DateOnly(2026, 4, 1)),
            new OpportunityStageChanged("c2", TestCompany.Day(4), "o1", "lead", new DateOnly(2026, 3, 20)),
            new OpportunityStageChanged("c3", TestCompany.Day(5), "o1", "lead", new DateOnly(2026, 5, 1)),
            new OpportunityStageChanged("c4", TestCompany.Day(5), "o1", "lead", new DateOnly(2026, 6, 1)), // same instant: id order
            new OpportunityStageChanged("c5", TestCompany.Day(1), "o1", "lead", new DateOnly(2026, 2, 1)), // dated before the opening
        ];

        // In stamp order the months are 2, 3 (opening), 4, 3, 5, 6: four pushes.
        var counts = new HashSet<int>();
        foreach (var order in Permutations(changes))
        {
            var company = Setup();
            company.Open("o1", "ann", 10_000, close: new DateOnly(2026, 3, 10), at: TestCompany.Day(2));
            foreach (var e in order)
            {
                company.Accept(e);
            }

            counts.Add(company.Engine.Opportunities["o1"].Pushes);
        }

        Assert.Equal([4], counts);
    }

    [Fact]
    public void KeptCloseSettings_AreBoundedByTheDedupWindow()
    {
        var company = new TestCompany(new EngineSettings { AtRisk = Rules, Dedup = new DedupWindow(TimeSpan.FromDays(3), 5) });
        company.Region("east");
        company.Customer("acme");
        company.Rep("ann", "east");
        company.Open("o1", "ann", 10_000, close: new DateOnly(2026, 3, 10), at: TestCompany.Day(1));
        for (var day = 2; day <= 28; day++)
        {
            company.Stage("o1", "lead", TestCompany.Day(day), new DateOnly(2026, 3, 10).AddMonths(day % 2 == 0 ? day : 0));
        }

        var deal = company.Engine.Opportunities["o1"];
        Assert.Equal(14, deal.Pushes); // every even day moves it out to a later month than the day before
        Assert.InRange(deal.CloseSettingsKept, 1, 6);
    }

    [Fact]
    public void ClosedDeal_IsNotAtRisk_AndEngineListsOnlyDealsWithAConditionByID()
    {
        var company = Setup();
        company.Open("o2", "ann", 10_000, close: new DateOnly(2026, 3, 5), at: TestCompany.T0);
        company.Open("o1", "ann", 10_000, close: new DateOnly(2026, 3, 5), at: TestCompany.T0);
        company.Open("o3", "ann", 10_000, close: new DateOnly(2026, 9, 5), at: TestCompany.T0);
        company.Open("o4", "ann", 10_000, close: new DateOnly(2026, 3, 5), at: TestCompany.T0);
        company.Win("o4", TestCompany.Day(3));

        var list = company.Engine.AtRiskOpportunities(TestCompany.Day(8));
        Assert.Equal(["o1", "o2"], list.Select(r => r.Deal.Id));
        Assert.All(list, r => Assert.Equal(RiskConditions.Overdue, r.Risk.Conditions));
        Assert.Null(company.Engine.Opportunities["o4"].Risk(StageTable.Default, Rules, RiskInstant.Of(CompanyCalendar.Utc, TestCompany.Day(8))));
    }

    [Fact]
    public void Alerts_AreRaisedOnceEach_AndReArmedWhenTheDealMoves()
    {
        var company = Setup();
        company.Open("o1", "ann", 50_000, stage: "lead", close: new DateOnly(2026, 3, 20), at: TestCompany.T0);
        var engine = company.Engine;

        engine.CheckRisk(TestCompany.T0.AddDays(9));
        Assert.Empty(engine.Alerts);

        engine.CheckRisk(TestCompany.T0.AddDays(10));
        var stalled = Assert.Single(engine.Alerts);
        Assert.Equal((AlertKind.DealStalled, "o1", "ann", "acme", 50_000L, 10L, 10L), (stalled.Kind, stalled.SubjectId, stalled.OtherId, stalled.CustomerId, stalled.Amount, stalled.Actual, stalled.Expected));
        Assert.Equal(Period.OfMonth(2026, 3), stalled.Period);

        engine.CheckRisk(TestCompany.T0.AddDays(15));
        Assert.Single(engine.Alerts); // still stalled: not again

        // The stage moves: re-armed, and raised again once stalled again. Meanwhile the close date (the 20th) passes.
        company.Stage("o1", "needs_research", TestCompany.T0.AddDays(16));
        engine.CheckRisk(TestCompany.T0.AddDays(20));
        Assert.Equal([AlertKind.DealStalled, AlertKind.DealOverdue], engine.Alerts.Select(a => a.Kind));
        var overdue = engine.Alerts[1];
        Assert.Equal((2L, new DateOnly(2026, 3, 20)), (overdue.Actual, overdue.ExpectedClose));
        engine.CheckRisk(TestCompany.T0.AddDays(26));
        Assert.Equal([AlertKind.DealStalled, AlertKind.DealOverdue, AlertKind.DealStalled], engine.Alerts.Select(a => a.Kind));

        // Overdue is re-armed by a new expected close; two pushes exceed the limit of one, once.
        company.Stage("o1", "needs_research", TestCompany.T0.AddDays(27), new DateOnly(2026, 4, 1));
        company.Stage("o1", "needs_research", TestCompany.T0.AddDays(28), new DateOnly(2026, 5, 1));
        engine.CheckRisk(TestCompany.T0.AddDays(29));
        engine.CheckRisk(new DateTimeOffset(2026, 5, 2, 12, 0, 0, TimeSpan.Zero));
        Assert.Equal(
            [AlertKind.DealStalled, AlertKind.DealOverdue, AlertKind.DealStalled, AlertKind.DealSlipping, AlertKind.DealStalled, AlertKind.DealOverdue],
            engine.Alerts.Select(a => a.Kind));

        // Won: nothing more, whatever time passes.
        company.Win("o1", new DateTimeOffset(2026, 5, 3, 9, 0, 0, TimeSpan.Zero));
        engine.CheckRisk(new DateTimeOffset(2026, 9, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(6, engine.Alerts.Count); // 50,000 is below the big-deal threshold: no celebration either
    }

    [Fact]
    public void RestoredDeal_KeepsItsPushesAndWhichAlertsItRaised()
    {
        var company = Setup();
        company.Open("o1", "ann", 10_000, close: new DateOnly(2026, 3, 10), at: TestCompany.Day(2));
        company.Stage("o1", "lead", TestCompany.Day(4), new DateOnly(2026, 4, 2));
        company.Stage("o1", "lead", TestCompany.Day(6), new DateOnly(2026, 5, 2));
        var deal = company.Engine.Opportunities["o1"];
        var settings = company.Engine.Settings;
        Assert.NotNull(deal.RiskAlerts(settings.Stages, Rules, RiskInstant.Of(settings.Calendar, TestCompany.Day(20))));

        var copy = OpportunityState.FromSnapshot(deal.ToSnapshot(), settings.Dedup);
        Assert.Equal(2, copy.Pushes);
        Assert.Null(copy.RiskAlerts(settings.Stages, Rules, RiskInstant.Of(settings.Calendar, TestCompany.Day(21))));

        // A late setting lands in the restored history where it belongs: before the opening, in January, one push more.
        var late = new OpportunityStageChanged("late", TestCompany.Day(1), "o1", "lead", new DateOnly(2026, 1, 15));
        Assert.Equal(OutcomeCode.Accepted, copy.Apply(late, settings.Stages, out _).Code);
        Assert.Equal(OutcomeCode.Accepted, deal.Apply(late, settings.Stages, out _).Code);
        Assert.Equal((3, 3), (deal.Pushes, copy.Pushes));
        Assert.Equal(deal.ToSnapshot(), copy.ToSnapshot());
    }

    private static IEnumerable<SalesEvent[]> Permutations(SalesEvent[] items)
    {
        if (items.Length <= 1)
        {
            yield return items;
            yield break;
        }

        for (var i = 0; i < items.Length; i++)
        {
            var rest = items.Where((_, j) => j != i).ToArray();
            foreach (var p in Permutations(rest))
            {
                yield return [items[i], .. p];
            }
        }
    }
}
