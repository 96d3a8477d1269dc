using Grpc.Core;
using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests;

/// <summary>
/// A server of its own, since these tests move the engine clock forward (the other API tests read it where it starts):
/// stall days 20, 10 in quote_sent, a push limit of 1, and an at-risk check every 100 ms.
/// </summary>
public sealed class AtRiskServerFixture() : ServerFixture(new Dictionary<string, string>
{
    ["Engine:StallDays"] = "20",
    ["Engine:StallDaysByStage:quote_sent"] = "10",
    ["Engine:PushLimit"] = "1",
    ["Engine:AtRiskCheckInterval"] = "00:00:00.100",
});

[CollectionDefinition(Name)]
public sealed class AtRiskServerCollection : ICollectionFixture<AtRiskServerFixture>
{
    public const string Name = "at-risk server";
}

/// <summary>Deals that stall or slip, end to end: the list RPC and the three alerts, with the engine clock moved.</summary>
[Collection(AtRiskServerCollection.Name)]
public sealed class AtRiskApiTests(AtRiskServerFixture server)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private Task<V1.ListAtRiskOpportunitiesResponse> ListAsync(string scope, string? rep = null)
    {
        var request = new V1.ListAtRiskOpportunitiesRequest { ScopeRegionId = scope };
        if (rep is not null)
        {
            request.RepId = rep;
        }

        return server.Query.ListAtRiskOpportunitiesAsync(request, deadline: DateTime.UtcNow + Deadline).ResponseAsync;
    }

    [Fact]
    public async Task ClockMovedPastThresholds_ListsStalledOverdueAndSlippingDeals_AndAlertsEachOnce()
    {
        var s = new Scenario("api-risk");
        // T0 is 5 November 12:00; the engine clock stands at 15 November 12:00.
        var ack = await server.SendBatchAsync(
            "setup",
            s.Region("p"),
            s.Region("c", "p"),
            s.Rep("ann", "c"),
            s.Rep("bob", "p"),
            s.Customer("acme"),
            s.Open("stall", "ann", "acme", 100_000, "quote_sent", h: 1, close: new DateOnly(2026, 12, 20)),
            s.Open("late", "bob", "acme", 200_000, "lead", h: 1, close: new DateOnly(2026, 11, 20)),
            s.Open("slip", "ann", "acme", 300_000, "lead", h: 1, close: new DateOnly(2026, 11, 28)),
            new OpportunityStageChanged(s.NextEventId(), s.At(2), s.Id("slip"), "lead", new DateOnly(2026, 12, 5)),
            new OpportunityStageChanged(s.NextEventId(), s.At(3), s.Id("slip"), "needs_research", new DateOnly(2027, 1, 10)),
            s.Open("won", "ann", "acme", 50_000, "lead", h: 1, close: new DateOnly(2026, 11, 1)),
            s.Won("won", h: 4));
        Assert.Equal(0, ack.Rejected);

        // From the start of the log: the first check may come before the watcher connects. This server's log is its own.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var alerts = server.Watch.WatchAlerts(new V1.WatchAlertsRequest { ScopeRegionId = s.Id("p"), AfterSequence = 0 }, cancellationToken: cts.Token);
        await alerts.ResponseHeadersAsync.Within();

        // Now: only the deal pushed out twice (more than the limit of one).
        var list = await ListAsync(s.Id("p"));
        var slip = Assert.Single(list.Opportunities);
        Assert.Equal((s.Id("slip"), 2, 1), (slip.OpportunityId, slip.PushCount, list.PushLimit));
        Assert.Equal([V1.AtRiskCondition.Slipping], slip.Conditions);
        Assert.Equal((s.Id("ann"), "Rep ann", s.Id("c"), s.Id("acme"), "Customer acme"), (slip.OwnerRepId, slip.OwnerName, slip.OwnerRegionId, slip.CustomerId, slip.CustomerName));
        Assert.Equal((300_000L, "needs_research", 9, 20), (slip.Amount.MinorUnits, slip.StageId, slip.DaysInStage, slip.StallDays));
        Assert.Equal(0, slip.DaysOverdue);

        var slipping = await NextAtRiskAlertAsync(alerts, cts.Token);
        Assert.Equal((V1.AtRiskCondition.Slipping, s.Id("slip"), 2, 1), (slipping.DealAtRisk.Condition, slipping.DealAtRisk.OpportunityId, slipping.DealAtRisk.Actual, slipping.DealAtRisk.Limit));
        Assert.Equal(
            $"Customer acme's 3,000.00 USD deal {s.Id("slip")} (Rep ann, Region c) has been pushed out 2 times (limit 1); it is now expected to close on 2027-01-10",
            slipping.Message);
        Assert.Equal((s.Id("c"), "Region c", "2027-01"), (slipping.RegionId, slipping.RegionName, slipping.Period));

        // Six days on: quote_sent's ten days have passed for "stall", and "late" was due on the 20th.
        server.Time.SetUtcNow(TestClock.Start.AddDays(6));
        list = await ListAsync(s.Id("p"));
        Assert.Equal([s.Id("late"), s.Id("slip"), s.Id("stall")], list.Opportunities.Select(o => o.OpportunityId));
        var late = list.Opportunities[0];
        Assert.Equal([V1.AtRiskCondition.Overdue], late.Conditions);
        Assert.Equal((1, new Google.Type.Date { Year = 2026, Month = 11, Day = 20 }), (late.DaysOverdue, late.ExpectedClose));
        var stall = list.Opportunities[2];
        Assert.Equal([V1.AtRiskCondition.Stalled], stall.Conditions);
        Assert.Equal((15, 10), (stall.DaysInStage, stall.StallDays));

        // Scoped to the sub-region, or to one rep.
        Assert.Equal([s.Id("slip"), s.Id("stall")], (await ListAsync(s.Id("c"))).Opportunities.Select(o => o.OpportunityId));
        Assert.Equal([s.Id("late")], (await ListAsync(s.Id("p"), s.Id("bob"))).Opportunities.Select(o => o.OpportunityId));
        Assert.Empty((await ListAsync(s.Id("c"), s.Id("bob"))).Opportunities);

        var next = new[] { await NextAtRiskAlertAsync(alerts, cts.Token), await NextAtRiskAlertAsync(alerts, cts.Token) }
            .OrderBy(a => a.DealAtRisk.OpportunityId, StringComparer.Ordinal).ToList();
        Assert.Equal((V1.AtRiskCondition.Overdue, s.Id("late"), 1, s.Id("p")), (next[0].DealAtRisk.Condition, next[0].DealAtRisk.OpportunityId, next[0].DealAtRisk.Actual, next[0].RegionId));
        Assert.Equal(
            $"Customer acme's 2,000.00 USD deal {s.Id("late")} (Rep bob, Region p) was expected to close on 2026-11-20 and is still open, 1 day later",
            next[0].Message);
        Assert.Equal((V1.AtRiskCondition.Stalled, s.Id("stall"), 15, 10), (next[1].DealAtRisk.Condition, next[1].DealAtRisk.OpportunityId, next[1].DealAtRisk.Actual, next[1].DealAtRisk.Limit));
        Assert.Equal(
            $"Customer acme's 1,000.00 USD deal {s.Id("stall")} (Rep ann, Region c) has not moved from Quote sent for 15 days (stall limit 10 days)",
            next[1].Message);
        Assert.Equal(("Rep ann", "Customer acme", "quote_sent"), (next[1].DealAtRisk.OwnerRepName, next[1].DealAtRisk.CustomerName, next[1].DealAtRisk.StageId));

        // Raised once: the checks of the next half second (every 100 ms) raise nothing more. Then "stall" moves, and
        // twenty more days stall it again (contract_negotiation has the default 20) and the other two (35 days in theirs).
        await Task.Delay(500);
        var stageMoved = await server.SendBatchAsync("move", new OpportunityStageChanged(s.NextEventId(), TestClock.Start.AddDays(6), s.Id("stall"), "contract_negotiation", null));
        Assert.Equal(0, stageMoved.Rejected);
        server.Time.SetUtcNow(TestClock.Start.AddDays(6 + 20));
        var later = new List<V1.WatchAlertsResponse>();
        for (var i = 0; i < 3; i++)
        {
            later.Add(await NextAtRiskAlertAsync(alerts, cts.Token));
        }

        Assert.Equal(
            [(V1.AtRiskCondition.Stalled, s.Id("late"), 35), (V1.AtRiskCondition.Stalled, s.Id("slip"), 35), (V1.AtRiskCondition.Stalled, s.Id("stall"), 20)],
            later.Select(a => (a.DealAtRisk.Condition, a.DealAtRisk.OpportunityId, a.DealAtRisk.Actual)).OrderBy(a => a.OpportunityId, StringComparer.Ordinal));
    }

    [Fact]
    public async Task ListAtRiskOpportunities_BadInput_RejectedNamingTheField()
    {
        var s = new Scenario("api-risk-bad");
        Assert.Equal(0, (await server.SendBatchAsync("setup", s.Region("r"), s.Rep("ann", "r"))).Rejected);

        async Task<(StatusCode, string)> RejectedAsync(string scope, string? rep)
        {
            var ex = await Assert.ThrowsAsync<RpcException>(() => ListAsync(scope, rep));
            return (ex.StatusCode, StatusDetails.Named(ex).Field);
        }

        Assert.Equal((StatusCode.InvalidArgument, "rep_id"), await RejectedAsync(s.Id("r"), " "));
        Assert.Equal((StatusCode.InvalidArgument, "scope_region_id"), await RejectedAsync(new string('x', 200), null));
        Assert.Equal((StatusCode.NotFound, "scope_region_id"), await RejectedAsync(s.Id("nowhere"), null));
        Assert.Equal((StatusCode.NotFound, "rep_id"), await RejectedAsync(s.Id("r"), s.Id("nobody")));
        Assert.Empty((await ListAsync(s.Id("r"), s.Id("ann"))).Opportunities);
    }

    private static async Task<V1.WatchAlertsResponse> NextAtRiskAlertAsync(AsyncServerStreamingCall<V1.WatchAlertsResponse> alerts, CancellationToken ct)
    {
        while (true)
        {
            Assert.True(await alerts.ResponseStream.MoveNext(ct));
            if (alerts.ResponseStream.Current.KindCase == V1.WatchAlertsResponse.KindOneofCase.DealAtRisk)
            {
                return alerts.ResponseStream.Current;
            }
        }
    }
}
