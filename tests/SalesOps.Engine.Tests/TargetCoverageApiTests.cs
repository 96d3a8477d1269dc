using SalesOps.Domain;
using SalesOps.Server.Api;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests;

/// <summary>Top-down against bottom-up end to end: the real server over a real gRPC channel (docs/semantics.md).</summary>
[Collection(ServerCollection.Name)]
public sealed class TargetCoverageApiTests(ServerFixture server)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private DateTime Due => DateTime.UtcNow + Deadline;

    private Task IngestAsync(params SalesEvent[] events) => server.IngestEachAsync(Deadline, events);

    private async Task<V1.Figures> RegionAsync(string region, string period = "2026") =>
        (await server.Query.GetRegionAsync(new V1.GetRegionRequest { RegionId = region, Period = period }, deadline: Due)).Figures;

    private static V1.TargetCoverage? Row(V1.Figures f, V1.CoverageBasis basis) => f.TargetCoverage.SingleOrDefault(c => c.Basis == basis);

    [Fact]
    public async Task RegionTargetSplitBelowIt_ShowsTheGapsAndAlertsUncovered_ThenCoveredAfterAMove()
    {
        var s = new Scenario("api-coverage");
        using var cts = new CancellationTokenSource(Deadline);
        await IngestAsync(s.Region("r"), s.Region("r-east", "r"), s.Region("r-west", "r"), s.Rep("ann", "r-east"), s.Rep("bob", "r-west"), s.Rep("cat", "r"));
        using var alerts = server.Watch.WatchAlerts(new V1.WatchAlertsRequest { ScopeRegionId = s.Id("r") }, cancellationToken: cts.Token);
        await alerts.ResponseHeadersAsync.Within();

        await IngestAsync(
            s.RegionTarget("r", "2026", 1_000_000),
            s.RegionTarget("r-east", "2026", 500_000),
            s.RegionTarget("r-west", "2026", 400_000),
            s.RepTarget("ann", "2026", 300_000),
            s.RepTarget("bob", "2026", 250_000),
            s.RepTarget("cat", "2026", 200_000, 260_000),
            s.RepTarget("ann", "2026-Q1", 100_000));

        // Region r: its two children (900,000) and its three reps, one of them in a child region (750,000).
        await Wait.UntilAsync(
            async () => await RegionAsync(s.Id("r")) is var f && Row(f, V1.CoverageBasis.ChildRegions)?.Parts == 2 && Row(f, V1.CoverageBasis.Reps)?.Parts == 3,
            "the children's and reps' targets reached region r");
        var r = await RegionAsync(s.Id("r"));
        var children = Row(r, V1.CoverageBasis.ChildRegions)!;
        Assert.Equal((V1.TargetMetric.Bookings, 1_000_000L, 900_000L, 100_000L, true), (children.Metric, children.MustAchieve, children.PartsMustAchieve, children.MustGap, children.Uncovered));
        var reps = Row(r, V1.CoverageBasis.Reps)!;
        Assert.Equal((750_000L, 810_000L, 250_000L, 190_000L, true), (reps.PartsMustAchieve, reps.PartsStretch, reps.MustGap, reps.StretchGap, reps.Uncovered));

        // The company sees r as its child and every rep below it; r-east's own reps are only ann.
        var company = await RegionAsync("company");
        Assert.True(company.TargetCoverage.Count == 0, "the company has no 2026 target of its own: no coverage rows");
        Assert.Equal(300_000, Row(await RegionAsync(s.Id("r-east")), V1.CoverageBasis.Reps)!.PartsMustAchieve);

        // Setting r's target again checks it at once: both splits are uncovered, one alert each.
        await IngestAsync(s.RegionTarget("r", "2026", 1_000_000, h: 1));
        var raised = new Dictionary<V1.CoverageBasis, V1.WatchAlertsResponse>();
        while (raised.Count < 2)
        {
            Assert.True(await alerts.ResponseStream.MoveNext(cts.Token));
            if (alerts.ResponseStream.Current is { KindCase: V1.WatchAlertsResponse.KindOneofCase.PlanUncovered, PlanUncovered.ScopeId: var id } a && id == s.Id("r"))
            {
                raised[a.PlanUncovered.Basis] = a;
            }
        }

        var alert = raised[V1.CoverageBasis.Reps];
        Assert.Equal((V1.TargetScope.Region, V1.TargetMetric.Bookings, 750_000L, 1_000_000L, "Region r", "2026"),
            (alert.PlanUncovered.Scope, alert.PlanUncovered.Metric, alert.PlanUncovered.PartsMustAchieve, alert.PlanUncovered.MustAchieve, alert.PlanUncovered.ScopeName, alert.Period));
        Assert.Equal("Region r's bookings target for 2026 is not covered by its reps' targets: 7,500.00 USD of 10,000.00 USD must-achieve", alert.Message);

        // A rep joining r-east with a target adds to the split; the reps now cover r.
        await IngestAsync(s.Rep("dan", "r-east", h: 2), s.RepTarget("dan", "2026", 300_000, h: 2));
        await Wait.UntilAsync(
            async () => Row(await RegionAsync(s.Id("r")), V1.CoverageBasis.Reps) is { Parts: 4, Uncovered: false, MustGap: -50_000 },
            "dan's target reached region r and covers it");

        // Ann's year against her own quarters: one quarter of 100,000.
        var ann = (await server.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("ann"), Period = "2026" }, deadline: Due)).Figures;
        var quarters = Assert.Single(ann.TargetCoverage);
        Assert.Equal((V1.CoverageBasis.Quarters, 1, 100_000L, 200_000L), (quarters.Basis, quarters.Parts, quarters.PartsMustAchieve, quarters.MustGap));
    }
    [Fact]
    public async Task RegionTargetByProductLine_ComparedWithThePartsOfTheSameLine()
    {
        var s = new Scenario("api-coverage-line");
        using var cts = new CancellationTokenSource(Deadline);
        var software = TargetDimension.Of(DimensionKind.ProductLine, "software");
        var hardware = TargetDimension.Of(DimensionKind.ProductLine, "hardware");
        await IngestAsync(s.Region("r"), s.Region("r-east", "r"), s.Rep("ann", "r-east"), s.Rep("bob", "r"));
        using var alerts = server.Watch.WatchAlerts(new V1.WatchAlertsRequest { ScopeRegionId = s.Id("r") }, cancellationToken: cts.Token);
        await alerts.ResponseHeadersAsync.Within();

        await IngestAsync(
            s.RegionTarget("r", "2026", 800_000) with { Dimension = software },
            s.RegionTarget("r-east", "2026", 500_000) with { Dimension = software },
            s.RegionTarget("r-east", "2026", 900_000) with { Dimension = hardware },
            s.RepTarget("ann", "2026", 300_000) with { Dimension = software },
            s.RepTarget("bob", "2026", 250_000) with { Dimension = software },
            s.RepTarget("bob", "2026", 400_000));

        // Region r has a software target only: its rows carry the dimension and count software parts alone.
        await Wait.UntilAsync(
            async () => await RegionAsync(s.Id("r")) is var f && Row(f, V1.CoverageBasis.ChildRegions)?.Parts == 1 && Row(f, V1.CoverageBasis.Reps)?.Parts == 2,
            "the software targets below r reached it");
        var r = await RegionAsync(s.Id("r"));
        Assert.All(r.TargetCoverage, c => Assert.Equal((V1.TargetDimensionKind.ProductLine, "software"), (c.Dimension.Kind, c.Dimension.Value)));
        var children = Row(r, V1.CoverageBasis.ChildRegions)!;
        Assert.Equal((500_000L, 300_000L, true), (children.PartsMustAchieve, children.MustGap, children.Uncovered));
        Assert.Equal((550_000L, 250_000L), (Row(r, V1.CoverageBasis.Reps)!.PartsMustAchieve, Row(r, V1.CoverageBasis.Reps)!.MustGap));

        // Setting it again checks it at once: the alert names the product line.
        await IngestAsync(s.RegionTarget("r", "2026", 800_000, h: 1) with { Dimension = software });
        while (true)
        {
            Assert.True(await alerts.ResponseStream.MoveNext(cts.Token));
            if (alerts.ResponseStream.Current is { KindCase: V1.WatchAlertsResponse.KindOneofCase.PlanUncovered } a
                && a.PlanUncovered.ScopeId == s.Id("r") && a.PlanUncovered.Basis == V1.CoverageBasis.Reps)
            {
                Assert.Equal((V1.TargetDimensionKind.ProductLine, "software", 550_000L, 800_000L), (a.PlanUncovered.Dimension.Kind, a.PlanUncovered.Dimension.Value, a.PlanUncovered.PartsMustAchieve, a.PlanUncovered.MustAchieve));
                Assert.Equal("Region r's bookings (product line software) target for 2026 is not covered by its reps' targets: 5,500.00 USD of 8,000.00 USD must-achieve", a.Message);
                break;
            }
        }
    }
}
