using Grpc.Core;
using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests;

/// <summary>End to end: the real server over a real gRPC channel.</summary>
[Collection(ServerCollection.Name)]
public sealed class ApiTests(ServerFixture server)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private async Task<V1.IngestAck> SendBatchAsync(string batchId, params SalesEvent[] events)
    {
        using var call = server.Ingest.Ingest(deadline: DateTime.UtcNow + Deadline);
        var batch = new V1.IngestBatch { BatchId = batchId };
        batch.Events.Add(events.Select(e => e.ToProto()));
        await call.RequestStream.WriteAsync(batch);
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).Within());
        var ack = call.ResponseStream.Current;
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None).Within());
        return ack;
    }

    private async Task SetUpAsync(Scenario s, params SalesEvent[] more)
    {
        var ack = await SendBatchAsync("setup", [s.Region("r"), s.Rep("ann", "r"), s.Rep("bob", "r"), s.Customer("acme"), .. more]);
        Assert.True(ack.Rejected == 0, string.Join("; ", ack.Results.Where(r => r.Status != V1.EventStatus.Accepted).Select(r => $"{r.EventId} {r.Status} {r.Message}")));
    }

    private static async Task<RpcException> RejectedAsync(Func<Task> call) => await Assert.ThrowsAsync<RpcException>(call);

    [Fact]
    public async Task IngestStream_BatchWithOneBadEvent_AcknowledgesEachEventAndAppliesTheOthers()
    {
        var s = new Scenario("api-batch");
        await SetUpAsync(s);
        var bad = s.Payment("ann", "acme", 100, 2) with { Amount = -5 };
        var ack = await SendBatchAsync(
            "b1",
            s.Open("o1", "ann", "acme", 40_000, h: 1),
            bad,
            s.Won("o1", 3),
            s.Payment("ann", "acme", 7_000, 4),
            s.Activity("nobody", 5));

        Assert.Equal("b1", ack.BatchId);
        Assert.Equal(
            [V1.EventStatus.Accepted, V1.EventStatus.InvalidArgument, V1.EventStatus.Accepted, V1.EventStatus.Accepted, V1.EventStatus.NotFound],
            ack.Results.Select(r => r.Status));
        Assert.Equal("amount", ack.Results[1].Field);
        Assert.Equal("rep_id", ack.Results[4].Field);
        Assert.Equal((3, 0, 2), (ack.Accepted, ack.Duplicates, ack.Rejected));

        var rep = await server.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("ann"), Period = "2026-11" }, deadline: DateTime.UtcNow + Deadline);
        Assert.Equal(40_000, rep.Figures.Bookings);
        Assert.Equal(7_000, rep.Figures.Collections);

        var again = await SendBatchAsync("b2", s.Won("o1", 3) with { EventId = ack.Results[2].EventId });
        Assert.Equal(V1.EventStatus.Duplicate, Assert.Single(again.Results).Status);
        rep = await server.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("ann"), Period = "2026-11" });
        Assert.Equal(40_000, rep.Figures.Bookings);
    }

    [Fact]
    public async Task IngestOne_BadInput_ClearStatusNamingTheProblemAndNothingChanged()
    {
        var s = new Scenario("api-bad");
        await SetUpAsync(s, s.Open("o1", "ann", "acme", 10_000, h: 1));
        V1.RepView Rep() => server.Query.GetRep(new V1.GetRepRequest { RepId = s.Id("ann"), Period = "2026-11" });
        var before = Rep();

        var negative = await RejectedAsync(() => server.Ingest.IngestOneAsync(s.Amount("o1", -1, 2).ToProto()).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, negative.StatusCode);
        Assert.Contains("amount", negative.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("amount", negative.Trailers.GetValue("field"));

        var noKind = await RejectedAsync(() => server.Ingest.IngestOneAsync(new V1.Event { EventId = "x", OccurredAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(s.At(1)) }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, noKind.StatusCode);
        Assert.Equal("kind", noKind.Trailers.GetValue("field"));

        var unknownOwner = await RejectedAsync(() => server.Ingest.IngestOneAsync(s.Reassign("o1", "ghost", 2).ToProto()).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, unknownOwner.StatusCode);
        Assert.Equal("new_owner_rep_id", unknownOwner.Trailers.GetValue("field"));

        var activity = s.Activity("ann", h: 50);
        Assert.Equal(V1.EventStatus.Accepted, (await server.Ingest.IngestOneAsync(activity.ToProto())).Status);
        var backDated = await RejectedAsync(() => server.Ingest.IngestOneAsync(s.Move("ann", "r", 10).ToProto()).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, backDated.StatusCode);
        Assert.Equal("occurred_at", backDated.Trailers.GetValue("field"));

        var after = Rep();
        Assert.Equal(before.Figures.OpenAmount, after.Figures.OpenAmount);
        Assert.Equal(before.Figures.ActivityTotal + 1, after.Figures.ActivityTotal);
        Assert.Equal(before.RegionId, after.RegionId);

        var badPeriod = await RejectedAsync(() => server.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("ann"), Period = "2026-13" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, badPeriod.StatusCode);
        var missing = await RejectedAsync(() => server.Query.GetCustomerAsync(new V1.GetCustomerRequest { CustomerId = s.Id("nobody") }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Queries_ReturnLiveFiguresForRepRegionCustomerOpportunityAndLeaderboard()
    {
        var s = new Scenario("api-query");
        await SetUpAsync(
            s,
            s.RepTarget("ann", "2026-11", 100_000, 150_000),
            s.Open("o1", "ann", "acme", 60_000, "quote_sent", h: 1),
            s.Open("o2", "ann", "acme", 50_000, "signing_steps_agreed", h: 1),
            s.Open("o3", "bob", "acme", 30_000, "lead", h: 1),
            s.Won("o1", 5),
            s.Activity("bob", 6, "acme", ActivityType.Visit, 45, TimeCategory.T1));

        var rep = await server.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("ann"), Period = "2026-11" });
        Assert.Equal(60_000, rep.Figures.Bookings);
        Assert.Equal(50_000 * 0.9, rep.Figures.WeightedPipeline, 6);
        Assert.Equal(60_000 + 50_000 * 0.9, rep.Figures.Forecast, 6);
        Assert.Equal(110_000, rep.Figures.CommitForecast);
        var target = Assert.Single(rep.Figures.Targets);
        Assert.Equal(0.6, target.MustAttainment, 6);
        Assert.Equal(0.4, target.StretchAttainment, 6);

        await Wait.UntilAsync(
            async () => (await server.Query.GetRegionAsync(new V1.GetRegionRequest { RegionId = s.Id("r"), Period = "2026-11" })).Figures.OpenCount == 2,
            "region figures rolled up");
        var region = await server.Query.GetRegionAsync(new V1.GetRegionRequest { RegionId = s.Id("r"), Period = "2026-11" });
        Assert.Equal(60_000, region.Figures.Bookings);
        Assert.Equal(50_000 * 0.9 + 30_000 * 0.1, region.Figures.WeightedPipeline, 6);
        Assert.Equal(1, region.Figures.ActivityTotal);

        var customer = await server.Query.GetCustomerAsync(new V1.GetCustomerRequest { CustomerId = s.Id("acme") });
        Assert.Equal((1, 60_000L), (customer.Orders, customer.LifetimeValue));
        Assert.Equal(s.At(6), customer.LastContact.ToDateTimeOffset());

        var opp = await server.Query.GetOpportunityAsync(new V1.GetOpportunityRequest { OpportunityId = s.Id("o2") });
        Assert.Equal(("signing_steps_agreed", 90), (opp.StageId, opp.ProbabilityPercent));

        var board = await server.Query.GetLeaderboardAsync(new V1.GetLeaderboardRequest
        {
            ScopeRegionId = s.Id("r"), Period = "2026-11", Metric = V1.LeaderboardMetric.Bookings, Top = 5, AroundRepId = s.Id("ann"), Around = 1,
        });
        var top = Assert.Single(board.Top);
        Assert.Equal((1, s.Id("ann"), 60_000d), (top.Rank, top.RepId, top.Score));
        Assert.Equal(s.Id("ann"), Assert.Single(board.Around).RepId);

        var attainment = await server.Query.GetLeaderboardAsync(new V1.GetLeaderboardRequest { ScopeRegionId = s.Id("r"), Period = "2026-11", Metric = V1.LeaderboardMetric.Attainment });
        Assert.Equal(60d, Assert.Single(attainment.Top).Score);

        var stages = await server.Query.GetStageTableAsync(new V1.GetStageTableRequest());
        Assert.Equal([10, 20, 40, 60, 80, 90, 100, 0], stages.Stages.Select(x => x.ProbabilityPercent));
    }

    [Fact]
    public async Task WatchLeaderboard_SnapshotFirstThenTheRankChange()
    {
        var s = new Scenario("api-watch");
        await SetUpAsync(s, s.Open("a1", "ann", "acme", 50_000, h: 1), s.Won("a1", 2), s.Open("b1", "bob", "acme", 30_000, h: 1), s.Won("b1", 2));
        var request = new V1.WatchLeaderboardRequest { ScopeRegionId = s.Id("r"), Period = "2026-11", Metric = V1.LeaderboardMetric.Bookings, Top = 10 };
        await Wait.UntilAsync(async () => (await server.Query.GetLeaderboardAsync(new V1.GetLeaderboardRequest { ScopeRegionId = s.Id("r"), Period = "2026-11" })).Total == 2, "both reps ranked");

        using var cts = new CancellationTokenSource(Deadline);
        using var call = server.Watch.WatchLeaderboard(request, cancellationToken: cts.Token);
        Assert.True(await call.ResponseStream.MoveNext(cts.Token));
        var snapshot = call.ResponseStream.Current;
        Assert.True(snapshot.Snapshot);
        Assert.Equal([s.Id("ann"), s.Id("bob")], snapshot.Entries.Select(e => e.RepId));

        await SendBatchAsync("overtake", s.Open("b2", "bob", "acme", 40_000, h: 3), s.Won("b2", 4));
        Assert.True(await call.ResponseStream.MoveNext(cts.Token));
        var update = call.ResponseStream.Current;
        Assert.False(update.Snapshot);
        var bob = Assert.Single(update.Entries, e => e.RepId == s.Id("bob"));
        Assert.Equal((1, 70_000d, 1), (bob.Rank, bob.Score, bob.Movement));
        var ann = Assert.Single(update.Entries, e => e.RepId == s.Id("ann"));
        Assert.Equal((2, -1), (ann.Rank, ann.Movement));
        Assert.True(update.Version > snapshot.Version);
    }

    [Fact]
    public async Task WatchAlerts_ReconnectWithLastSequence_MissesNothing()
    {
        var s = new Scenario("api-alerts");
        await SetUpAsync(s);
        bool Mine(V1.AlertMessage a) => a.SubjectId.StartsWith(s.Id(""), StringComparison.Ordinal);

        long last;
        using (var cts = new CancellationTokenSource(Deadline))
        using (var first = server.Watch.WatchAlerts(new V1.WatchAlertsRequest(), cancellationToken: cts.Token))
        {
            await first.ResponseHeadersAsync.Within();
            await SendBatchAsync("d1", s.Open("big1", "ann", "acme", 600_000, h: 1), s.Won("big1", 2));
            V1.AlertMessage alert;
            do
            {
                Assert.True(await first.ResponseStream.MoveNext(cts.Token));
                alert = first.ResponseStream.Current;
            }
            while (!Mine(alert));

            Assert.Equal((V1.AlertKind.BigDealWon, s.Id("big1")), (alert.Kind, alert.SubjectId));
            last = alert.Sequence;
        }

        // While disconnected, two more celebrations happen.
        await SendBatchAsync("d2", s.Open("big2", "bob", "acme", 700_000, h: 3), s.Won("big2", 4), s.Open("big3", "ann", "acme", 800_000, h: 5), s.Won("big3", 6));

        using var again = new CancellationTokenSource(Deadline);
        using var resumed = server.Watch.WatchAlerts(new V1.WatchAlertsRequest { AfterSequence = last }, cancellationToken: again.Token);
        var seen = new List<V1.AlertMessage>();
        while (seen.Count(Mine) < 2)
        {
            Assert.True(await resumed.ResponseStream.MoveNext(again.Token));
            seen.Add(resumed.ResponseStream.Current);
        }

        // Both wins ran in one wave of the batch, so their alerts may be numbered in either order.
        Assert.Equal([s.Id("big2"), s.Id("big3")], seen.Where(Mine).Select(a => a.SubjectId).Order(StringComparer.Ordinal));
        Assert.All(seen, a => Assert.True(a.Sequence > last));
        Assert.Equal(seen.Select(a => a.Sequence).Order(), seen.Select(a => a.Sequence));
    }

    [Fact]
    public async Task StalledLeaderboardWatcher_SlowsNeitherIngestNorOtherWatchers()
    {
        var s = new Scenario("api-stall");
        var reps = Enumerable.Range(0, 120).Select(i => $"p{i:D3}").ToArray();
        await SetUpAsync(s, reps.Select(r => (SalesEvent)s.Rep(r, "r")).ToArray());
        var request = new V1.WatchLeaderboardRequest { ScopeRegionId = s.Id("r"), Period = "2026-11", Metric = V1.LeaderboardMetric.Activities, Top = 100 };

        // Its own channel, so the stalled stream does not share HTTP/2 connection flow control with the healthy one.
        using var stalledChannel = Grpc.Net.Client.GrpcChannel.ForAddress(server.Address);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var stalled = new V1.WatchService.WatchServiceClient(stalledChannel).WatchLeaderboard(request, cancellationToken: cts.Token);
        Assert.True(await stalled.ResponseStream.MoveNext(cts.Token)); // then never read again
        using var healthy = server.Watch.WatchLeaderboard(request, cancellationToken: cts.Token);
        Assert.True(await healthy.ResponseStream.MoveNext(cts.Token));

        // 80 rounds of one activity per rep: each round changes 100 watched rows (several KB per update), far more
        // than the stalled client's 64 KB stream window. Each batch has its own deadline, so ingest that waited on
        // the stalled watcher would fail here.
        const int rounds = 80;
        for (var round = 0; round < rounds; round++)
        {
            var batch = reps.Select(r => (SalesEvent)s.Activity(r, 3 + round / 10.0)).ToArray();
            var ack = await SendBatchAsync($"stall-{round}", batch);
            Assert.Equal(reps.Length, ack.Accepted);
        }

        // The final board: the first 100 reps by id (all tied on the same count), each with every activity.
        var expected = reps.Take(100).Select(s.Id).ToHashSet();
        var latest = new Dictionary<string, double>();
        while (!latest.Keys.ToHashSet().SetEquals(expected) || latest.Values.Any(v => v < rounds))
        {
            Assert.True(await healthy.ResponseStream.MoveNext(cts.Token), "healthy watcher stopped receiving");
            foreach (var e in healthy.ResponseStream.Current.Entries)
            {
                latest[e.RepId] = e.Score;
            }

            foreach (var gone in healthy.ResponseStream.Current.RemovedRepIds)
            {
                latest.Remove(gone);
            }
        }

        Assert.All(latest.Values, v => Assert.Equal(rounds, v));
    }
}
