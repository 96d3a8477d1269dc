using Grpc.Core;
using SalesOps.Domain;
using SalesOps.Server.Api;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests;

/// <summary>
/// Targets by dimension, week targets and gross margin end to end: the real server over a real gRPC channel
/// (docs/semantics.md, "Targets by dimension", "Gross margin").
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class TargetDimensionApiTests(ServerFixture server)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private DateTime Due => DateTime.UtcNow + Deadline;

    private Task IngestAsync(params SalesEvent[] events) => server.IngestEachAsync(Deadline, events);

    private async Task<V1.Figures> RepAsync(string rep, string period) =>
        (await server.Query.GetRepAsync(new V1.GetRepRequest { RepId = rep, Period = period }, deadline: Due)).Figures;

    private async Task<V1.Figures> RegionAsync(string region, string period) =>
        (await server.Query.GetRegionAsync(new V1.GetRegionRequest { RegionId = region, Period = period }, deadline: Due)).Figures;

    private static TargetSet Target(Scenario s, TargetScope scope, string id, string period, TargetMetric metric, long must, TargetDimension dimension) =>
        new(s.NextEventId(), s.At(30), scope, s.Id(id), Period.TryParse(period, out var p) ? p : throw new ArgumentException(period), metric, must, must) { Dimension = dimension };

    [Fact]
    public async Task TargetsSetAfterTheEvents_ReportEachDimensionsActualAndTheGrossMargin()
    {
        var s = new Scenario("api-dim");
        await IngestAsync(
            s.Region("r"), s.Rep("ann", "r"), s.Customer("acme"), s.Customer("beta"),
            s.Open("o1", "ann", "acme", 100_000) with { Cost = 60_000 },
            s.Open("o2", "ann", "beta", 50_000) with { ProductLine = "services" },
            s.Open("o3", "ann", "acme", 30_000),
            s.Won("o1", 5), s.Won("o2", 6) with { Cost = 20_000 }, s.Won("o3", 7),
            s.Payment("ann", "acme", 40_000, 8), s.Payment("ann", "beta", 5_000, 8),
            s.Activity("ann", 9, type: ActivityType.Visit), s.Activity("ann", 10, type: ActivityType.Visit), s.Activity("ann", 11, type: ActivityType.Call));

        // Set after the events: each shows what was credited before it.
        var acme = TargetDimension.Of(DimensionKind.Customer, s.Id("acme"));
        await IngestAsync(
            Target(s, TargetScope.Rep, "ann", "2026-11", TargetMetric.Bookings, 260_000, TargetDimension.Of(DimensionKind.ProductLine, "platform")),
            Target(s, TargetScope.Rep, "ann", "2026-11", TargetMetric.GrossMargin, 140_000, TargetDimension.None),
            Target(s, TargetScope.Region, "r", "2026-Q4", TargetMetric.GrossMargin, 80_000, acme),
            Target(s, TargetScope.Region, "r", "2026-Q4", TargetMetric.Collections, 80_000, acme),
            Target(s, TargetScope.Rep, "ann", "2026-W45", TargetMetric.Activities, 4, TargetDimension.Of(ActivityType.Visit)));
        await Wait.UntilAsync(async () => (await RegionAsync(s.Id("r"), "2026-Q4")).GrossMargin == 70_000, "the gross margin reached region r");

        // o1: 100,000 − 60,000; o2: 50,000 − 20,000 (cost given at the win); o3 has no cost and adds no margin.
        var month = await RepAsync(s.Id("ann"), "2026-11");
        Assert.Equal((180_000L, 70_000L), (month.Bookings, month.GrossMargin));
        Assert.Equal(
            [(V1.TargetMetric.Bookings, V1.TargetDimensionKind.ProductLine, "platform", 130_000L, 0.5), (V1.TargetMetric.GrossMargin, V1.TargetDimensionKind.Unspecified, "", 70_000L, 0.5)],
            month.Targets.Select(t => (t.Metric, t.Dimension?.Kind ?? V1.TargetDimensionKind.Unspecified, t.Dimension?.Value ?? "", t.Actual, t.MustAttainment)));
        var quarter = await RegionAsync(s.Id("r"), "2026-Q4");
        Assert.Equal(
            [(V1.TargetMetric.Collections, s.Id("acme"), 40_000L), (V1.TargetMetric.GrossMargin, s.Id("acme"), 40_000L)],
            quarter.Targets.Select(t => (t.Metric, t.Dimension.Value, t.Actual)));
        var week = Assert.Single((await RepAsync(s.Id("ann"), "2026-W45")).Targets);
        Assert.Equal((V1.TargetDimensionKind.ActivityType, V1.ActivityType.Visit, 2L, 0.5), (week.Dimension.Kind, week.Dimension.ActivityType, week.Actual, week.MustAttainment));
    }

    [Fact]
    public async Task ImpossibleCombinationsAndBadCosts_AreRefusedNamingTheField_AndChangeNothing()
    {
        var s = new Scenario("api-dim-bad");
        await IngestAsync(s.Region("r"), s.Rep("ann", "r"), s.Customer("acme"), s.Open("o1", "ann", "acme", 100_000) with { Cost = 10_000 });
        var before = await RepAsync(s.Id("ann"), "2026-Q4");

        async Task Refused(SalesEvent e, string field)
        {
            var ex = await Assert.ThrowsAsync<RpcException>(() => server.Ingest.IngestOneAsync(e.ToOne(), deadline: Due).ResponseAsync);
            Assert.Equal((StatusCode.InvalidArgument, field), (ex.StatusCode, StatusDetails.Named(ex).Field));
        }

        await Refused(Target(s, TargetScope.Rep, "ann", "2026-Q4", TargetMetric.Collections, 10, TargetDimension.Of(DimensionKind.ProductLine, "platform")), "dimension.kind");
        await Refused(Target(s, TargetScope.Rep, "ann", "2026-11", TargetMetric.Bookings, 10, TargetDimension.Of(DimensionKind.Customer, s.Id("acme"))), "period");
        await Refused(Target(s, TargetScope.Rep, "ann", "2026-W46", TargetMetric.GrossMargin, 10, TargetDimension.None), "period");
        await Refused(Target(s, TargetScope.Rep, "ann", "2026-Q4", TargetMetric.Bookings, 10, TargetDimension.Of(DimensionKind.Channel, "")), "dimension.value");
        await Refused(s.Amount("o1", 120_000, 3) with { Cost = -1 }, "cost");
        var wrongCurrency = s.Won("o1", 4).ToOne();
        wrongCurrency.Event.OpportunityWon.Cost = new V1.Money { CurrencyCode = "EUR", MinorUnits = 5 };
        var ex = await Assert.ThrowsAsync<RpcException>(() => server.Ingest.IngestOneAsync(wrongCurrency, deadline: Due).ResponseAsync);
        Assert.Equal("cost.currency_code", StatusDetails.Named(ex).Field);

        var after = await RepAsync(s.Id("ann"), "2026-Q4");
        Assert.Equal((before.Targets.Count, before.OpenAmount, before.Bookings), (after.Targets.Count, after.OpenAmount, after.Bookings));
        Assert.Empty(after.Targets);
        Assert.Equal(100_000, after.OpenAmount);
    }
}
