namespace SalesOps.Domain.Tests;

/// <summary>
/// The de-dup window in each entity that de-duplicates by event id (a rep, a deal, a region's targets): a re-send
/// inside the window is a duplicate; an unknown event older than the window is refused naming occurred_at and changes
/// nothing, whether it is a re-send of a forgotten event or arrives for the first time.
/// </summary>
public sealed class DedupWindowEntityTests
{
    /// <summary>Ten days of the entity's own event time, at most 100 ids.</summary>
    private static readonly DedupWindow TenDays = new(TimeSpan.FromDays(10), 100);

    private static TestCompany Setup(DedupWindow? window = null)
    {
        var company = new TestCompany(new EngineSettings { Dedup = window ?? TenDays });
        company.Region("east");
        company.Customer("acme");
        company.Rep("ann", "east", TestCompany.Day(1));
        return company;
    }

    private static void AssertRefusedBeyondWindow(Outcome outcome)
    {
        Assert.Equal(OutcomeCode.FailedPrecondition, outcome.Code);
        Assert.Equal("occurred_at", outcome.Field);
        Assert.Contains("older than the de-dup window", outcome.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be told from a re-send", outcome.Message, StringComparison.Ordinal);
    }

    /// <summary>Everything the engine holds, as bytes: equal before and after means the refusal changed nothing.</summary>
    private static string State(TestCompany company) => string.Join(
        "|",
        company.Engine.Reps.Values.Select(r => Convert.ToBase64String(r.ToSnapshot()))
            .Concat(company.Engine.Opportunities.Values.Select(o => Convert.ToBase64String(o.ToSnapshot())))
            .Concat(company.Engine.Regions.Values.Select(r => Convert.ToBase64String(r.ToSnapshot())))
            .Concat(company.Engine.Customers.Values.Select(c => Convert.ToBase64String(c.ToSnapshot()))));

    [Fact]
    public void RepReSendInsideTheWindow_IsDuplicate()
    {
        var company = Setup();
        var early = company.Activity("ann", TestCompany.Day(10));
        var late = company.Payment("ann", "acme", 5_000, TestCompany.Day(20)); // early is exactly ten days before: kept
        var before = State(company);

        Assert.Equal(OutcomeCode.Duplicate, company.Send(early).Code);
        Assert.Equal(OutcomeCode.Duplicate, company.Send(late).Code);
        Assert.Equal(before, State(company));
        Assert.Equal(5_000, company.RepState("ann").Historical.Get(Figure.Collections, TestCompany.March));
    }

    [Fact]
    public void RepEventOlderThanTheWindow_IsRefusedNamingOccurredAtAndChangesNothing()
    {
        var company = Setup();
        var forgotten = company.Payment("ann", "acme", 5_000, TestCompany.Day(2));
        company.Activity("ann", TestCompany.Day(20)); // the join and the payment fall out of the window
        var before = State(company);

        AssertRefusedBeyondWindow(company.Send(forgotten)); // a re-send: refused, not counted again
        AssertRefusedBeyondWindow(company.Send(new PaymentReceived(company.NextId(), TestCompany.Day(9), "ann", "acme", 7_000)));
        AssertRefusedBeyondWindow(company.Send(new RepMoved(company.NextId(), TestCompany.Day(3), "ann", "east")));
        AssertRefusedBeyondWindow(company.Send(new TargetSet(company.NextId(), TestCompany.Day(5), TargetScope.Rep, "ann", TestCompany.March, TargetMetric.Bookings, 10, 10)));

        Assert.Equal(before, State(company));
        Assert.Equal(5_000, company.RepState("ann").Historical.Get(Figure.Collections, TestCompany.March));
        Assert.True(company.Send(new ActivityLogged(company.NextId(), TestCompany.Day(11), "ann", "", ActivityType.Call, 5, TimeCategory.T1)).IsAccepted);
    }

    [Fact]
    public void RepWithAFullWindow_RefusesAnUnknownEventNotNewerThanItsOldestId()
    {
        var company = Setup(new DedupWindow(TimeSpan.FromDays(300), 3)); // the join and two activities fill it
        company.Activity("ann", TestCompany.Day(5));
        company.Activity("ann", TestCompany.Day(6));
        var before = State(company);

        // Accepting it would forget it at once, and then its own re-send could not be recognised.
        AssertRefusedBeyondWindow(company.Send(new ActivityLogged(company.NextId(), TestCompany.Day(1), "ann", "", ActivityType.Call, 5, TimeCategory.T1)));
        Assert.Equal(before, State(company));

        var newer = company.Activity("ann", TestCompany.Day(3)); // forgets the join, the oldest
        Assert.Equal(OutcomeCode.Duplicate, company.Send(newer).Code);
        Assert.Equal(TestCompany.Day(1), company.RepState("ann").Seen.Horizon);
    }

    [Fact]
    public void DealReSendInsideTheWindow_IsDuplicate()
    {
        var company = Setup();
        var open = company.Open("o1", "ann", 40_000, at: TestCompany.Day(5));
        var won = company.Win("o1", TestCompany.Day(12));
        var before = State(company);

        Assert.Equal(OutcomeCode.Duplicate, company.Send(open).Code);
        Assert.Equal(OutcomeCode.Duplicate, company.Send(won).Code);
        Assert.Equal(before, State(company));
        Assert.Equal(40_000, company.Bookings("ann", TestCompany.March));
    }

    [Fact]
    public void DealEventOlderThanTheWindow_IsRefusedNamingOccurredAtAndChangesNothing()
    {
        var company = Setup();
        company.Open("o1", "ann", 40_000, at: TestCompany.Day(2));
        var stage = company.Stage("o1", "quote_sent", TestCompany.Day(4));
        company.Win("o1", TestCompany.Day(25));
        var before = State(company);

        AssertRefusedBeyondWindow(company.Send(stage));
        AssertRefusedBeyondWindow(company.Send(new OpportunityAmountChanged(company.NextId(), TestCompany.Day(10), "o1", 90_000)));

        Assert.Equal(before, State(company));
        Assert.Equal(40_000, company.Bookings("ann", TestCompany.March));
    }

    [Fact]
    public void RegionTargetReSendInsideTheWindow_IsDuplicateAndOneOlderThanItIsRefused()
    {
        var company = Setup();
        TargetSet Target(int day, long must) =>
            new(company.NextId(), TestCompany.Day(day), TargetScope.Region, "east", TestCompany.March, TargetMetric.Bookings, must, must);
        var first = Target(2, 100_000);
        var second = Target(14, 200_000);
        var inside = Target(10, 150_000);
        Assert.True(company.Send(first).IsAccepted);
        Assert.True(company.Send(second).IsAccepted); // the first is forgotten
        Assert.True(company.Send(inside).IsAccepted);
        var before = State(company);

        Assert.Equal(OutcomeCode.Duplicate, company.Send(inside).Code);
        AssertRefusedBeyondWindow(company.Send(first));
        AssertRefusedBeyondWindow(company.Send(Target(3, 300_000)));

        Assert.Equal(before, State(company));
        Assert.Equal(200_000, company.Engine.Regions["east"].Targets.Get(TestCompany.March, TargetMetric.Bookings)?.MustAchieve);
    }

    [Fact]
    public void FormatOneSnapshotWithEveryId_LoadsIntoAWindowThatDatesThemAtTheRepsNewestEvent()
    {
        var company = Setup();
        var payment = company.Payment("ann", "acme", 5_000, TestCompany.Day(2));
        var activity = company.Activity("ann", TestCompany.Day(6));
        var rep = company.RepState("ann");

        // The format before windows: every accepted id in "seen", no dates.
        var json = System.Text.Json.Nodes.JsonNode.Parse(rep.ToSnapshot())!.AsObject();
        json["formatVersion"] = 1;
        Assert.True(json.Remove("dedup"));
        json["seen"] = new System.Text.Json.Nodes.JsonArray(rep.Memberships[0].Stamp.EventId, payment.EventId, activity.EventId);
        var formatOne = System.Text.Encoding.UTF8.GetBytes(json.ToJsonString());
        var calendar = company.Engine.Settings.Calendar;

        // Under a window that holds them all, every id is still recognised.
        var roomy = RepState.FromSnapshot(formatOne, TenDays);
        Assert.Equal(3, roomy.Seen.Count);
        Assert.Null(roomy.Seen.Horizon);
        Assert.Equal(OutcomeCode.Duplicate, roomy.ReceivePayment(payment, calendar, new RepEffects()).Code);
        Assert.Equal(5_000, roomy.Historical.Get(Figure.Collections, TestCompany.March));

        // Under one that cannot, they go together, dated at the rep's newest event: nothing up to it is counted again.
        var small = RepState.FromSnapshot(formatOne, new DedupWindow(TimeSpan.FromDays(10), 2));
        Assert.Equal(0, small.Seen.Count);
        Assert.Equal(TestCompany.Day(6), small.Seen.Horizon);
        AssertRefusedBeyondWindow(small.ReceivePayment(payment, calendar, new RepEffects()));
        AssertRefusedBeyondWindow(small.LogActivity(activity, calendar, new RepEffects()));
        Assert.True(small.LogActivity(activity with { EventId = "later", OccurredAt = TestCompany.Day(7) }, calendar, new RepEffects()).IsAccepted);
    }
}
