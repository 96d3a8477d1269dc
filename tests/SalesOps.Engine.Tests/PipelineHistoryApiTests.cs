using Grpc.Core;
using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests;

/// <summary>Pipeline over time end to end over a real gRPC channel (docs/semantics.md, "Pipeline over time").</summary>
[Collection(ServerCollection.Name)]
public sealed class PipelineHistoryApiTests(ServerFixture server)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private DateTime Due => DateTime.UtcNow + Deadline;

    private static Google.Type.Date Day(int month, int day) => new() { Year = 2026, Month = month, Day = day };

    private async Task<V1.GetPipelineHistoryResponse> HistoryAsync(V1.TargetScope scope, string id, string period, Google.Type.Date from, Google.Type.Date to) =>
        await server.Query.GetPipelineHistoryAsync(
            new V1.GetPipelineHistoryRequest { Scope = scope, ScopeId = id, Period = period, FromDate = from, ToDate = to },
            deadline: Due);

    private static (long Amount, long Count) Term(V1.GetPipelineHistoryResponse r, V1.PipelineMove move) =>
        r.Waterfall.Terms.Single(t => t.Move == move) is var t ? (t.Amount, t.Count) : default;

    /// <summary>Every term that is not zero, in the order of the movements.</summary>
    private static List<(V1.PipelineMove Move, long Amount, long Count)> Moved(V1.GetPipelineHistoryResponse r) =>
        r.Waterfall.Terms.Where(t => t.Amount != 0 || t.Count != 0).Select(t => (t.Move, t.Amount, t.Count)).ToList();

    /// <summary>
    /// Two reps in a region, deals opened on November 5th; between the ends of November 6th and 10th one deal grows,
    /// one is pushed to December, one is pulled into November from December, one is reassigned to the other rep, one
    /// is won and a new one is opened and lost. The November waterfall balances for the rep and the region, the
    /// quarter sees the December moves as no movement, and the trend counts the deals opened and the team.
    /// </summary>
    private async Task<(Scenario Scenario, V1.GetPipelineHistoryResponse Region)> LoadAsync(string prefix)
    {
        var s = new Scenario(prefix);
        var december = new DateOnly(2026, 12, 10);
        await server.IngestEachAsync(
            Deadline,
            s.Region("r"), s.Rep("ann", "r"), s.Rep("bob", "r"), s.Customer("acme"),
            s.Open("o1", "ann", "acme", 10_000), s.Open("o2", "ann", "acme", 20_000), s.Open("o6", "ann", "acme", 4_000),
            s.Open("o3", "bob", "acme", 5_000, close: december),
            s.Amount("o2", 25_000, 48),
            s.Open("o4", "ann", "acme", 7_000, h: 49), s.Open("o5", "ann", "acme", 3_000, h: 49),
            new OpportunityStageChanged(s.NextEventId(), s.At(50), s.Id("o3"), "quote_sent", new DateOnly(2026, 11, 20)),
            s.Won("o1", 51), s.Lost("o5", 60),
            new OpportunityStageChanged(s.NextEventId(), s.At(70), s.Id("o6"), "quote_sent", new DateOnly(2026, 12, 15)),
            s.Reassign("o2", "bob", 80));

        // The region's figures catch up after the acknowledgements: its November waterfall ends at 37,000 once they have.
        V1.GetPipelineHistoryResponse r = null!;
        await Wait.UntilAsync(
            async () => (r = await HistoryAsync(V1.TargetScope.Region, s.Id("r"), "2026-11", Day(11, 6), Day(11, 10))).Waterfall.EndAmount == 37_000,
            "the region's November pipeline reached its end amount");
        return (s, r);
    }

    [Fact]
    public async Task MovementsBetweenTwoDays_WaterfallBalancesForRepRegionAndQuarter()
    {
        var (s, r) = await LoadAsync("api-pipe-w");
        var region = s.Id("r");

        Assert.Equal((34_000L, 3L, 37_000L, 3L), (r.Waterfall.StartAmount, r.Waterfall.StartCount, r.Waterfall.EndAmount, r.Waterfall.EndCount));
        Assert.Equal(
            [
                (V1.PipelineMove.Created, 10_000L, 2L), (V1.PipelineMove.ReassignedIn, 25_000L, 1L), (V1.PipelineMove.PulledIn, 5_000L, 1L),
                (V1.PipelineMove.Increased, 5_000L, 1L), (V1.PipelineMove.PushedOut, 4_000L, 1L), (V1.PipelineMove.ReassignedOut, 25_000L, 1L),
                (V1.PipelineMove.Won, 10_000L, 1L), (V1.PipelineMove.Lost, 3_000L, 1L),
            ],
            Moved(r));
        Assert.Equal(12, r.Waterfall.Terms.Count);
        Assert.Equal("2026-11", r.Period);
        Assert.False(string.IsNullOrEmpty(r.CurrencyCode));

        var ann = await HistoryAsync(V1.TargetScope.Rep, s.Id("ann"), "2026-11", Day(11, 6), Day(11, 10));
        Assert.Equal((34_000L, 3L, 7_000L, 1L), (ann.Waterfall.StartAmount, ann.Waterfall.StartCount, ann.Waterfall.EndAmount, ann.Waterfall.EndCount));
        Assert.Equal((25_000L, 1L), Term(ann, V1.PipelineMove.ReassignedOut));
        Assert.Equal((0L, 0L), Term(ann, V1.PipelineMove.ReassignedIn));

        // In the quarter the December closes stay inside: pulled in and pushed out are not movements of Q4.
        var quarter = await HistoryAsync(V1.TargetScope.Region, region, "2026-Q4", Day(11, 6), Day(11, 10));
        Assert.Equal((39_000L, 4L, 41_000L, 4L), (quarter.Waterfall.StartAmount, quarter.Waterfall.StartCount, quarter.Waterfall.EndAmount, quarter.Waterfall.EndCount));
        Assert.Equal((0L, 0L, 0L, 0L), (Term(quarter, V1.PipelineMove.PulledIn).Amount, Term(quarter, V1.PipelineMove.PulledIn).Count, Term(quarter, V1.PipelineMove.PushedOut).Amount, Term(quarter, V1.PipelineMove.PushedOut).Count));

        // From before anything existed (a month's last day far before the period is exact), everything is a creation.
        var whole = await HistoryAsync(V1.TargetScope.Rep, s.Id("ann"), "2026-11", Day(6, 30), Day(11, 10));
        Assert.Equal((0L, 0L), (whole.Waterfall.StartAmount, whole.Waterfall.StartCount));
        Assert.Equal((44_000L, 5L), Term(whole, V1.PipelineMove.Created));
        Assert.Equal(7_000L, whole.Waterfall.EndAmount);
    }

    [Fact]
    public async Task TwelveMonthTrend_CountsOpenedByOwnerNowBookingsAndTeam()
    {
        var (s, r) = await LoadAsync("api-pipe-t");

        Assert.Equal(12, r.Trend.Count);
        Assert.Equal(("2025-12", "2026-11"), (r.Trend[0].Month, r.Trend[11].Month));
        var november = r.Trend[11];
        Assert.Equal((6L, 10_000L, 1L, 2L, 5_000L), (november.Opened, november.Bookings, november.Won, november.Headcount, november.BookingsPerRep));
        Assert.All(r.Trend.Take(11), m => Assert.Equal((0L, 0L, false), (m.Opened, m.Headcount, m.HasBookingsPerRep)));

        // o2 was opened by ann but is bob's now: the opportunity trend follows the owner now.
        var ann = await HistoryAsync(V1.TargetScope.Rep, s.Id("ann"), "2026-11", Day(11, 6), Day(11, 10));
        var bob = await HistoryAsync(V1.TargetScope.Rep, s.Id("bob"), "2026-11", Day(11, 6), Day(11, 10));
        Assert.Equal((4L, 1L, 10_000L), (ann.Trend[11].Opened, ann.Trend[11].Headcount, ann.Trend[11].BookingsPerRep));
        Assert.Equal((2L, 1L, 0L), (bob.Trend[11].Opened, bob.Trend[11].Headcount, bob.Trend[11].BookingsPerRep));
    }

    [Fact]
    public async Task BadRequest_IsRefusedNamingTheFieldAndChangesNothing()
    {
        var (s, before) = await LoadAsync("api-pipe-b");
        var region = s.Id("r");

        async Task RefusedAsync(StatusCode code, string field, V1.GetPipelineHistoryRequest request)
        {
            var ex = await Assert.ThrowsAsync<RpcException>(() => server.Query.GetPipelineHistoryAsync(request, deadline: Due).ResponseAsync);
            Assert.Equal((code, field), (ex.StatusCode, StatusDetails.Named(ex).Field));
        }

        V1.GetPipelineHistoryRequest Request(string period, Google.Type.Date? from, Google.Type.Date? to) =>
            new() { Scope = V1.TargetScope.Region, ScopeId = region, Period = period, FromDate = from, ToDate = to };

        await RefusedAsync(StatusCode.InvalidArgument, "scope", new V1.GetPipelineHistoryRequest { ScopeId = region, FromDate = Day(11, 6), ToDate = Day(11, 10) });
        await RefusedAsync(StatusCode.InvalidArgument, "period", Request("2026-13", Day(11, 6), Day(11, 10)));
        await RefusedAsync(StatusCode.InvalidArgument, "period", Request("2026-W46", Day(11, 6), Day(11, 10)));
        await RefusedAsync(StatusCode.InvalidArgument, "from_date", Request("2026-11", null, Day(11, 10)));
        await RefusedAsync(StatusCode.InvalidArgument, "to_date", Request("2026-11", Day(11, 6), null));
        await RefusedAsync(StatusCode.InvalidArgument, "from_date", Request("2026-11", new Google.Type.Date { Year = 2026, Month = 2, Day = 30 }, Day(11, 10)));
        await RefusedAsync(StatusCode.InvalidArgument, "to_date", Request("2026-11", Day(11, 10), Day(11, 6)));
        await RefusedAsync(StatusCode.InvalidArgument, "to_date", Request("2026-11", Day(11, 6), Day(11, 6)));

        // The engine clock stands at November 15th: the end of a later day is not known yet.
        await RefusedAsync(StatusCode.InvalidArgument, "to_date", Request("2026-11", Day(11, 6), Day(11, 16)));

        // More than 31 days before the period the movements are kept per month: only a month's last day splits them exactly.
        await RefusedAsync(StatusCode.InvalidArgument, "from_date", Request("2026-11", Day(6, 15), Day(11, 10)));
        await RefusedAsync(StatusCode.NotFound, "scope_id", new V1.GetPipelineHistoryRequest
        {
            Scope = V1.TargetScope.Rep, ScopeId = s.Id("nobody"), Period = "2026-11", FromDate = Day(11, 6), ToDate = Day(11, 10),
        });

        var after = await HistoryAsync(V1.TargetScope.Region, region, "2026-11", Day(11, 6), Day(11, 10));
        Assert.Equal(before, after);
    }
}
