using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests;

/// <summary>
/// The real server with its own clock, which this collection moves: pace checks (and so forecast closing) every 200 ms,
/// and a forecast cut-off of 3 days.
/// </summary>
public sealed class ForecastClockServerFixture() : ServerFixture(new Dictionary<string, string>
{
    ["Engine:PaceCheckInterval"] = "00:00:00.200",
    ["Engine:ForecastCutoffDays"] = "3",
});

[CollectionDefinition(Name)]
public sealed class ForecastClockServerCollection : ICollectionFixture<ForecastClockServerFixture>
{
    public const string Name = "server whose clock the tests move";
}

/// <summary>A period that ends while no event comes in is scored by the rep book's timer, end to end over gRPC.</summary>
[Collection(ForecastClockServerCollection.Name)]
public sealed class ForecastClockApiTests(ForecastClockServerFixture server)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private DateTime Due => DateTime.UtcNow + Deadline;

    [Fact]
    public async Task PeriodEndsWithNoEventComingIn_TheRepIsScoredOnTheAccuracyBoard()
    {
        var s = new Scenario("api-fc-clock");
        var november = Period.OfMonth(2026, 11);
        SalesEvent[] events =
        [
            s.Region("r"), s.Rep("ann", "r"), s.Customer("acme"), s.Open("o1", "ann", "acme", 50_000), s.Won("o1", 24 * 5),
            new ForecastSubmitted(s.NextEventId(), s.At(24 * 9), TargetScope.Rep, s.Id("ann"), november, 40_000, 60_000, "ann", ""),
        ];
        foreach (var e in events)
        {
            await server.Ingest.IngestOneAsync(e.ToOne(), deadline: Due);
        }

        var board = new V1.GetLeaderboardRequest { ScopeRegionId = s.Id("r"), Period = "2026-11", Metric = V1.LeaderboardMetric.ForecastAccuracy, Top = 10 };
        var before = await server.Query.GetForecastSubmissionsAsync(
            new V1.GetForecastSubmissionsRequest { Scope = V1.TargetScope.Rep, ScopeId = s.Id("ann"), Period = "2026-11" }, deadline: Due);
        Assert.Equal((false, new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero)), (before.Ended, before.Cutoff.ToDateTimeOffset()));
        Assert.Equal(0, (await server.Query.GetLeaderboardAsync(board, deadline: Due)).Total);

        // November ends; nothing more is sent. The rep book's timer reads the clock and scores the month.
        server.Time.SetUtcNow(new DateTimeOffset(2026, 12, 1, 0, 0, 1, TimeSpan.Zero));

        await Wait.UntilAsync(async () => (await server.Query.GetLeaderboardAsync(board, deadline: Due)).Total == 1, "ann scored on the accuracy board");
        var row = Assert.Single((await server.Query.GetLeaderboardAsync(board, deadline: Due)).Top);
        Assert.Equal((s.Id("ann"), 80.0), (row.RepId, row.Score)); // 100 × (1 − |50,000 − 40,000| ÷ 50,000)
    }
}
