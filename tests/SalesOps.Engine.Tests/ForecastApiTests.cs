using Grpc.Core;
using SalesOps.Domain;
using SalesOps.Server.Api;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests;

/// <summary>
/// Forecast submissions end to end: the real server over a real gRPC channel. The engine's clock stands at
/// <see cref="TestClock.Start"/> (mid-November 2026), so October 2026 has ended and is scored.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ForecastApiTests(ServerFixture server)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private static readonly DateTimeOffset October = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);

    private DateTime Due => DateTime.UtcNow + Deadline;

    private async Task IngestAsync(params SalesEvent[] events)
    {
        foreach (var e in events)
        {
            await server.Ingest.IngestOneAsync(e.ToOne(), deadline: Due);
        }
    }

    private Task<V1.GetForecastSubmissionsResponse> ForecastAsync(V1.TargetScope scope, string id, string period = "2026-10") =>
        server.Query.GetForecastSubmissionsAsync(new V1.GetForecastSubmissionsRequest { Scope = scope, ScopeId = id, Period = period }, deadline: Due).ResponseAsync;

    private Task<V1.GetLeaderboardResponse> AccuracyBoardAsync(string region) =>
        server.Query.GetLeaderboardAsync(
            new V1.GetLeaderboardRequest { ScopeRegionId = region, Period = "2026-10", Metric = V1.LeaderboardMetric.ForecastAccuracy, Top = 10 },
            deadline: Due).ResponseAsync;

    private static ForecastSubmitted Submission(Scenario s, TargetScope scope, string id, int day, long commit, long bestCase, string by = "") =>
        new(s.NextEventId(), October.AddDays(day - 1).AddHours(10), scope, id, Period.OfMonth(2026, 10), commit, bestCase, by, "");

    [Fact]
    public async Task Submissions_AreListedInOrder_ScoredAfterThePeriodEnds_AndRankedOnTheAccuracyBoard()
    {
        var s = new Scenario("api-fc");
        await IngestAsync(s.Region("r"), s.Rep("ann", "r", h: -24 * 40), s.Rep("bob", "r", h: -24 * 40), s.Customer("acme", h: -24 * 40));
        await IngestAsync(
            new OpportunityOpened(s.NextEventId(), October.AddDays(1), s.Id("o1"), s.Id("ann"), s.Id("acme"), 1_000_000, "platform", "direct", new DateOnly(2026, 10, 20), "quote_sent"),
            new OpportunityWon(s.NextEventId(), October.AddDays(9), s.Id("o1"), 0),
            new OpportunityOpened(s.NextEventId(), October.AddDays(1), s.Id("o2"), s.Id("bob"), s.Id("acme"), 500_000, "platform", "direct", new DateOnly(2026, 10, 20), "quote_sent"),
            new OpportunityWon(s.NextEventId(), October.AddDays(9), s.Id("o2"), 0));

        // ann: the call of Oct 20 counts (cut-off: Oct 25, Engine:ForecastCutoffDays 7); the one of Oct 28 is too late.
        var late = Submission(s, TargetScope.Rep, s.Id("ann"), 28, 1_000_000, 1_100_000, "ann");
        var counted = Submission(s, TargetScope.Rep, s.Id("ann"), 20, 800_000, 1_200_000, "ann");
        await IngestAsync(late, counted, Submission(s, TargetScope.Rep, s.Id("bob"), 15, 450_000, 600_000));
        await IngestAsync(Submission(s, TargetScope.Region, s.Id("r"), 3, 1_500_000, 2_000_000, "vp"));

        var ann = await ForecastAsync(V1.TargetScope.Rep, s.Id("ann"));
        Assert.Equal([counted.EventId, late.EventId], ann.Submissions.Select(x => x.EventId));
        Assert.Equal([false, true], ann.Submissions.Select(x => x.AfterCutoff));
        Assert.Equal(late.EventId, ann.Latest.EventId);
        Assert.True(ann.Ended);
        Assert.Equal(new DateTimeOffset(2026, 10, 25, 0, 0, 0, TimeSpan.Zero), ann.Cutoff.ToDateTimeOffset());
        Assert.Equal((1_000_000L, 1_000_000.0), (ann.Actual.MinorUnits, ann.SystemForecast));
        Assert.Equal((counted.EventId, 80.0), (ann.Accuracy.Counted.EventId, ann.Accuracy.AccuracyPercent));
        Assert.Equal(["2026-10"], ann.AccuracyHistory.Select(h => h.Period));

        var region = await ForecastAsync(V1.TargetScope.Region, s.Id("r"));
        Assert.Equal((1_500_000L, 100.0, "vp"), (region.Actual.MinorUnits, region.Accuracy.AccuracyPercent, region.Latest.SubmittedBy));

        await Wait.UntilAsync(async () => (await AccuracyBoardAsync(s.Id("r"))).Total == 2, "both reps on the accuracy board");
        Assert.Equal([(s.Id("bob"), 90.0), (s.Id("ann"), 80.0)], (await AccuracyBoardAsync(s.Id("r"))).Top.Select(e => (e.RepId, e.Score)));

        // A win dated in October arrives late: ann's actual and accuracy follow, on the board, to its watchers and in the query.
        using var cts = new CancellationTokenSource(Deadline);
        using var watch = server.Watch.WatchLeaderboard(
            new V1.WatchLeaderboardRequest { ScopeRegionId = s.Id("r"), Period = "2026-10", Metric = V1.LeaderboardMetric.ForecastAccuracy, Top = 10 },
            cancellationToken: cts.Token);
        Assert.True(await watch.ResponseStream.MoveNext(cts.Token));
        Assert.Equal([s.Id("bob"), s.Id("ann")], watch.ResponseStream.Current.Entries.Select(e => e.RepId));
        await IngestAsync(
            new OpportunityOpened(s.NextEventId(), October.AddDays(2), s.Id("o3"), s.Id("ann"), s.Id("acme"), 200_000, "platform", "direct", new DateOnly(2026, 10, 30), "quote_sent"),
            new OpportunityWon(s.NextEventId(), October.AddDays(29), s.Id("o3"), 0));
        var expected = Math.Round((1 - 400_000.0 / 1_200_000) * 100, 4);
        V1.LeaderboardEntry? watched = null;
        while (watched?.Score != expected)
        {
            Assert.True(await watch.ResponseStream.MoveNext(cts.Token));
            watched = watch.ResponseStream.Current.Entries.FirstOrDefault(e => e.RepId == s.Id("ann")) ?? watched;
        }

        Assert.Equal(2, watched.Rank);
        await Wait.UntilAsync(
            async () => (await AccuracyBoardAsync(s.Id("r"))).Top.Any(e => e.RepId == s.Id("ann") && e.Score == expected),
            "ann's accuracy after the late win");
        Assert.Equal(expected, (await ForecastAsync(V1.TargetScope.Rep, s.Id("ann"))).Accuracy.AccuracyPercent);

        // November has not ended: listed, not scored.
        await IngestAsync(Submission(s, TargetScope.Rep, s.Id("ann"), 35, 300_000, 300_000) with { Period = Period.OfMonth(2026, 11) });
        var november = await ForecastAsync(V1.TargetScope.Rep, s.Id("ann"), "2026-11");
        Assert.Equal((1, false, (V1.ForecastAccuracy?)null), (november.Submissions.Count, november.Ended, november.Accuracy));
    }

    [Fact]
    public async Task BadSubmission_IsRefusedNamingTheField_AndChangesNothing()
    {
        var s = new Scenario("api-fc-bad");
        await IngestAsync(s.Region("r"), s.Rep("ann", "r", h: -24 * 40));
        await IngestAsync(Submission(s, TargetScope.Rep, s.Id("ann"), 5, 100, 200));

        var cases = new (ForecastSubmitted Event, string Field)[]
        {
            (Submission(s, TargetScope.Rep, s.Id("ann"), 6, 300, 200), "best_case"),
            (Submission(s, TargetScope.Rep, s.Id("ann"), 6, -1, 200), "commit"),
            (Submission(s, TargetScope.Rep, s.Id("ann"), 6, 1, 2) with { Note = new string('n', 1_025) }, "note"),
        };
        foreach (var (e, field) in cases)
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => IngestAsync(e));
            Assert.Equal((StatusCode.InvalidArgument, field), (refused.StatusCode, StatusDetails.Named(refused).Field));
        }

        var wrongCurrency = Submission(s, TargetScope.Rep, s.Id("ann"), 6, 1, 2).ToOne();
        wrongCurrency.Event.ForecastSubmitted.Commit.CurrencyCode = "EUR";
        var currency = await Assert.ThrowsAsync<RpcException>(() => server.Ingest.IngestOneAsync(wrongCurrency, deadline: Due).ResponseAsync);
        Assert.Equal(("commit.currency_code", ApiErrors.InvalidField), StatusDetails.Named(currency));

        var unknown = await Assert.ThrowsAsync<RpcException>(() => IngestAsync(Submission(s, TargetScope.Rep, s.Id("nobody"), 6, 1, 2)));
        Assert.Equal((StatusCode.NotFound, "scope_id"), (unknown.StatusCode, StatusDetails.Named(unknown).Field));

        Assert.Single((await ForecastAsync(V1.TargetScope.Rep, s.Id("ann"))).Submissions);

        var noScope = await Assert.ThrowsAsync<RpcException>(() => ForecastAsync(V1.TargetScope.Unspecified, s.Id("ann")));
        Assert.Equal((StatusCode.InvalidArgument, "scope"), (noScope.StatusCode, StatusDetails.Named(noScope).Field));
        var farPeriod = await Assert.ThrowsAsync<RpcException>(() => ForecastAsync(V1.TargetScope.Rep, s.Id("ann"), "9999"));
        Assert.Equal((StatusCode.InvalidArgument, "period"), (farPeriod.StatusCode, StatusDetails.Named(farPeriod).Field));
        var noRep = await Assert.ThrowsAsync<RpcException>(() => ForecastAsync(V1.TargetScope.Rep, s.Id("nobody")));
        Assert.Equal((StatusCode.NotFound, "scope_id"), (noRep.StatusCode, StatusDetails.Named(noRep).Field));
    }
}
