using Google.Rpc;
using Grpc.Core;
using SalesOps.Domain;
using SalesOps.Server.Api;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests;

/// <summary>End to end: the real server over a real gRPC channel.</summary>
[Collection(ServerCollection.Name)]
public sealed class ApiTests(ServerFixture server)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private Task<V1.IngestResponse> SendBatchAsync(string batchId, params SalesEvent[] events) => server.SendBatchAsync(batchId, events);

    private async Task SetUpAsync(Scenario s, params SalesEvent[] more)
    {
        var ack = await SendBatchAsync("setup", [s.Region("r"), s.Rep("ann", "r"), s.Rep("bob", "r"), s.Customer("acme"), .. more]);
        Assert.True(ack.Rejected == 0, string.Join("; ", ack.Results.Where(r => r.Status != V1.EventStatus.Accepted).Select(r => $"{r.EventId} {r.Status} {r.Error?.Message}")));
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
        Assert.Equal(("amount", ApiErrors.InvalidField), StatusDetails.Named(ack.Results[1].Error));
        Assert.Equal(("rep_id", ApiErrors.UnknownReference), StatusDetails.Named(ack.Results[4].Error));
        Assert.Equal((int)StatusCode.NotFound, ack.Results[4].Error.Code);
        Assert.All(ack.Results.Where(r => r.Status == V1.EventStatus.Accepted), r => Assert.Null(r.Error));
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
        V1.GetRepResponse Rep() => server.Query.GetRep(new V1.GetRepRequest { RepId = s.Id("ann"), Period = "2026-11" });
        var before = Rep();

        var negative = await RejectedAsync(() => server.Ingest.IngestOneAsync(s.Amount("o1", -1, 2).ToOne()).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, negative.StatusCode);
        Assert.Contains("amount", negative.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(("amount", ApiErrors.InvalidField), StatusDetails.Named(negative));

        var noKind = await RejectedAsync(() => server.Ingest.IngestOneAsync(new V1.IngestOneRequest { Event = new V1.Event { EventId = "x", OccurredAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(s.At(1)) } }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, noKind.StatusCode);
        Assert.Equal(("kind", ApiErrors.InvalidField), StatusDetails.Named(noKind));

        var unknownOwner = await RejectedAsync(() => server.Ingest.IngestOneAsync(s.Reassign("o1", "ghost", 2).ToOne()).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, unknownOwner.StatusCode);
        Assert.Equal(("new_owner_rep_id", ApiErrors.UnknownReference), StatusDetails.Named(unknownOwner));

        // An omitted required enum is refused naming its field, never read as its first value.
        var untyped = s.Activity("ann", h: 40).ToProto();
        untyped.ActivityLogged.Type = V1.ActivityType.Unspecified;
        var noType = await RejectedAsync(() => server.Ingest.IngestOneAsync(new V1.IngestOneRequest { Event = untyped }).ResponseAsync);
        Assert.Equal(("type", ApiErrors.InvalidField), StatusDetails.Named(noType));
        var unscoped = s.RepTarget("ann", "2026-11", 1_000, h: 40).ToProto();
        unscoped.TargetSet.Scope = V1.TargetScope.Unspecified;
        var noScope = await RejectedAsync(() => server.Ingest.IngestOneAsync(new V1.IngestOneRequest { Event = unscoped }).ResponseAsync);
        Assert.Equal(("scope", ApiErrors.InvalidField), StatusDetails.Named(noScope));

        // Money in another currency than the company's is refused, not counted as if it were.
        var euros = s.Payment("ann", "acme", 500, 40).ToProto();
        euros.PaymentReceived.Amount.CurrencyCode = "EUR";
        var wrongCurrency = await RejectedAsync(() => server.Ingest.IngestOneAsync(new V1.IngestOneRequest { Event = euros }).ResponseAsync);
        Assert.Equal(("amount.currency_code", ApiErrors.InvalidField), StatusDetails.Named(wrongCurrency));

        var activity = s.Activity("ann", h: 50);
        Assert.Equal(V1.EventStatus.Accepted, (await server.Ingest.IngestOneAsync(activity.ToOne())).Result.Status);
        var backDated = await RejectedAsync(() => server.Ingest.IngestOneAsync(s.Move("ann", "r", 10).ToOne()).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, backDated.StatusCode);
        Assert.Equal(("occurred_at", ApiErrors.Conflict), StatusDetails.Named(backDated));

        var after = Rep();
        Assert.Equal(before.Figures.OpenAmount, after.Figures.OpenAmount);
        Assert.Equal(before.Figures.Collections, after.Figures.Collections);
        Assert.Equal(before.Figures.ActivityTotal + 1, after.Figures.ActivityTotal);
        Assert.Equal(before.RegionId, after.RegionId);

        var badPeriod = await RejectedAsync(() => server.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("ann"), Period = "2026-13" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, badPeriod.StatusCode);
        Assert.Equal(("period", ApiErrors.InvalidField), StatusDetails.Named(badPeriod));
        var noMetric = await RejectedAsync(() => server.Query.GetLeaderboardAsync(new V1.GetLeaderboardRequest { ScopeRegionId = s.Id("r") }).ResponseAsync);
        Assert.Equal(("metric", ApiErrors.InvalidField), StatusDetails.Named(noMetric));
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
        Assert.Equal((1, 60_000L, ProtoEvents.Currency), (customer.Orders, customer.LifetimeValue.MinorUnits, customer.LifetimeValue.CurrencyCode));
        Assert.Equal(ProtoEvents.Currency, rep.Figures.CurrencyCode);
        Assert.Equal(s.At(6), customer.LastContact.ToDateTimeOffset());

        var opp = await server.Query.GetOpportunityAsync(new V1.GetOpportunityRequest { OpportunityId = s.Id("o2") });
        Assert.Equal(("signing_steps_agreed", 90, 50_000L), (opp.StageId, opp.ProbabilityPercent, opp.Amount.MinorUnits));

        var board = await server.Query.GetLeaderboardAsync(new V1.GetLeaderboardRequest
        {
            ScopeRegionId = s.Id("r"), Period = "2026-11", Metric = V1.LeaderboardMetric.Bookings, Top = 5, AroundRepId = s.Id("ann"), Around = 1,
        });
        var top = Assert.Single(board.Top);
        Assert.Equal((1, s.Id("ann"), 60_000d), (top.Rank, top.RepId, top.Score));
        Assert.Equal(("Rep ann", s.Id("r"), "Region r"), (top.RepName, top.RegionId, top.RegionName));
        Assert.Equal(s.Id("ann"), Assert.Single(board.Around).RepId);

        var attainment = await server.Query.GetLeaderboardAsync(new V1.GetLeaderboardRequest { ScopeRegionId = s.Id("r"), Period = "2026-11", Metric = V1.LeaderboardMetric.Attainment });
        Assert.Equal(60d, Assert.Single(attainment.Top).Score);

        var stages = await server.Query.GetStageTableAsync(new V1.GetStageTableRequest());
        Assert.Equal([10, 20, 40, 60, 80, 90, 100, 0], stages.Stages.Select(x => x.ProbabilityPercent));
        Assert.Equal((ProtoEvents.Currency, "UTC"), (stages.CurrencyCode, stages.TimeZone));
        Assert.DoesNotContain(stages.Stages, x => x.Category == V1.ForecastCategory.Unspecified);
    }

    [Fact]
    public async Task WatchLeaderboard_SnapshotFirstThenTheRankChange()
    {
        var s = new Scenario("api-watch");
        await SetUpAsync(s, s.Open("a1", "ann", "acme", 50_000, h: 1), s.Won("a1", 2), s.Open("b1", "bob", "acme", 30_000, h: 1), s.Won("b1", 2));
        var request = new V1.WatchLeaderboardRequest { ScopeRegionId = s.Id("r"), Period = "2026-11", Metric = V1.LeaderboardMetric.Bookings, Top = 10 };
        await Wait.UntilAsync(async () => (await server.Query.GetLeaderboardAsync(new V1.GetLeaderboardRequest { ScopeRegionId = s.Id("r"), Period = "2026-11", Metric = V1.LeaderboardMetric.Bookings })).Total == 2, "both reps ranked");

        using var cts = new CancellationTokenSource(Deadline);
        using var call = server.Watch.WatchLeaderboard(request, cancellationToken: cts.Token);
        Assert.True(await call.ResponseStream.MoveNext(cts.Token));
        var snapshot = call.ResponseStream.Current;
        Assert.True(snapshot.Snapshot);
        Assert.Equal([s.Id("ann"), s.Id("bob")], snapshot.Entries.Select(e => e.RepId));
        Assert.Equal(["Rep ann", "Rep bob"], snapshot.Entries.Select(e => e.RepName));
        Assert.All(snapshot.Entries, e => Assert.Equal((s.Id("r"), "Region r"), (e.RegionId, e.RegionName)));

        using var alerts = server.Watch.WatchAlerts(new V1.WatchAlertsRequest { ScopeRegionId = s.Id("r") }, cancellationToken: cts.Token);
        await alerts.ResponseHeadersAsync.Within();
        await SendBatchAsync("overtake", s.Open("b2", "bob", "acme", 40_000, h: 3), s.Won("b2", 4));
        Assert.True(await call.ResponseStream.MoveNext(cts.Token));
        var update = call.ResponseStream.Current;
        Assert.False(update.Snapshot);
        var bob = Assert.Single(update.Entries, e => e.RepId == s.Id("bob"));
        Assert.Equal((1, 70_000d, 1, "Rep bob"), (bob.Rank, bob.Score, bob.Movement, bob.RepName));
        var ann = Assert.Single(update.Entries, e => e.RepId == s.Id("ann"));
        Assert.Equal((2, -1), (ann.Rank, ann.Movement));
        Assert.True(update.Version > snapshot.Version);

        // The watched board's overtake, told by name.
        V1.WatchAlertsResponse overtake;
        do
        {
            Assert.True(await alerts.ResponseStream.MoveNext(cts.Token));
            overtake = alerts.ResponseStream.Current;
        }
        while (overtake.KindCase != V1.WatchAlertsResponse.KindOneofCase.Overtake);

        Assert.Equal(("Rep bob", "Rep ann", "Region r"), (overtake.Overtake.RepName, overtake.Overtake.OvertakenRepName, overtake.RegionName));
        Assert.Equal("Rep bob overtook Rep ann on the bookings board of Region r for 2026-11: now #1", overtake.Message);
    }

    [Fact]
    public async Task WatchAlerts_TwoRepsSwappingTheLeadOnAWatchedBoard_OnlyTheFirstNewBestIsAnOvertake()
    {
        var s = new Scenario("api-swap");
        await SetUpAsync(s, s.Rep("cat", "r"), s.Open("a0", "ann", "acme", 50_000, h: 1), s.Won("a0", 2), s.Open("b0", "bob", "acme", 30_000, h: 1), s.Won("b0", 2));
        await Wait.UntilAsync(async () => (await server.Query.GetLeaderboardAsync(new V1.GetLeaderboardRequest { ScopeRegionId = s.Id("r"), Period = "2026-11", Metric = V1.LeaderboardMetric.Bookings })).Total == 2, "both reps ranked");

        using var cts = new CancellationTokenSource(Deadline);
        using var board = server.Watch.WatchLeaderboard(
            new V1.WatchLeaderboardRequest { ScopeRegionId = s.Id("r"), Period = "2026-11", Metric = V1.LeaderboardMetric.Bookings, Top = 10 }, cancellationToken: cts.Token);
        Assert.True(await board.ResponseStream.MoveNext(cts.Token));
        Assert.Equal([s.Id("ann"), s.Id("bob")], board.ResponseStream.Current.Entries.Select(e => e.RepId)); // the watch begins: Ann's best #1, Bob's #2
        using var alerts = server.Watch.WatchAlerts(new V1.WatchAlertsRequest { ScopeRegionId = s.Id("r") }, cancellationToken: cts.Token);
        await alerts.ResponseHeadersAsync.Within();

        async Task ShownAsync(string rep, int rank)
        {
            do
            {
                Assert.True(await board.ResponseStream.MoveNext(cts.Token));
            }
            while (!board.ResponseStream.Current.Entries.Any(e => e.RepId == s.Id(rep) && e.Rank == rank));
        }

        // Six swaps of the lead, each pushed (so each in a roll-up interval of its own) before the next: Bob takes #1
        // (60k), Ann takes it back (70k), Bob (80k), Ann (90k), Bob (100k), Ann (110k).
        for (var i = 1; i <= 6; i++)
        {
            var (rep, deal) = (i % 2 == 1 ? "bob" : "ann", $"swap{i}");
            Assert.Equal(0, (await SendBatchAsync(deal, s.Open(deal, rep, "acme", i == 1 ? 30_000 : 20_000, h: 2 + i), s.Won(deal, 2.5 + i))).Rejected);
            await ShownAsync(rep, 1);
        }

        // Cat enters in a later interval (a region's ticks run one after another, so the last swap's overtakes are in
        // the alert log once it is pushed); then Ann's big win, which moves nobody, marks the end of what to read.
        Assert.Equal(0, (await SendBatchAsync("cat", s.Open("c0", "cat", "acme", 1_000, h: 10), s.Won("c0", 10.5))).Rejected);
        await ShownAsync("cat", 3);
        Assert.Equal(0, (await SendBatchAsync("big", s.Open("big", "ann", "acme", 600_000, h: 11), s.Won("big", 11.5))).Rejected);
        var overtakes = new List<V1.WatchAlertsResponse>();
        while (true)
        {
            Assert.True(await alerts.ResponseStream.MoveNext(cts.Token));
            var alert = alerts.ResponseStream.Current;
            if (alert.BigDealWon?.OpportunityId == s.Id("big"))
            {
                break;
            }

            if (alert.KindCase == V1.WatchAlertsResponse.KindOneofCase.Overtake)
            {
                overtakes.Add(alert);
            }
        }

        // Six rises to #1 passing the other (one overtake each under a rule of one per rank change); only Bob's first is
        // better than any rank he held since the watch began, and Ann never beats the #1 she held when it began.
        var overtake = Assert.Single(overtakes);
        Assert.Equal((s.Id("bob"), s.Id("ann"), 1, 2), (overtake.Overtake.RepId, overtake.Overtake.OvertakenRepId, overtake.Overtake.NewRank, overtake.Overtake.OldRank));
        Assert.Equal("Rep bob overtook Rep ann on the bookings board of Region r for 2026-11: now #1", overtake.Message);
    }

    [Fact]
    public async Task SamePeriodLastYearAndActivityPlan_ShownBesideThePeriodAndAlertedWhenBehind()
    {
        var s = new Scenario("api-yoy");
        var ack = await SendBatchAsync(
            "setup",
            s.Region("r"),
            s.Rep("ann", "r", h: -400 * 24),
            s.Customer("acme"),
            s.Payment("ann", "acme", 100_000, h: -360 * 24), // 10 November 2025
            s.Payment("ann", "acme", 10_000, h: 2));
        Assert.Equal(0, ack.Rejected);
        using var cts = new CancellationTokenSource(Deadline);
        using var alerts = server.Watch.WatchAlerts(new V1.WatchAlertsRequest { ScopeRegionId = s.Id("r") }, cancellationToken: cts.Token);
        await alerts.ResponseHeadersAsync.Within();

        // The engine clock stands at 15 November 12:00: 14.5 of November's 30 days have passed.
        var toDate = (long)Math.Floor(100_000 * (14.5 / 30));
        var rep = await server.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("ann"), Period = "2026-11" }, deadline: DateTime.UtcNow + Deadline);
        var collections = Assert.Single(rep.Figures.SamePeriodLastYear, y => y.Figure == V1.ComparedFigure.Collections);
        Assert.Equal((10_000L, 100_000L, toDate, true), (collections.Actual, collections.LastYear, collections.LastYearToDate, collections.Behind));
        Assert.Equal((10_000 - toDate) / (double)toDate, collections.Growth, 9);
        Assert.Equal(
            [V1.ComparedFigure.Bookings, V1.ComparedFigure.Collections, V1.ComparedFigure.WonCount, V1.ComparedFigure.NewCustomers],
            rep.Figures.SamePeriodLastYear.Select(y => y.Figure));

        // A target accepted for the rep checks the rep at once (otherwise the timer does, every Engine:PaceCheckInterval).
        // Its plan: 1 order of 200,000 → 3 proposals over the 11 working days left in November (from Sunday the 15th), none
        // logged in the 10 gone: 3 ÷ 11 a day, rounded up to hundredths.
        await SendBatchAsync("target", s.RepTarget("ann", "2026-11", 5_000));
        var seen = new Dictionary<V1.WatchAlertsResponse.KindOneofCase, V1.WatchAlertsResponse>();
        while (!seen.ContainsKey(V1.WatchAlertsResponse.KindOneofCase.BehindLastYear) || !seen.ContainsKey(V1.WatchAlertsResponse.KindOneofCase.ActivityPlanBehind))
        {
            Assert.True(await alerts.ResponseStream.MoveNext(cts.Token));
            if (alerts.ResponseStream.Current.Period == "2026-11")
            {
                seen[alerts.ResponseStream.Current.KindCase] = alerts.ResponseStream.Current;
            }
        }

        var plan = seen[V1.WatchAlertsResponse.KindOneofCase.ActivityPlanBehind];
        Assert.Equal((V1.TargetScope.Rep, "Rep ann", V1.ActivityType.Proposal, 0d), (plan.ActivityPlanBehind.Scope, plan.ActivityPlanBehind.ScopeName, plan.ActivityPlanBehind.ActivityType, plan.ActivityPlanBehind.LoggedPerDay));
        Assert.Equal(0.28, plan.ActivityPlanBehind.NeededPerDay, 12);
        Assert.Equal("Rep ann is behind the activity plan for 2026-11: 0 proposals a day logged, 0.28 needed", plan.Message);

        var alert = seen[V1.WatchAlertsResponse.KindOneofCase.BehindLastYear];
        var behind = alert.BehindLastYear;
        Assert.Equal((V1.TargetScope.Rep, s.Id("ann"), "Rep ann"), (behind.Scope, behind.ScopeId, behind.ScopeName));
        Assert.Equal((V1.ComparedFigure.Collections, 10_000L, toDate), (behind.Figure, behind.Actual, behind.LastYearToDate));
        Assert.Equal($"Rep ann is behind the same period last year on collections for 2026-11: 100.00 USD against {AlertText.Money(toDate, "USD")} by this point last year", alert.Message);
    }

    [Fact]
    public async Task PlanningFunnel_SeedWorkedExampleThroughGrpc()
    {
        var s = new Scenario("api-plan");
        await SetUpAsync(s, s.RepTarget("ann", "2026-12", 1_000_000));

        var rep = await server.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("ann"), Period = "2026-12" }, deadline: DateTime.UtcNow + Deadline);
        var plan = rep.Figures.Plan;

        // Seed 002: target 1,000,000, average order 200,000 → 5 orders, 15 proposals, 60 visits, 300 calls.
        Assert.Equal((1_000_000L, 1_000_000L, 200_000L, false, 5L), (plan.Target, plan.Gap, plan.AverageOrder, plan.AverageOrderObserved, plan.Orders));
        Assert.Equal(
            [(V1.ActivityType.Proposal, 15L), (V1.ActivityType.Visit, 60L), (V1.ActivityType.Call, 300L)],
            plan.Activities.Select(a => (a.Type, a.Needed)));
        Assert.Equal((3d, 4d, 5d), (plan.ProposalsPerOrder.Value, plan.VisitsPerProposal.Value, plan.CallsPerVisit.Value));

        // December 2026 has 23 working days, Monday to Friday, all still ahead on 15 November.
        Assert.Equal((23, 0), (plan.WorkingDaysLeft, plan.WorkingDaysGone));

        // Without a bookings target there is no plan.
        var november = await server.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("ann"), Period = "2026-11" }, deadline: DateTime.UtcNow + Deadline);
        Assert.Null(november.Figures.Plan);
    }

    [Fact]
    public async Task WatchAlerts_ReconnectWithLastSequence_MissesNothing()
    {
        var s = new Scenario("api-alerts");
        await SetUpAsync(s);
        // A big win carries the owner's region, so the scenario's own alerts are told by region.
        bool Mine(V1.WatchAlertsResponse a) => a.RegionId == s.Id("r");

        long last;
        using (var cts = new CancellationTokenSource(Deadline))
        using (var first = server.Watch.WatchAlerts(new V1.WatchAlertsRequest(), cancellationToken: cts.Token))
        {
            await first.ResponseHeadersAsync.Within();
            await SendBatchAsync("d1", s.Open("big1", "ann", "acme", 600_000, h: 1), s.Won("big1", 2));
            V1.WatchAlertsResponse alert;
            do
            {
                Assert.True(await first.ResponseStream.MoveNext(cts.Token));
                alert = first.ResponseStream.Current;
            }
            while (!Mine(alert));

            Assert.Equal(V1.WatchAlertsResponse.KindOneofCase.BigDealWon, alert.KindCase);
            Assert.Equal((s.Id("big1"), s.Id("ann"), 600_000L, ProtoEvents.Currency), (alert.BigDealWon.OpportunityId, alert.BigDealWon.OwnerRepId, alert.BigDealWon.Amount.MinorUnits, alert.BigDealWon.Amount.CurrencyCode));
            Assert.Equal("2026-11", alert.Period);

            // What a screen shows reads as a sentence about people, not ids.
            Assert.Equal(("Rep ann", "Region r"), (alert.BigDealWon.OwnerRepName, alert.RegionName));
            Assert.Equal((s.Id("acme"), "Customer acme"), (alert.BigDealWon.CustomerId, alert.BigDealWon.CustomerName));
            Assert.Equal("Rep ann won a 6,000.00 USD deal with Customer acme", alert.Message);
            last = alert.Sequence;
        }

        // While disconnected, two more celebrations happen.
        await SendBatchAsync("d2", s.Open("big2", "bob", "acme", 700_000, h: 3), s.Won("big2", 4), s.Open("big3", "ann", "acme", 800_000, h: 5), s.Won("big3", 6));

        using var again = new CancellationTokenSource(Deadline);
        using var resumed = server.Watch.WatchAlerts(new V1.WatchAlertsRequest { AfterSequence = last }, cancellationToken: again.Token);
        var seen = new List<V1.WatchAlertsResponse>();
        while (seen.Count(Mine) < 2)
        {
            Assert.True(await resumed.ResponseStream.MoveNext(again.Token));
            seen.Add(resumed.ResponseStream.Current);
        }

        // Both wins ran in one wave of the batch, so their alerts may be numbered in either order.
        Assert.Equal([s.Id("big2"), s.Id("big3")], seen.Where(Mine).Select(a => a.BigDealWon.OpportunityId).Order(StringComparer.Ordinal));
        Assert.All(seen, a => Assert.True(a.Sequence > last));
        Assert.Equal(seen.Select(a => a.Sequence).Order(), seen.Select(a => a.Sequence));
    }

    [Fact]
    public async Task WatchAlerts_FromZeroScopedToParentRegion_ReplaysRetainedLogWithSubRegionWinsOnly()
    {
        var s = new Scenario("api-scope");
        var ack = await SendBatchAsync(
            "setup",
            s.Region("p"), s.Region("c", "p"), s.Region("q"), s.Rep("cat", "c"), s.Rep("quinn", "q"), s.Customer("acme"));
        Assert.Equal(0, ack.Rejected);

        // A big win in the sibling region first, then one in the sub-region, both before anyone watches.
        ack = await SendBatchAsync("wins", s.Open("qbig", "quinn", "acme", 900_000, h: 1), s.Won("qbig", 2), s.Open("cbig", "cat", "acme", 500_000, h: 3), s.Won("cbig", 4));
        Assert.Equal(4, ack.Accepted);

        using var cts = new CancellationTokenSource(Deadline);
        using var all = server.Watch.WatchAlerts(new V1.WatchAlertsRequest { AfterSequence = 0 }, cancellationToken: cts.Token);
        Assert.True(await all.ResponseStream.MoveNext(cts.Token));
        Assert.Equal(1, all.ResponseStream.Current.Sequence); // 0 replays from the start of the retained log

        using var scoped = server.Watch.WatchAlerts(new V1.WatchAlertsRequest { AfterSequence = 0, ScopeRegionId = s.Id("p") }, cancellationToken: cts.Token);
        V1.WatchAlertsResponse alert;
        do
        {
            Assert.True(await scoped.ResponseStream.MoveNext(cts.Token));
            alert = scoped.ResponseStream.Current;
            Assert.NotEqual(s.Id("q"), alert.RegionId);
        }
        while (alert.BigDealWon?.OpportunityId != s.Id("cbig"));

        Assert.Equal((s.Id("c"), "2026-11", s.Id("cat")), (alert.RegionId, alert.Period, alert.BigDealWon.OwnerRepId));
    }

    [Fact]
    public async Task WatchAlerts_AfterSequenceBeyondTheLog_OutOfRangeWithResumePoint()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var call = server.Watch.WatchAlerts(new V1.WatchAlertsRequest { AfterSequence = long.MaxValue / 2 }, cancellationToken: cts.Token);
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(cts.Token));
        Assert.Equal(StatusCode.OutOfRange, ex.StatusCode);
        Assert.Equal(("after_sequence", ApiErrors.AlertsNotRetained), StatusDetails.Named(ex));
        Assert.Equal(0, StatusDetails.ResumePoint(ex));
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

        // The healthy screen reads all along (one that does not read is cut off after the write timeout). It ends on
        // the final board: the first 100 reps by id (all tied on the same count), each with every activity.
        const int rounds = 80;
        var expected = reps.Take(100).Select(s.Id).ToHashSet();
        var latest = new Dictionary<string, double>();
        var converged = Task.Run(async () =>
        {
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
        });

        // 80 rounds of one activity per rep: each round changes 100 watched rows (several KB per update), far more
        // than the stalled client's 64 KB stream window. Each batch has its own deadline, so ingest that waited on
        // the stalled watcher would fail here.
        for (var round = 0; round < rounds; round++)
        {
            var batch = reps.Select(r => (SalesEvent)s.Activity(r, 3 + round / 10.0)).ToArray();
            var ack = await SendBatchAsync($"stall-{round}", batch);
            Assert.Equal(reps.Length, ack.Accepted);
        }

        await converged;
        Assert.All(latest.Values, v => Assert.Equal(rounds, v));
    }

    [Fact]
    public async Task AlertWatcherThatNeverReads_EndedWithResourceExhaustedAndResumePoint_MissesNothingOnResume()
    {
        var s = new Scenario("api-deaf");
        await SetUpAsync(s);
        bool Mine(V1.WatchAlertsResponse a) => a.RegionId == s.Id("r");

        // More alerts than the HTTP/2 windows and the server's buffers hold (each is some 150 bytes), so a write waits.
        const int wins = 1_500;
        var deals = Enumerable.Range(0, wins).Select(i => $"w{i:D4}").ToArray();
        var ack = await SendBatchAsync("wins", [.. deals.Select(d => (SalesEvent)s.Open(d, "ann", "acme", 600_000, h: 1)), .. deals.Select(d => (SalesEvent)s.Won(d, 2))]);
        Assert.Equal(2 * wins, ack.Accepted);

        // A watcher replaying the retained log on its own channel (so the stalled stream's flow control is its own),
        // then not reading for twice the write timeout.
        using var deafChannel = Grpc.Net.Client.GrpcChannel.ForAddress(server.Address);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var deaf = new V1.WatchService.WatchServiceClient(deafChannel).WatchAlerts(new V1.WatchAlertsRequest { AfterSequence = 0 }, cancellationToken: cts.Token);
        await deaf.ResponseHeadersAsync.Within();
        await Task.Delay(ServerFixture.WriteTimeout * 2, cts.Token);

        var received = new List<V1.WatchAlertsResponse>();
        var ended = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await deaf.ResponseStream.MoveNext(cts.Token))
            {
                received.Add(deaf.ResponseStream.Current);
            }
        });
        Assert.Equal(StatusCode.ResourceExhausted, ended.StatusCode);
        Assert.Contains("took no message", ended.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(ApiErrors.WatcherTooSlow, ended.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason);
        var resume = StatusDetails.ResumePoint(ended);
        Assert.NotEmpty(received);
        Assert.Equal(received[^1].Sequence, resume);

        // Resuming where the status says misses nothing of what followed.
        using var resumed = server.Watch.WatchAlerts(new V1.WatchAlertsRequest { AfterSequence = resume }, cancellationToken: cts.Token);
        while (received.Count(Mine) < wins)
        {
            Assert.True(await resumed.ResponseStream.MoveNext(cts.Token));
            received.Add(resumed.ResponseStream.Current);
        }

        Assert.Equal(deals.Select(s.Id).Order(StringComparer.Ordinal), received.Where(Mine).Select(a => a.BigDealWon.OpportunityId).Order(StringComparer.Ordinal));
        Assert.Equal(received.Count, received.Select(a => a.Sequence).Distinct().Count());
    }
}
